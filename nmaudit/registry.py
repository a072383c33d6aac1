"""Load and validate the account registry, ``accounts.yaml`` (schema version 1).

The registry is typed by hand, often by clerks, so every problem in the file is
reported at once, each as ``FILE:LINE: LOCATION: MESSAGE``: one pass fixes them all.

We validate the YAML *node tree* (``yaml.compose``) rather than loaded data because
nodes carry line numbers, and because the node keeps a scalar's text as written:
``id: 007`` stays ``'007'`` instead of becoming the integer 7 (YAML 1.1 octal).
The pydantic models are built only after the file checks out.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, get_args
from urllib.parse import urlsplit

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ValidationError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import RegistryError, UsageError
from .models import IDENTITY_KEYS, IDENTITY_LABELS, PLATFORMS, SITES, Account, Policy
from .html import SelectorError, parse_selector
from .sanitize import visible

__all__ = ["Registry", "load_registry", "SUPPORTED_VERSION"]

SUPPORTED_VERSION = 1

TOP_KEYS = ("version", "policy", "defaults", "accounts")
POLICY_KEYS = ("warn_idle_days", "fail_idle_days", "zombie_idle_days", "sources", "sogou",
               "blue_idle_days", "yellow_idle_days", "red_idle_days", "alert_failed_runs", "identity_check_days")
SOGOU_MODES: tuple[str, ...] = get_args(Policy.model_fields["sogou"].annotation)
#: The staged-warning lines (红黄蓝预警), lowest first; each set one lies below fail_idle_days.
STAGE_KEYS = ("blue_idle_days", "yellow_idle_days", "red_idle_days")
#: Opt-in sources a policy may name (models.Policy.sources).
SOURCES: tuple[str, ...] = get_args(get_args(Policy.model_fields["sources"].annotation)[0])
#: Account keys in the order missing-field problems are reported.
ACCOUNT_KEYS = (
    "id", "name", "platform", "owner", "certified_as", "region", "urls", "ids", "site", "interaction", "feed",
    "extract", "policy",
)
#: Every identity key (models.Identities); which platform each belongs to is IDENTITY_KEYS.
ID_KEYS: tuple[str, ...] = tuple(IDENTITY_LABELS)
PLATFORM_OF_ID = {key: platform for platform, keys in IDENTITY_KEYS.items() for key in keys}
#: What each identity must look like, and how to say so.
ID_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "wechat_id": (re.compile(r"[A-Za-z][-_A-Za-z0-9]{2,29}"), "letters, digits, '_' and '-', starting with a letter"),
    "gh_id": (re.compile(r"gh_[0-9a-f]{12}", re.IGNORECASE), "'gh_' and 12 letters or digits, e.g. gh_1a2b3c4d5e6f"),
    "uid": (re.compile(r"[0-9]{5,16}"), "digits only"),
    "domain": (re.compile(r"[A-Za-z0-9][-_A-Za-z0-9.]{0,39}"), "letters, digits, '_', '-' and '.'"),
    "appstore_id": (re.compile(r"(?:id)?[0-9]{6,12}"), "digits, as in apps.apple.com/cn/app/id<digits>"),
    "package": (re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+"), "a package name such as cn.gov.example.app"),
}
#: Keys that ``defaults`` may not set, and why.
NOT_DEFAULTABLE = {
    "id": "'id' cannot have a default (each account needs its own)",
    "ids": "'ids' cannot have a default (each account has its own)",
    "feed": "'feed' cannot have a default (each account has its own feed)",
    "extract": "'extract' cannot have a default (share one with a YAML anchor: extract: *name)",
    "policy": "'policy' cannot have a default (use the top-level policy)",
}
#: The rules of ``extract`` (platform web) and of each of its extractors.
EXTRACT_FIELDS = ("name", "certification", "posts")
EXTRACT_KEYS = (*EXTRACT_FIELDS, "lists_newest", "loads", "rendered")
EXTRACTOR_KEYS = ("css", "attr", "regex", "format", "json")
DEFAULT_KEYS = tuple(k for k in ACCOUNT_KEYS if k not in NOT_DEFAULTABLE)

_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_STR_TAG = "tag:yaml.org,2002:str"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"

_ID_CHARS = re.compile(r"[A-Za-z0-9._-]+")
_DIGITS = re.compile(r"[0-9]+")
_STRPTIME_DIRECTIVE = re.compile(r"%[a-zA-Z]")

#: A field that was present but wrong. It has been reported already; the sentinel
#: keeps it from also being reported as missing, or compared further.
_INVALID: Any = object()

_Entries = dict[str, tuple[Node, Node]]


class Registry(BaseModel):
    """A validated registry. Each account carries its effective (merged) policy."""

    path: str
    version: int
    policy: Policy
    accounts: list[Account]
    sha256: str  # of the file's bytes, so a run records exactly which registry it used

    def select(self, only: list[str]) -> list[Account]:
        """The accounts with these ids, in registry order (an empty list selects none).

        Raises UsageError naming every id the registry does not have.
        """
        wanted = {i.strip() for i in only}
        known = {a.id for a in self.accounts}
        unknown = list(dict.fromkeys(i.strip() for i in only if i.strip() not in known))
        if unknown:
            names = ", ".join(f"'{i}'" for i in unknown)
            noun = "id" if len(unknown) == 1 else "ids"
            raise UsageError(f"unknown account {noun} {names} (not in {Path(self.path).name})")
        return [a for a in self.accounts if a.id in wanted]


def with_sources(accounts: list[Account], sources: Iterable[str]) -> list[Account]:
    """The accounts with opt-in sources (e.g. from --sources) added to each one's policy."""
    extra = list(sources)
    if not extra:
        return accounts
    return [
        account.model_copy(update={"policy": account.policy.model_copy(
            update={"sources": list(dict.fromkeys([*account.policy.sources, *extra]))})})
        for account in accounts
    ]


