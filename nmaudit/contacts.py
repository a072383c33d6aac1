"""Load and validate the contacts file (``contacts.yaml``): who is told about which accounts,
through which channels. Kept apart from ``accounts.yaml`` so that secrets never sit there.

Channels are Apprise URLs (企业微信群机器人 ``wxwork://``, 钉钉 ``dingtalk://``, 飞书
``feishu://``, email ``mailto://`` / ``mailtos://``, a JSON webhook ``json://`` / ``jsons://``).
Secrets come from the environment (``${VAR}``) or from a file readable by its owner only
(``${file:/path}``); every problem is reported at once as ``FILE:LINE: LOCATION: MESSAGE``.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import apprise
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ContactsError

__all__ = ["Channel", "Contacts", "load_contacts", "EVERYWHERE"]

TOP_KEYS = ("version", "review_url", "operator", "units", "regions", "supervisors")
#: The supervisors key whose digest covers every account, whatever its region.
EVERYWHERE = "*"
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Channel:
    """One Apprise URL, secrets filled in; `shown` is the same with secrets masked."""

    url: str
    shown: str
    line: int


@dataclass
class Contacts:
    path: str
    review_url: Optional[str] = None
    units: dict[str, list[Channel]] = field(default_factory=dict)  # 主办单位 -> channels
    regions: dict[str, list[Channel]] = field(default_factory=dict)  # region -> channels (units not listed)
    supervisors: dict[str, list[Channel]] = field(default_factory=dict)  # region or "*" -> channels
    #: Who runs nmaudit: told of what needs them (a signed-in session that lapsed).
    operator: list[Channel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def recipient(self, owner: str, region: Optional[str]) -> Optional[str]:
        """Who answers for an account: its owner unit when listed, else its region; None: nobody."""
        if owner in self.units:
            return owner
        if region is not None and region in self.regions:
            return region
        return None

    def channels_of(self, kind: str, recipient: str) -> list[Channel]:
        """The channels of a unit-or-region recipient (kind "unit") or a supervisor."""
        if kind == "supervisor":
            return self.supervisors.get(recipient, [])
        return self.units.get(recipient) or self.regions.get(recipient, [])


def load_contacts(path: str | Path, environ: Optional[dict[str, str]] = None) -> Contacts:
    """Read and validate a contacts file; raise ContactsError listing every problem."""
    file = str(path)
    env = os.environ if environ is None else environ
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ContactsError([f"{file}: cannot read: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise ContactsError([f"{file}: cannot read: not UTF-8; save the file as UTF-8"]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ContactsError([f"{file}:{line}: yaml: {getattr(error, 'problem', None) or error}"]) from None
    checker = _Checker(file, env, _shared_with_others(Path(path)))
    contacts = checker.check(root)
    if checker.problems:
        raise ContactsError(sorted(checker.problems, key=_line_of))
    return contacts


def _line_of(problem: str) -> int:
    parts = problem.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _shared_with_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Checker:
    def __init__(self, file: str, env: dict[str, str] | os._Environ, shared: bool):
        self.file = file
        self.env = env
        self.shared = shared  # the file itself is readable by others: no literal secrets in it
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def add(self, line: int, loc: str, message: str) -> None:
        self.problems.append(f"{self.file}:{line}: {loc}: {message}")

    def check(self, root: Optional[Node]) -> Contacts:
        contacts = Contacts(path=self.file)
        if not isinstance(root, MappingNode):
            self.add(1 if root is None else _line(root), "(top)", "expected a mapping with version and units")
            return contacts
        top = self.mapping(root, "(top)")
        for name, (key, _) in top.items():
            if name not in TOP_KEYS:
                self.add(_line(key), name, f"unknown key '{name}' (expected {', '.join(TOP_KEYS)})")
        if "version" not in top:
            self.add(_line(root), "version", "required field missing")
        else:
            key, node = top["version"]
            if not (isinstance(node, ScalarNode) and node.value.strip() == "1"):
                self.add(_line(node), "version", "unsupported version (expected 1)")
        if "review_url" in top:
            _, node = top["review_url"]
            value = node.value.strip() if isinstance(node, ScalarNode) else ""
            if not re.match(r"https?://[^\s/]+", value):
                self.add(_line(node), "review_url", "expected an http(s) URL of the review page (nmaudit review)")
            else:
                contacts.review_url = value.rstrip("/")
        for name in ("units", "regions", "supervisors"):
            if name in top:
                setattr(contacts, name, self.recipients(*top[name], name))
        if "operator" in top:
            key, node = top["operator"]
            items = [node] if isinstance(node, ScalarNode) and node.value.strip() else (
                node.value if isinstance(node, SequenceNode) else None)
            if not items:
                self.add(_line(key), "operator", "expected one channel URL or a list of them")
            else:
                contacts.operator = [c for index, item in enumerate(items)
                                     if (c := self.channel(item, f"operator[{index}]"))]
        if not (contacts.units or contacts.regions or contacts.supervisors or contacts.operator) and not self.problems:
            self.add(_line(root), "units", "no recipient: list units, regions or supervisors")
        contacts.warnings = self.warnings
        return contacts

    def mapping(self, node: MappingNode, loc: str) -> dict[str, tuple[Node, Node]]:
        entries: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            name = key.value.strip() if isinstance(key, ScalarNode) else ""
            if not name:
                self.add(_line(key), loc, "expected a name as key")
            elif name in entries:
                self.add(_line(key), f"{loc}.{name}", f"duplicate key (first at line {_line(entries[name][0])})")
            else:
                entries[name] = (key, value)
        return entries

    def recipients(self, key: Node, node: Node, loc: str) -> dict[str, list[Channel]]:
        if not isinstance(node, MappingNode):
            self.add(_line(key), loc, "expected a mapping of names to lists of channels")
            return {}
        result = {}
        for name, (k, value) in self.mapping(node, loc).items():
            where = f"{loc}.{name}"
            items = [value] if isinstance(value, ScalarNode) and value.value.strip() else (
                value.value if isinstance(value, SequenceNode) else None)
            if not items:
                self.add(_line(k), where, "expected one channel URL or a list of them")
                continue
            channels = [c for index, item in enumerate(items) if (c := self.channel(item, f"{where}[{index}]"))]
            if len(channels) == len(items):
                result[name] = channels
        return result

    def channel(self, node: Node, loc: str) -> Optional[Channel]:
        if not isinstance(node, ScalarNode) or not node.value.strip():
            self.add(_line(node), loc, "expected a channel URL (Apprise: wxwork://, dingtalk://, mailtos://, json://...)")
            return None
        written, line = node.value.strip(), _line(node)
        problems = []

        def fill(match: re.Match) -> str:
            reference = match.group(1).strip()
            if reference.startswith("file:"):
                return self.secret_file(reference[5:].strip(), problems)
            if not _ENV_NAME.fullmatch(reference):
                problems.append(f"'${{{reference}}}': expected ${{NAME}} or ${{file:/path}}")
            elif reference not in self.env:
                problems.append(f"environment variable {reference} is not set")
            else:
                return self.env[reference]
            return ""

        url = _REFERENCE.sub(fill, written)
        for problem in problems:
            self.add(line, loc, problem)
        if problems:
            return None
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            scheme = url.split("://", 1)[0] if "://" in url else url
            self.add(line, loc, f"not a usable channel URL (scheme '{scheme}://'; see Apprise's list of services)")
            return None
        if self.shared and url == written and _has_secret(plugin):
            self.warnings.append(f"{self.file}:{line}: {loc}: 通道地址中的密钥明文写在他人可读的文件中；"
                                 "请改用 ${变量名} 或 ${file:路径}，或将文件权限设为 600")
        return Channel(url=url, shown=plugin.url(privacy=True), line=line)

    def secret_file(self, name: str, problems: list[str]) -> str:
        path = Path(os.path.expanduser(name))
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                problems.append(f"secret file {name} is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it")
                return ""
            return path.read_text(encoding="utf-8").strip()
        except OSError as error:
            problems.append(f"cannot read secret file {name}: {error.strerror or error}")
            return ""


def _has_secret(plugin: apprise.plugins.NotifyBase) -> bool:
    """Whether masking the URL hides something: a password or a token is in it."""
    return plugin.url(privacy=True) != plugin.url(privacy=False)
