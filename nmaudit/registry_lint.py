"""Hints about a valid registry that inspections flag (inspection-rules.md), one per line.

Not errors: the audit runs either way. What is looked for: one owner with several accounts
on one platform (同一平台重复开设), a name that shares nothing with its owner unit (名称规范),
accounts marked closed that are still listed, and missing certification subjects.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .models import PLATFORM_LABELS, SITES, Account
from .registry import load_registry
from .rules import normalise

#: Words every government unit or account name may contain: sharing them says nothing.
GENERIC_WORDS = (
    "人民政府", "政府", "办公室", "办公厅", "委员会", "管理局", "人民", "发布", "政务", "官方", "微博", "微信",
    "公众号", "客户端", "在线", "服务", "中心", "新闻", "融媒体", "信息", "中国",
)
GENERIC_CHARS = set("省市区县州盟旗乡镇街道村局委办厅处科所站队院会部中心的之号")
#: A closed account as `registry import --keep-closed` marks it, or as a clerk writes it.
CLOSED_MARK = re.compile(r"#.*运行状态\s*[:：]\s*(已?(?:关停|注销|停用|关闭))")
CLOSED_NAME = re.compile(r"已(?:关停|注销|停用)")


@dataclass(frozen=True)
class Hint:
    line: int
    index: int
    account_id: str
    message: str

    def format(self, file: str) -> str:
        return f"{file}:{self.line}: accounts[{self.index}] {self.account_id}: {self.message}"


def _meaningful(text: str) -> set[str]:
    """The Chinese characters of a name that can identify a unit (generic words removed)."""
    text = unicodedata.normalize("NFKC", text)
    for word in GENERIC_WORDS:
        text = text.replace(word, " ")
    return {c for c in text if "\u4e00" <= c <= "\u9fff" and c not in GENERIC_CHARS}


def _platform_key(account: Account) -> tuple[str, str]:
    """Accounts on one platform: the same platform, and for 其他 (web) the same site."""
    if account.platform != "web":
        return account.platform, ""
    if not account.urls:  # filed by its id or site alone (抖音号, 头条号)
        return account.platform, SITES.get(account.site_key or "", "")
    host = (urlsplit(account.urls[0]).hostname or "").removeprefix("www.").removeprefix("m.")
    return account.platform, host


def _label(account: Account) -> str:
    platform, host = _platform_key(account)
    return f"{PLATFORM_LABELS[platform]}（{host}）" if host else PLATFORM_LABELS[platform]


def _spans(accounts: list[Account], line_count: int) -> list[range]:
    """The lines of each account's entry: from its first line to the next entry's."""
    starts = [a.line for a in accounts] + [line_count + 1]
    return [range(start, end) for start, end in zip(starts, starts[1:])]


def lint_registry(path: str | Path) -> list[Hint]:
    """Hints for a registry file, in line order. RegistryError when the file is invalid."""
    registry = load_registry(path)
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    accounts = registry.accounts
    hints: list[Hint] = []

    def hint(index: int, message: str) -> None:
        hints.append(Hint(accounts[index].line, index, accounts[index].id, message))

    first_on_platform: dict[tuple[str, str, str], int] = {}
    for index, (account, span) in enumerate(zip(accounts, _spans(accounts, len(lines)))):
        key = (normalise(account.owner), *_platform_key(account))
        first = first_on_platform.setdefault(key, index)
        if first != index:
            earlier = accounts[first]
            hint(index, f"同一平台重复开设：{account.owner}在{_label(account)}已有账号“{earlier.name}”"
                        f"（第{earlier.line}行）")

        identity = _meaningful(account.name)
        unit = _meaningful(" ".join(filter(None, (account.owner, account.region, account.certified_as))))
        if identity and not identity & unit:
            hint(index, f"名称规范：账号名称“{account.name}”与主办单位“{account.owner}”没有共同的字词")

        marked = [m.group(1) for n in span if n - 1 < len(lines) and (m := CLOSED_MARK.search(lines[n - 1]))]
        if marked or CLOSED_NAME.search(account.name):
            state = marked[0] if marked else CLOSED_NAME.search(account.name).group(0)
            hint(index, f"运行状态为{state}，仍列在登记表中：关停、注销的账号应从检查名单中移除")

        if not account.certified_as:
            hint(index, "未填认证主体（certified_as）：无法核对认证主体是否变更未报备")
    return sorted(hints, key=lambda h: (h.line, h.index))