def load_registry(path: str | Path) -> Registry:
    """Read and validate a registry file; raise RegistryError listing every problem."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise RegistryError([f"{file}: cannot read: {e.strerror or e}"]) from None
    try:
        text = data.decode("utf-8-sig")  # tolerate the BOM Windows editors add
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        # Chinese files saved as GBK end up here; say what to do about it.
        reason = f"not UTF-8 (byte 0x{data[e.start]:02x} on line {line}); save the file as UTF-8"
        raise RegistryError([f"{file}: cannot read: {reason}"]) from None

    registry = load_registry_text(file, text)
    return registry.model_copy(update={"sha256": hashlib.sha256(data).hexdigest()})


def load_registry_text(file: str, text: str) -> Registry:
    """A registry's text, validated (problems name `file`); its sha256 is the text's."""
    root = compose_bounded(file, text)
    checker = _Checker(file)
    try:
        registry = checker.check(root)
    except RecursionError:  # merge keys (<<) chained a thousand deep
        raise RegistryError([f"{file}:1: yaml: merge keys (<<) nested too deeply to read"]) from None
    if checker.problems:
        raise RegistryError([_one_line(p) for p in checker.sorted_problems()])
    assert registry is not None
    return Registry(path=file, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), **registry)


# -- bounded reading -------------------------------------------------------------------------
#
# A registry is typed by hand, but also generated, imported and mailed around: the loader
# must give a clear one-line answer, fast, whatever the file holds. Hence: libyaml where it
# is built in (linear, and far faster than pure Python), nesting checked on the event
# stream before the (recursive) composer runs, and aliases and merge keys counted as they
# would expand before anything walks the tree.

#: Nodes the document may expand to through aliases and merge keys (a registry of 20,000
#: accounts is ~600,000 nodes); a "billion laughs" passes it within a few levels.
MAX_EXPANDED_NODES = 5_000_000
#: An error line longer than this is cut (a 5,000-digit number need not be echoed whole).
MAX_PROBLEM_CHARS = 400

#: libyaml, where PyYAML has it built in: linear, far faster, and it refuses nesting deeper
#: than 1,000 levels itself (pure-Python composing recurses until RecursionError).
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Below this size a libyaml syntax error is read again by the pure-Python parser, whose
#: messages the registry's users know; above it libyaml's message is reported as it is.
_EXPLAIN_BELOW = 1_000_000


def _one_line(problem: str) -> str:
    """A problem as one line: control characters escaped, overlong lines cut."""
    line = visible(problem)
    return line if len(line) <= MAX_PROBLEM_CHARS else line[: MAX_PROBLEM_CHARS - 1] + "…"


def compose_bounded(file: str, text: str) -> Optional[Node]:
    """The YAML node tree of ``text``, or RegistryError with one located line: syntax
    errors, nesting too deep, recursive aliases, and aliases or merge keys that would
    expand past MAX_EXPANDED_NODES."""
    try:
        root = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as error:
        too_deep = "maximum nesting depth" in str(error)  # pure Python would recurse until it gives up
        if _FAST_LOADER is not yaml.SafeLoader and len(text) < _EXPLAIN_BELOW and not too_deep:
            try:
                yaml.compose(text, Loader=yaml.SafeLoader)
            except yaml.YAMLError as explained:
                error = explained
            except RecursionError:  # nesting libyaml refused: its own message says so
                pass
        raise RegistryError([_one_line(_yaml_problem(file, text, error))]) from None
    except RecursionError:  # pure-Python PyYAML only
        raise RegistryError([f"{file}:1: yaml: nested too deeply to read"]) from None
    if "&" in text:  # without an anchor there is no alias, and the tree is as big as the text
        _check_expansion(file, root)
    return root


def _recursive_alias(file: str, node: Node) -> RegistryError:
    return RegistryError([f"{file}:{node.start_mark.line + 1}: yaml: an alias refers to a node that contains it "
                          "(recursive alias)"])


def _check_expansion(file: str, root: Optional[Node]) -> None:
    """Count the nodes the tree stands for once aliases and merge keys are expanded (a shared
    node counts once per use, and is counted once), without recursion; refuse cycles."""
    if root is None:
        return
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done:
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_EXPANDED_NODES:
                raise RegistryError([f"{file}:{node.start_mark.line + 1}: yaml: aliases and merge keys (<<) expand "
                                     f"to more than {MAX_EXPANDED_NODES:,} nodes; write the values out instead"])
            sizes[key] = size
            entered.discard(key)
            continue
        if key in entered:
            raise _recursive_alias(file, node)
        entered.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in entered:
                raise _recursive_alias(file, child)
            if id(child) not in sizes:
                stack.append((child, False))


def _yaml_problem(file: str, text: str, e: yaml.YAMLError) -> str:
    """One ``FILE:LINE: yaml: ...`` line for a syntax error."""
    if isinstance(e, yaml.reader.ReaderError):  # a control character: no mark, a position
        line = text.count("\n", 0, e.position) + 1
        char = e.character if isinstance(e.character, int) else ord(e.character)
        return f"{file}:{line}: yaml: unacceptable character #x{char:04x}: {e.reason}"
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        # An error at end of stream is marked on the line after a final newline; blame
        # the last line, which an editor can show.
        line = min(mark.line + 1, text.rstrip("\n").count("\n") + 1) if mark else 1
        message = e.problem or e.context or str(e)
        if e.problem and e.context and not e.context.startswith("while "):
            # "expected a single document in the stream, but found another document"
            message = f"{e.context}, {e.problem}"
        return f"{file}:{line}: yaml: {message}"
    return f"{file}:1: yaml: {e}"


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _at(key: Node, value: Node) -> int:
    """The line to blame for a value: the scalar itself, or the key of a block list/mapping
    (whose own node starts on the line below ``key:``)."""
    return _line(value) if isinstance(value, ScalarNode) else _line(key)


def _join(loc: str, name: str) -> str:
    return f"{loc}.{name}" if loc else name


def _text(node: Node) -> Optional[str]:
    """A scalar's text as written, stripped; '' for null; None if not a scalar."""
    if not isinstance(node, ScalarNode):
        return None
    return "" if node.tag == _NULL_TAG else node.value.strip()


