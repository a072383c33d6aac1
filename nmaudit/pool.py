"""A pool of remote browsers: which Playwright browser servers a run uses, and how many pages each.

Each endpoint is its own egress address, so each gets its own browser session (its own host
pacing, cool-downs and captcha halts); the audit loop (audit.py) runs a lane of workers per
endpoint over one scheduler, one store and one run. Without endpoints the run has one lane:
the local Chromium, exactly as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence
from urllib.parse import urlsplit, urlunsplit

from .errors import UsageError

#: Environment variables a proxy's credentials are read from (never from a file nmaudit reads).
PROXY_USERNAME_ENV = "NMAUDIT_PROXY_USERNAME"
PROXY_PASSWORD_ENV = "NMAUDIT_PROXY_PASSWORD"


@dataclass(frozen=True)
class Endpoint:
    """A Playwright browser server (`playwright run-server`), with the pages it works at once."""

    url: str
    pages: Optional[int] = None  # None: --pages-per-endpoint
    proxy: Optional[str] = None  # this endpoint's own proxy (its context's egress)


def check_endpoint_url(url: str) -> str:
    """A ws:// or wss:// URL with a host, as the browser server prints it; the reason otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a browser server address (ws://host:port/path): {url!r}")
    if parts.username or parts.password:
        raise ValueError("credentials do not belong in an endpoint address")
    return url.strip()


def check_proxy_url(url: str) -> str:
    """http://, https:// or socks5:// with a host and no credentials in it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", "socks5") or not parts.hostname:
        raise ValueError(f"not a proxy address (http://host:port or socks5://host:port): {url!r}")
    if parts.username or parts.password:
        raise ValueError(f"proxy credentials come from ${PROXY_USERNAME_ENV} and ${PROXY_PASSWORD_ENV}, "
                         "never from an address or a file")
    return url.strip()


def read_endpoints_file(path: str) -> list[Endpoint]:
    """Endpoints from a text file: one `ws://host:port/path [pages=N] [proxy=URL]` a line,
    blank lines and `#` comments ignored. UsageError names the file, the line and why."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the endpoints file ({error})") from None
    endpoints = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        try:
            url = check_endpoint_url(words[0])
            settings: dict[str, str] = {}
            for word in words[1:]:
                name, equals, value = word.partition("=")
                if not equals or name not in ("pages", "proxy") or name in settings:
                    raise ValueError(f"{word!r}: expected pages=N or proxy=URL, once each")
                settings[name] = value
            pages = None
            if "pages" in settings:
                if not settings["pages"].isdigit() or not 1 <= int(settings["pages"]) <= 64:
                    raise ValueError(f"pages={settings['pages']}: a whole number from 1 to 64")
                pages = int(settings["pages"])
            proxy = check_proxy_url(settings["proxy"]) if "proxy" in settings else None
        except ValueError as error:
            raise UsageError(f"{path}, line {number}: {error}") from None
        endpoints.append(Endpoint(url=url, pages=pages, proxy=proxy))
    if not endpoints:
        raise UsageError(f"{path}: no endpoints in the file")
    return endpoints


def playwright_proxy(url: Optional[str], environ: Optional[dict[str, str]] = None) -> Optional[dict[str, str]]:
    """Playwright's proxy setting for `url`, with credentials from the environment (if set)."""
    if not url:
        return None
    environ = os.environ if environ is None else environ
    proxy = {"server": url}
    if username := environ.get(PROXY_USERNAME_ENV):
        proxy["username"] = username
        proxy["password"] = environ.get(PROXY_PASSWORD_ENV, "")
    return proxy


def redact(url: str) -> str:
    """An address as it may be shown and stored: without a query (tokens travel there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def lane_har_path(har: str, lane: int) -> str:
    """Where lane `lane` (1-based) records its part of the run's HAR: run.har -> run.e2.har."""
    path = Path(har)
    return str(path.with_name(f"{path.stem}.e{lane}{path.suffix}"))


def merge_hars(parts: Iterable[str], target: str) -> Optional[str]:
    """One HAR of every endpoint's recording, entries in time order, so `--replay` serves the
    whole run from one file; the parts are removed once the merged file is written. None when
    no part was readable (every endpoint died before writing one)."""
    logs: list[dict[str, Any]] = []
    readable: list[Path] = []
    for part in parts:
        try:
            logs.append(json.loads(Path(part).read_text(encoding="utf-8"))["log"])
            readable.append(Path(part))
        except (OSError, ValueError, KeyError):
            continue  # a browser that died mid-write leaves no readable HAR
    if not logs:
        return None
    merged = dict(logs[0])
    merged["pages"] = [page for log in logs for page in log.get("pages", [])]
    merged["entries"] = sorted((entry for log in logs for entry in log.get("entries", [])),
                               key=lambda entry: entry.get("startedDateTime", ""))
    notes = [log.get("_nmaudit") or {} for log in logs]
    merged["_nmaudit"] = {**notes[0], "downloads": list(dict.fromkeys(
        url for note in notes for url in note.get("downloads", [])))}
    path = Path(target)
    temporary = path.with_suffix(path.suffix + ".part")
    temporary.write_text(json.dumps({"log": merged}, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
    for part in readable:
        if part != path:
            part.unlink(missing_ok=True)
    return str(path)


def split_proxy_option(value: str, routes: Sequence[str]) -> tuple[Optional[str], str]:
    """A --proxy value: `URL` (every request) or `PLATFORM=URL` (one platform's accounts:
    wechat, weibo, app, web, or a site of platform web such as douyin); ValueError says why not."""
    key, equals, rest = value.partition("=")
    if not equals or "://" in key:
        return None, check_proxy_url(value)
    key = key.strip().lower()
    if key not in routes:
        raise ValueError(f"unknown platform {key!r} before '=' (one of: {', '.join(routes)})")
    return key, check_proxy_url(rest.strip())
