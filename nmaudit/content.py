"""Content pre-screening (错敏信息与个人信息预警): what inspectors look for in the posts.

Pure: texts in, suspected hits out. Every hit is "疑似", for a person to decide; nothing here
touches a verdict. Checks:

- personal information: resident ID numbers (checksum and a plausible birth date), mainland
  mobile numbers, bank card numbers (Luhn), masked wherever they are shown;
- 错误表述: a dictionary of wrong formulations (YAML the office keeps; a small bundled default);
- sensitive words: only a list the office supplies (nothing bundled);
- commercial advertising: links to shop and marketing domains, "扫码领取" style wording.

Dictionary matching runs one Aho–Corasick automaton (pyahocorasick) over the text folded by
NFKC (full-width letters and digits become half-width), lower-cased and with whitespace
removed, so "ＮＰＣ 常委会" matches "npc常委会"; every hit maps back to the original characters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from functools import lru_cache
from typing import Iterable, Optional
from urllib.parse import urlsplit

import ahocorasick
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import UsageError
from .models import ContentHit, Observation, SeenText

from .folding import fold, folded
from .personal import mask, personal_information

# -- the office's lists --------------------------------------------------------------------------


class WordingEntry(BaseModel):
    """One 错误表述: the wrong form, the correct one if there is one, why, and where it comes from."""

    model_config = ConfigDict(extra="forbid")

    wrong: str = Field(min_length=1)
    correct: Optional[str] = None
    note: Optional[str] = None
    source: Optional[str] = None


#: Shops and marketing pages (the office may replace the list): Taobao and its short links,
#: Tmall, JD, Pinduoduo, Youzan and Weidian storefronts.
DEFAULT_AD_DOMAINS = ["taobao.com", "tb.cn", "tmall.com", "jd.com", "3.cn", "pinduoduo.com", "yangkeduo.com",
                      "youzan.com", "weidian.com"]
#: Wording of sales and giveaway promotions.
DEFAULT_AD_PHRASES = ["扫码领取", "扫码购买", "扫码下单", "领取优惠券", "限时抢购", "加微信领取", "点击链接购买",
                      "进店领券"]


class ScreeningConfig(BaseModel):
    """The office's screening settings (`nmaudit audit --screening FILE`, YAML)."""

    model_config = ConfigDict(extra="forbid")

    #: Use the bundled 错误表述 list (nmaudit/data/wording.yaml) besides the office's own.
    default_wording: bool = True
    wording: list[WordingEntry] = Field(default_factory=list)
    #: Sensitive words: the office's list only; nothing is bundled.
    sensitive: list[str] = Field(default_factory=list)
    ad_domains: list[str] = Field(default_factory=lambda: list(DEFAULT_AD_DOMAINS))
    ad_phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_AD_PHRASES))