def _whole_number(node: Node) -> Optional[int]:
    """A YAML integer, or a quoted string of digits; None otherwise (floats and booleans too)."""
    if not isinstance(node, ScalarNode):
        return None
    if len(node.value) > 40:  # no count of days needs more; int() refuses over 4,300 digits
        return None
    if node.tag == _INT_TAG:
        return SafeConstructor().construct_yaml_int(node)  # handles 0x.., 1_000, ...
    if node.tag == _STR_TAG and _DIGITS.fullmatch(node.value.strip()):
        return int(node.value.strip())
    return None


def _is_http_url(text: str) -> bool:
    if not text or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced '[' in the host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _unknown_key(name: str, allowed: tuple[str, ...]) -> str:
    """``unknown key 'x'``, with a hint when it looks like a typo (``url`` for ``urls``)."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{name}'{hint}"


class _Checker:
    """Walks the node tree, collecting located problems and the validated values."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[tuple[int, str]] = []  # (line, formatted problem)
        self.ids: dict[str, tuple[int, int]] = {}  # account id -> (index, line) of its first use

    # -- reporting -----------------------------------------------------------------

    def add(self, line: int, loc: Optional[str], message: str) -> None:
        where = f"{loc}: " if loc else ""
        self.problems.append((line, f"{self.file}:{line}: {where}{message}"))

    def sorted_problems(self) -> list[str]:
        # sorted() is stable: problems on one line keep the order they were found in.
        return [p for _, p in sorted(self.problems, key=lambda p: p[0])]

    # -- structure -----------------------------------------------------------------

    def entries(self, node: MappingNode, loc: str, report: bool = True,
                seen: frozenset[int] = frozenset()) -> _Entries:
        """The mapping's (key node, value node) pairs by key, with YAML merge keys (``<<``)
        applied as safe_load would: the mapping's own keys win over merged ones."""
        seen = seen | {id(node)}  # an anchor can merge itself: do not loop
        own: _Entries = {}
        merged: _Entries = {}
        for key, value in node.value:
            if key.tag == _MERGE_TAG:
                sources = value.value if isinstance(value, SequenceNode) else [value]
                for source in sources:
                    if isinstance(source, MappingNode):
                        if id(source) not in seen:
                            for name, pair in self.entries(source, loc, False, seen).items():
                                merged.setdefault(name, pair)
                    elif report:
                        self.add(_line(value), loc, "expected a mapping to merge (<<)")
                continue
            if not isinstance(key, ScalarNode):
                if report:
                    self.add(_line(key), loc, "expected a plain key")
                continue
            name = key.value
            if name in own:
                if report:
                    first = _line(own[name][0])
                    self.add(_line(key), _join(loc, name), f"duplicate key '{name}' (first at line {first})")
                continue
            own[name] = (key, value)
        return {**merged, **own}

    def mapping(self, key: Optional[Node], node: Node, loc: str, allowed: tuple[str, ...],
                refused: Optional[dict[str, str]] = None) -> Optional[_Entries]:
        """The entries of a mapping with only ``allowed`` keys (others are reported, with
        the message in ``refused`` if it has one); {} for null; None, reported, if the
        node is not a mapping."""
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            return {}
        if not isinstance(node, MappingNode):
            self.add(_line(node) if key is None else _at(key, node), loc, "expected a mapping")
            return None
        entries = self.entries(node, loc)
        for name, (k, _) in entries.items():
            if name not in allowed:
                message = (refused or {}).get(name) or _unknown_key(name, allowed)
                self.add(_line(k), _join(loc, name), message)
        return {n: pair for n, pair in entries.items() if n in allowed}

    # -- the document ----------------------------------------------------------------

    def check(self, root: Optional[Node]) -> Optional[dict[str, Any]]:
        """Validate the whole file; the Registry's fields, or None if nothing usable."""
        if not isinstance(root, MappingNode):
            self.add(1 if root is None else _line(root), None, "expected a mapping with version and accounts")
            return None
        top = self.mapping(None, root, "", TOP_KEYS)
        assert top is not None

        version = self.version(top, root)

        policy: Optional[dict[str, Any]] = dict(Policy().model_dump())
        if "policy" in top:
            key, node = top["policy"]
            own = self.policy(key, node, "policy")
            if own is _INVALID:
                policy = None  # reported; skip the warn/fail comparisons that depend on it
            else:
                policy.update(own)
                self.check_order(policy, _at(key, node), "policy")

        defaults: dict[str, Any] = {}
        if "defaults" in top:
            key, node = top["defaults"]
            entries = self.mapping(key, node, "defaults", DEFAULT_KEYS, NOT_DEFAULTABLE) or {}
            defaults = {name: self.field(name, k, v, "defaults") for name, (k, v) in entries.items()}

        accounts = []
        if "accounts" not in top:
            self.add(_line(root), "accounts", "required field missing")
        else:
            key, node = top["accounts"]
            items: list[Node] = []
            if isinstance(node, SequenceNode):
                items = node.value
            elif not (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
                self.add(_at(key, node), "accounts", "expected a list of accounts")
                node = None
            if node is not None and not items:
                self.add(_at(key, node), "accounts", "at least one account is required")
            for index, item in enumerate(items):
                account = self.account(index, item, defaults, policy)
                if account is not None:
                    accounts.append(account)

        if self.problems:
            return None
        return {"version": version, "policy": Policy(**policy), "accounts": accounts}

    def version(self, top: _Entries, root: Node) -> int:
        if "version" not in top:
            self.add(_line(root), "version", "required field missing")
            return SUPPORTED_VERSION
        key, node = top["version"]
        number, text = _whole_number(node), _text(node)
        if number == SUPPORTED_VERSION:
            return number
        if text == "":
            self.add(_at(key, node), "version", "must not be empty")
        else:
            shown = str(number) if number is not None else f"'{text}'" if text else "(not a number)"
            self.add(_at(key, node), "version", f"unsupported version {shown} (expected {SUPPORTED_VERSION})")
        return SUPPORTED_VERSION

    def policy(self, key: Node, node: Node, loc: str) -> Any:
        """The thresholds and sources this mapping sets (not merged), or _INVALID."""
        entries = self.mapping(key, node, loc, POLICY_KEYS)
        if entries is None:
            return _INVALID
        values: dict[str, Any] = {}
        valid = True
        for name, (k, v) in entries.items():
            if name == "sources":
                values[name] = self.sources(k, v, _join(loc, name))
                valid = valid and values[name] is not _INVALID
                continue
            if name == "sogou":
                mode = _text(v)
                if mode is None or mode.lower() not in SOGOU_MODES:
                    shown = f"'{mode}'" if mode else "(not text)"
                    self.add(_at(k, v), _join(loc, name), f"unknown mode {shown} (expected {', '.join(SOGOU_MODES)})")
                    valid = False
                else:
                    values[name] = mode.lower()
                continue
            number = _whole_number(v)
            if number is None or number < 1:
                self.add(_at(k, v), _join(loc, name), "expected a whole number >= 1")
                valid = False
            else:
                values[name] = number
        return values if valid else _INVALID

    def sources(self, key: Node, node: Node, loc: str) -> Any:
        """Opt-in sources, as a list (null: none); an account's list replaces the registry's."""
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            return []
        if not isinstance(node, SequenceNode):
            self.add(_at(key, node), loc, f"expected a list of sources ({', '.join(SOURCES)})")
            return _INVALID
        names = []
        for index, item in enumerate(node.value):
            text = _text(item)
            if text is not None and text.lower() in SOURCES:
                names.append(text.lower())
                continue
            shown = f"'{text}'" if text is not None else "(not text)"
            self.add(_line(item), f"{loc}[{index}]", f"unknown source {shown} (expected {', '.join(SOURCES)})")
        return list(dict.fromkeys(names)) if len(names) == len(node.value) else _INVALID

    def check_order(self, policy: dict[str, Any], line: int, loc: str) -> None:
        warn, fail = policy["warn_idle_days"], policy["fail_idle_days"]
        if warn > fail:
            self.add(line, loc, f"warn_idle_days ({warn}) is greater than fail_idle_days ({fail})")
        lines = [(name, policy.get(name)) for name in STAGE_KEYS if policy.get(name) is not None]
        for name, days in lines:
            if days >= fail:
                self.add(line, loc, f"{name} ({days}) must be below fail_idle_days ({fail})")
        for (lower, low), (upper, high) in zip(lines, lines[1:]):
            if low >= high:
                self.add(line, loc, f"{lower} ({low}) must be below {upper} ({high})")

    def account(self, index: int, node: Node, defaults: dict[str, Any],
                policy: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
        """One accounts[] item with defaults and policy merged in; None if invalid."""
        loc = f"accounts[{index}]"
        entries = self.mapping(None, node, loc, ACCOUNT_KEYS)
        if entries is None:
            return None
        values: dict[str, Any] = {}
        for name in ACCOUNT_KEYS:
            if name == "policy":
                continue
            if name in entries:
                k, v = entries[name]
                values[name] = self.field(name, k, v, loc)
            elif name in defaults:
                values[name] = defaults[name]
            elif name in _REQUIRED:
                self.add(_line(node), _join(loc, name), "required field missing")
                values[name] = _INVALID

        self.check_identity(loc, node, entries, values)

        if values.get("extract") not in (None, _INVALID) and values.get("platform") not in ("web", _INVALID, None):
            k, v = entries["extract"]  # extract cannot come from defaults
            self.add(_at(k, v), f"{loc}.extract", "extract is only for platform web")
            values["extract"] = _INVALID

        if "id" in entries and values["id"] is not _INVALID:
            # Compared by index, not line: an item merged from another (<<: *a) shares its id node.
            id_line = _line(entries["id"][1])
            first_index, first_line = self.ids.setdefault(values["id"], (index, id_line))
            if first_index != index:
                self.add(id_line, f"{loc}.id", f"duplicate id '{values['id']}' (first at line {first_line})")

        effective = policy
        if "policy" in entries:
            k, v = entries["policy"]
            own = self.policy(k, v, f"{loc}.policy")
            if own is _INVALID or policy is None:
                effective = None
            elif own:  # an empty override changes nothing; the registry policy was checked
                effective = {**policy, **own}
                self.check_order(effective, _at(k, v), f"{loc}.policy")

        if effective is None or any(v is _INVALID for v in values.values()):
            return None
        try:
            return Account(**values, policy=Policy(**effective), line=_line(node))
        except ValidationError as e:  # a safety net: the checks above should catch all
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"])
                self.add(_line(node), _join(loc, where), err["msg"])
            return None

    # -- fields --------------------------------------------------------------------

    def field(self, name: str, key: Node, node: Node, loc: str) -> Any:
        """Validate one account field (in an account or in defaults); value or _INVALID."""
        return _FIELDS[name](self, key, node, _join(loc, name))

    def text(self, key: Node, node: Node, loc: str, required: bool) -> Any:
        """Text as written (numbers too: ``name: 2024`` is '2024'). An empty optional
        field is None, so an account can clear a default with ``region: ~``."""
        text = _text(node)
        if text is None:
            self.add(_at(key, node), loc, "expected text")
            return _INVALID
        if not text:
            if required:
                self.add(_at(key, node), loc, "must not be empty")
                return _INVALID
            return None
        return text

    def account_id(self, key: Node, node: Node, loc: str) -> Any:
        value = self.text(key, node, loc, required=True)
        if value is _INVALID:
            return value
        if not _ID_CHARS.fullmatch(value):
            self.add(_at(key, node), loc, f"invalid id '{value}' (use letters, digits, '.', '_' and '-')")
            return _INVALID
        if not value[0].isalnum():
            # ids name files and directories (evidence, snapshots): no '.', '..' or '-x'.
            self.add(_at(key, node), loc, f"invalid id '{value}' (must start with a letter or digit)")
            return _INVALID
        return value

    def platform(self, key: Node, node: Node, loc: str) -> Any:
        value = self.text(key, node, loc, required=True)
        if value is _INVALID:
            return value
        if value.lower() not in PLATFORMS:  # 'WeChat' is fine; stored lower-case
            self.add(_at(key, node), loc, f"unknown platform '{value}' (expected {', '.join(PLATFORMS)})")
            return _INVALID
        return value.lower()

    def url(self, key: Node, node: Node, loc: str, required: bool) -> Any:
        text = _text(node)
        if text is None:
            self.add(_at(key, node), loc, "expected a URL")
            return _INVALID
        if not text and not required:
            return None
        if not _is_http_url(text):
            self.add(_at(key, node), loc, f"not an http(s) URL: '{text}'")
            return _INVALID
        return text

    def urls(self, key: Node, node: Node, loc: str) -> Any:
        if isinstance(node, SequenceNode):
            if not node.value:
                self.add(_at(key, node), loc, "at least one URL is required")
                return _INVALID
            urls = [self.url(item, item, f"{loc}[{i}]", required=True) for i, item in enumerate(node.value)]
            return _INVALID if any(u is _INVALID for u in urls) else urls
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            self.add(_at(key, node), loc, "at least one URL is required")
        else:
            self.add(_at(key, node), loc, "expected a list of URLs")
        return _INVALID

    def extract(self, key: Node, node: Node, loc: str) -> Any:
        """How to read a page of platform web; None for null."""
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            return None
        entries = self.mapping(key, node, loc, EXTRACT_KEYS)
        if entries is None:
            return _INVALID
        values: dict[str, Any] = {}
        for name, (k, v) in entries.items():
            if name in ("lists_newest", "rendered"):
                values[name] = self.boolean(k, v, _join(loc, name))
            elif name == "loads":
                values[name] = self.loads(k, v, _join(loc, name))
            else:
                values[name] = self.extractor(name, k, v, _join(loc, name))
        if not any(name in entries for name in EXTRACT_FIELDS):
            self.add(_at(key, node), loc, f"expected at least one of {', '.join(EXTRACT_FIELDS)}")
            return _INVALID
        if "loads" not in entries:
            # A json rule reads the page's own calls: without loads there are none to read.
            for name in EXTRACT_FIELDS:
                rule = entries.get(name, (None, None))[1]
                for k, v in (rule.value if isinstance(rule, MappingNode) else []):
                    if isinstance(k, ScalarNode) and k.value == "json":
                        self.add(_at(k, v), _join(_join(loc, name), "json"),
                                 "json needs extract.loads (the URL pattern of the page's own call to read)")
                        values[name] = _INVALID
        return _INVALID if any(v is _INVALID for v in values.values()) else values

    def loads(self, key: Node, node: Node, loc: str) -> Any:
        """URL patterns of the page's own calls: one regular expression or a list of them."""
        items = node.value if isinstance(node, SequenceNode) else [node]
        patterns = []
        for i, item in enumerate(items):
            where = f"{loc}[{i}]" if isinstance(node, SequenceNode) else loc
            text = self.text(item if isinstance(node, SequenceNode) else key, item, where, required=True)
            if text is _INVALID:
                return _INVALID
            try:
                re.compile(text)
            except re.error as e:
                self.add(_at(item, item), where, f"invalid regular expression: {e}")
                return _INVALID
            patterns.append(text)
        if not patterns:
            self.add(_at(key, node), loc, "expected a URL pattern (a regular expression) or a list of them")
            return _INVALID
        return patterns

    def extractor(self, field: str, key: Node, node: Node, loc: str) -> Any:
        """One extract rule: css and/or regex, checked now so a typo fails before the run."""
        entries = self.mapping(key, node, loc, EXTRACTOR_KEYS)
        if entries is None:
            return _INVALID
        values = {name: self.text(k, v, _join(loc, name), required=True) for name, (k, v) in entries.items()}
        if any(v is _INVALID for v in values.values()):
            return _INVALID
        problems = len(self.problems)

        def blame(name: str, message: str) -> None:
            k, v = entries[name]
            self.add(_at(k, v), _join(loc, name), message)

        if "css" not in values and "regex" not in values and "json" not in values:
            self.add(_at(key, node), loc, "expected css, regex or json")
        if "json" in values:
            try:
                jmespath.compile(values["json"])
            except JMESPathError as e:
                why = getattr(e, "msg", None) or getattr(e, "message", None) or str(e).splitlines()[0]
                column = getattr(e, "lex_position", getattr(e, "lexer_position", None))
                blame("json", f"invalid JMESPath expression '{values['json']}': {why}"
                              + (f" (at column {column + 1})" if isinstance(column, int) else ""))
            if "css" in values:
                blame("json", "json and css cannot be combined (json reads the page's own calls, css its HTML)")
        if "css" in values:
            try:
                parse_selector(values["css"])
            except SelectorError as e:
                blame("css", str(e))
        elif "attr" in values:
            blame("attr", "attr needs css (the elements whose attribute to read)")
        if "regex" in values:
            try:
                re.compile(values["regex"])
            except re.error as e:
                blame("regex", f"invalid regular expression: {e}")
        if "format" in values:
            if field != "posts":
                blame("format", "format is only for posts (dates)")
            elif not _STRPTIME_DIRECTIVE.search(values["format"]):
                blame("format", f"no % directive in format '{values['format']}' "
                                "(a strptime format like '%Y-%m-%d %H:%M', or '%s' for Unix seconds)")
        return _INVALID if len(self.problems) > problems else values

    def identities(self, key: Node, node: Node, loc: str) -> Any:
        """The platform ids a row files (微信号, 原始ID, UID...); each checked for its form."""
        entries = self.mapping(key, node, loc, ID_KEYS)
        if entries is None:
            return _INVALID
        values: dict[str, Any] = {}
        for name, (k, v) in entries.items():
            text = self.text(k, v, _join(loc, name), required=False)
            if text is _INVALID or text is None:
                values[name] = text
                continue
            form = ID_FORMS.get(name)
            if name == "wechat_id" and ID_FORMS["gh_id"][0].fullmatch(text):
                self.add(_at(k, v), _join(loc, name), f"'{text}' is a 原始ID, not a 微信号: file it as gh_id")
                values[name] = _INVALID
                continue
            if form and not form[0].fullmatch(text):
                self.add(_at(k, v), _join(loc, name), f"not a valid {IDENTITY_LABELS[name]} '{text}' (expected {form[1]})")
                values[name] = _INVALID
                continue
            values[name] = {"appstore_id": text.removeprefix("id"), "gh_id": text.lower()}.get(name, text)
        if any(v is _INVALID for v in values.values()):
            return _INVALID
        return {name: value for name, value in values.items() if value is not None}

    def site(self, key: Node, node: Node, loc: str) -> Any:
        value = self.text(key, node, loc, required=False)
        if value in (_INVALID, None):
            return value
        if value.lower() not in SITES:
            self.add(_at(key, node), loc, f"unknown site '{value}' (expected {', '.join(SITES)})")
            return _INVALID
        return value.lower()

    def check_identity(self, loc: str, node: Node, entries: _Entries, values: dict[str, Any]) -> None:
        """ids and site fit the platform; a web account names at least a link, an id or its site
        (the other platforms can be searched for by name)."""
        platform = values.get("platform")
        ids = values.get("ids") if isinstance(values.get("ids"), dict) else {}
        if platform in (None, _INVALID):
            return
        if "ids" in entries and isinstance(entries["ids"][1], MappingNode):
            # Every key as written, so a misplaced id is reported even beside an invalid one.
            written = [k.value for k, _ in entries["ids"][1].value if isinstance(k, ScalarNode)]
            for name in (name for name in written if name in PLATFORM_OF_ID):
                if PLATFORM_OF_ID[name] != platform:
                    self.add(self.id_line(entries["ids"], name), f"{loc}.ids.{name}",
                             f"{IDENTITY_LABELS[name]} is for platform {PLATFORM_OF_ID[name]}, not {platform} "
                             f"(ids of {platform}: {', '.join(IDENTITY_KEYS[platform])})")
                    values["ids"] = _INVALID
        if values.get("site") not in (None, _INVALID) and platform != "web":
            k, v = entries["site"] if "site" in entries else (node, node)
            self.add(_at(k, v), f"{loc}.site", "site is only for platform web")
            values["site"] = _INVALID
        site, named = values.get("site"), [name for name in ids if name in SITES]
        if isinstance(site, str) and named and named != [site]:
            k, v = entries["site"] if "site" in entries else (node, node)
            self.add(_at(k, v), f"{loc}.site", f"site '{site}' does not match ids ({', '.join(named)})")
            values["site"] = _INVALID
        if platform == "web" and "urls" not in values and "ids" not in values and "site" not in values:
            self.add(_line(node), f"{loc}.urls",
                     "required field missing (platform web needs urls, or ids/site naming the platform)")
            values["urls"] = _INVALID

    @staticmethod
    def id_line(pair: tuple[Node, Node], name: str) -> int:
        """The line of one key inside ids (the mapping's own line when not found)."""
        key, node = pair
        if isinstance(node, MappingNode):
            for k, _ in node.value:
                if isinstance(k, ScalarNode) and k.value == name:
                    return _line(k)
        return _at(key, node)

    def boolean(self, key: Node, node: Node, loc: str) -> Any:
        if isinstance(node, ScalarNode) and node.tag == _BOOL_TAG:
            return SafeConstructor().construct_yaml_bool(node)
        self.add(_at(key, node), loc, "expected true or false")
        return _INVALID


_REQUIRED = ("id", "name", "platform", "owner")

#: How each account field is validated; every validator reports its own problems.
_FIELDS: dict[str, Callable[[_Checker, Node, Node, str], Any]] = {
    "id": _Checker.account_id,
    "name": lambda c, k, n, loc: c.text(k, n, loc, required=True),
    "platform": _Checker.platform,
    "owner": lambda c, k, n, loc: c.text(k, n, loc, required=True),
    "certified_as": lambda c, k, n, loc: c.text(k, n, loc, required=False),
    "region": lambda c, k, n, loc: c.text(k, n, loc, required=False),
    "urls": _Checker.urls,
    "ids": _Checker.identities,
    "site": _Checker.site,
    "interaction": lambda c, k, n, loc: c.url(k, n, loc, required=False),
    "feed": lambda c, k, n, loc: c.url(k, n, loc, required=False),
    "extract": _Checker.extract,
}