def _problems(error: ValidationError, path: str) -> list[str]:
    return [f"{path}: {'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()]


def default_wording() -> list[WordingEntry]:
    """The bundled 错误表述 list, each entry with its public source."""
    raw = yaml.safe_load(resources.files("nmaudit.data").joinpath("wording.yaml").read_text("utf-8"))
    return [WordingEntry.model_validate(entry) for entry in raw["entries"]]


def _word_list(value: object, base: Path, field_name: str, path: str) -> object:
    """A list may be written inline or as a file beside the config: YAML, or text one per line."""
    if not isinstance(value, str):
        return value
    target = base / value
    try:
        written = target.read_text("utf-8-sig")
    except OSError as error:
        raise UsageError(f"{path}: {field_name}: cannot read {target}: {error.strerror}") from None
    if target.suffix.lower() in (".yaml", ".yml"):
        loaded = yaml.safe_load(written)
        return loaded.get("entries", loaded) if isinstance(loaded, dict) else loaded
    return [line.strip() for line in written.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def load_config(path: Optional[str]) -> ScreeningConfig:
    """The office's settings from `path`, or the defaults when None."""
    if path is None:
        return ScreeningConfig()
    try:
        raw = yaml.safe_load(Path(path).read_text("utf-8-sig")) or {}
    except OSError as error:
        raise UsageError(f"{path}: cannot read the screening settings: {error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise UsageError(f"{path}{where}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a mapping (default_wording, wording, sensitive, ad_domains, ad_phrases)")
    base = Path(path).parent
    for name in ("wording", "sensitive", "ad_domains", "ad_phrases"):
        if name in raw:
            raw[name] = _word_list(raw[name], base, name, path)
    try:
        return ScreeningConfig.model_validate(raw)
    except ValidationError as error:
        raise UsageError("\n".join(_problems(error, path))) from None


# -- screening ---------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s<>\"'，。；、）)]*)?", re.IGNORECASE)


class _Split(dict):
    """str.translate table writing each character as two symbols, its code point's high part and
    its low byte. pyahocorasick looks a node's children up one by one, and a Chinese dictionary
    gives the root thousands of them; split, no node has more than 256 (measured: 4-5x faster
    on 1,000,000 characters against 10,000 entries). Matches at odd offsets straddle two
    characters and are dropped."""

    def __missing__(self, code: int) -> str:
        return chr(code >> 8) + chr(code & 0xFF)


@lru_cache(maxsize=1)
def _split_table() -> _Split:
    table = _Split()
    for code in range(0x10000):
        table[code] = table.__missing__(code)
    return table


def _split(text: str) -> str:
    # UTF-16 big-endian is exactly this split for the Basic Multilingual Plane, at codec speed.
    if not text or max(text) <= "\uffff":
        return text.encode("utf-16-be").decode("latin-1")
    return text.translate(_split_table())


@dataclass(frozen=True)
class Term:
    rule: str  # wording | sensitive | ad-wording
    written: str  # as the list writes it
    correct: Optional[str] = None
    note: Optional[str] = None
    correct_folded: str = ""  # the correct form, folded, when it contains the wrong one


@dataclass(frozen=True)
class Raw:
    """A hit before it becomes a ContentHit: where in the original text, and what it means."""

    rule: str
    start: int
    end: int
    matched: str
    correct: Optional[str] = None
    note: Optional[str] = None


class Screener:
    """One automaton over every dictionary term; reusable across accounts and threads (read-only)."""

    def __init__(self, config: ScreeningConfig | None = None):
        config = config or ScreeningConfig()
        entries = [*(default_wording() if config.default_wording else []), *config.wording]
        self.automaton = ahocorasick.Automaton()
        terms: dict[str, list[Term]] = {}
        for entry in entries:
            wrong = folded(entry.wrong)
            correct = folded(entry.correct or "")
            terms.setdefault(wrong, []).append(Term(
                "wording", entry.wrong, entry.correct, entry.note, correct if wrong in correct else ""))
        for word in config.sensitive:
            terms.setdefault(folded(word), []).append(Term("sensitive", word))
        for phrase in config.ad_phrases:
            terms.setdefault(folded(phrase), []).append(Term("ad-wording", phrase))
        for key, found in terms.items():
            if key:
                self.automaton.add_word(_split(key), (len(key), tuple(found)))
        self.size = len(terms)
        if self.size:
            self.automaton.make_automaton()
        self.ad_domains = [domain.lower().lstrip(".") for domain in config.ad_domains if domain.strip()]

    def dictionary_hits(self, text: str) -> list[Raw]:
        """Dictionary terms in `text`: folded matching, spans in the original text."""
        if not self.size:
            return []
        plain, index = fold(text)
        hits = []
        for split_end, (length, found) in self.automaton.iter(_split(plain)):
            split_start = split_end + 1 - 2 * length
            if split_start % 2:
                continue  # straddles two characters
            first, last = split_start // 2, split_end // 2
            start, end = index[first], index[last] + 1
            for term in found:
                if term.correct_folded and self._reads_correct(plain, first, length, term):
                    continue
                hits.append(Raw(term.rule, start, end, text[start:end], term.correct, term.note))
        return hits

    @staticmethod
    def _reads_correct(plain: str, first: int, length: int, term: Term) -> bool:
        """The wrong form found inside the correct one (a correct form may contain the wrong one)."""
        wrong = plain[first:first + length]
        offset = term.correct_folded.find(wrong)
        while offset >= 0:
            if plain[first - offset:first - offset + len(term.correct_folded)] == term.correct_folded:
                return True
            offset = term.correct_folded.find(wrong, offset + 1)
        return False

    def is_ad_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.ad_domains)

    def ad_links(self, text: str, links: Iterable[str]) -> list[Raw]:
        """Links to shops and marketing pages: written in the text, or behind its links."""
        hits = []
        plain, index = fold(text, keep_space=True)
        seen = set()
        for match in _URL.finditer(plain):
            written = match.group()
            host = urlsplit(written if "://" in written else "//" + written).hostname or ""
            if self.is_ad_host(host):
                start, end = index[match.start()], index[match.end() - 1] + 1
                hits.append(Raw("ad-link", start, end, text[start:end]))
                seen.add(host)
        for link in links:
            host = urlsplit(link).hostname or ""
            if self.is_ad_host(host) and link not in text:
                hits.append(Raw("ad-link", 0, 0, link))  # behind a link: nowhere in the visible text
        return hits

    def screen_text(self, text: str, links: Iterable[str] = (), today: Optional[date] = None) -> list[Raw]:
        """Every suspected problem in one text, in text order (unmasked)."""
        found = [Raw(span.rule, span.start, span.end, text[span.start:span.end])
                 for span in personal_information(text, today or date.today())]
        found += self.dictionary_hits(text)
        found += self.ad_links(text, links)
        unique = {(hit.rule, hit.start, hit.end, hit.matched): hit for hit in found}
        # Links behind the text (no position) after those in it.
        return sorted(unique.values(), key=lambda hit: (hit.end == 0, hit.start, hit.end, hit.rule))


SNIPPET_CONTEXT = 20


def hit_key(rule: str, text: str, matched: str, occurrence: int) -> str:
    """Stable across runs while the text is the same: normalised text, rule, normalised match.
    `text` is given folded already (see `folded`)."""
    material = "\x00".join((rule, text, folded(matched), str(occurrence)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def snippet(masked: str, start: int, end: int) -> str:
    """The hit with some text either side, on one line."""
    before = max(0, start - SNIPPET_CONTEXT)
    after = min(len(masked), end + SNIPPET_CONTEXT)
    return ("…" if before else "") + " ".join(masked[before:after].splitlines()) + ("…" if after < len(masked) else "")


def screen(texts: list[SeenText], screener: Screener, today: Optional[date] = None) -> tuple[list[SeenText], list[ContentHit]]:
    """The texts with personal information masked, and every hit in them (masked too)."""
    today = today or date.today()
    masked_texts: list[SeenText] = []
    hits: list[ContentHit] = []
    for position, item in enumerate(texts):
        masked = mask(item.text, today)
        masked_texts.append(item.model_copy(update={
            "text": masked, "title": mask(item.title, today) if item.title else item.title}))
        occurrences: dict[tuple[str, str], int] = {}
        # Without its line breaks: keys stay what they were when blocks were joined by spaces
        # (folded away), so staff decisions on earlier runs' hits still apply.
        normalised = folded(item.text).replace("\n", "")
        for raw in screener.screen_text(item.text, item.links, today):
            shown = masked[raw.start:raw.end] if raw.end else raw.matched
            counted = (raw.rule, folded(raw.matched))
            occurrence = occurrences[counted] = occurrences.get(counted, -1) + 1
            hits.append(ContentHit(
                rule=raw.rule, key=hit_key(raw.rule, normalised, raw.matched, occurrence), matched=shown,
                correct=raw.correct, note=raw.note,
                snippet=snippet(masked, raw.start, raw.end) if raw.end else shown,
                text_index=position, start=raw.start, end=raw.end, kind=item.kind,
                url=item.url or item.source, title=masked_texts[-1].title, posted_at=item.posted_at,
            ))
    return masked_texts, hits


def screen_observation(observation: Observation, screener: Screener, today: Optional[date] = None) -> list[ContentHit]:
    """Screen what the observation saw and mask its texts in place (before it is stored)."""
    observation.texts, hits = screen(observation.texts, screener, today)
    return hits
