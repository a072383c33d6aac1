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
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from bisect import bisect_right
from functools import lru_cache
from typing import Iterable, Optional, Sequence
from urllib.parse import urlsplit

import ahocorasick
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import UsageError
from .models import ContentHit, Observation, SeenText

# -- folding ---------------------------------------------------------------------------------


#: Line breaks: each folds to "\n", which no term and no number pattern contains, so that a
#: match never spans two lines or paragraphs (texts keep a line per block: html.node_text).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_OTHER_BREAKS = re.compile("[" + LINE_BREAKS[1:] + "]")


def _fold_char(char: str, keep_space: bool) -> str:
    """One character folded: NFKC (full-width to half-width), lower case; a line break made "\n",
    other whitespace dropped (or made a plain space with `keep_space`), invisible format
    characters (zero-width space, BOM) dropped."""
    out = []
    for piece in unicodedata.normalize("NFKC", char).lower():
        if piece in LINE_BREAKS:
            out.append("\n")
        elif piece.isspace():
            if keep_space:
                out.append(" ")
        elif unicodedata.category(piece) != "Cf":
            out.append(piece)
    return "".join(out)


#: Folded where it matters: the Basic Multilingual Plane, the mathematical letters and the
#: enclosed alphanumerics (🄰); other astral characters (emoji, rare ideographs) stay as written.
_FOLDED_RANGES = (range(0x0000, 0xD800), range(0xE000, 0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1F200))


@lru_cache(maxsize=None)
def _fold_tables(keep_space: bool) -> tuple[dict[int, str], re.Pattern, re.Pattern]:
    """A str.translate table of every character that folds to something else, a pattern of those
    folded away (spaces, zero-width) and one of those that fold to several. Built once (~0.2 s)."""
    table: dict[int, str] = {}
    dropped: list[str] = []
    expanded: list[str] = []
    for block in _FOLDED_RANGES:
        for code in block:
            char = chr(code)
            folded = _fold_char(char, keep_space)
            if folded != char:
                table[code] = folded
                if len(folded) != 1:
                    (expanded if folded else dropped).append(re.escape(char))
    return table, re.compile("[" + "".join(dropped) + "]"), re.compile("[" + "".join(expanded) + "]")


_SPACE = re.compile(r"[^\S\n]")  # whitespace but the line break (the others are "\n" by then)


class _AroundDropped(Sequence[int]):
    """Folded position -> original position when characters were only dropped (no expansions):
    the p-th kept character is the least o with o = p + (characters dropped at or before o)."""

    def __init__(self, dropped: list[int], length: int):
        self.dropped, self.length = dropped, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, position):  # type: ignore[override]
        if position < 0:
            position += self.length
        if not 0 <= position < self.length:
            raise IndexError(position)
        original = position
        while (moved := position + bisect_right(self.dropped, original)) != original:
            original = moved
        return original


@lru_cache(maxsize=32)  # one text is folded for several checks in a row
def fold(text: str, keep_space: bool = False) -> tuple[str, Sequence[int]]:
    """`text` folded for matching (see `_fold_char`), and for each folded character the index
    of the original character it came from. One str.translate; the positions are worked out
    from where characters were dropped, or character by character only when one expanded.
    The result is shared: never change it."""
    table, dropped, expanded = _fold_tables(keep_space)
    lower = text.lower()
    # (Capital sigma lower-cases by context, "final sigma": character by character instead.)
    if len(lower) == len(text) and "\u03a3" not in text and unicodedata.is_normalized("NFKC", text):
        # Every character is its own NFKC form: folding is lower case, spaces and format
        # characters handled, in C (the common case: Chinese text with half-width punctuation).
        lower = _OTHER_BREAKS.sub("\n", lower)
        plain = dropped.sub("", _SPACE.sub(" ", lower) if keep_space else lower)
    else:
        plain = text.translate(table)
    if expanded.search(text):
        index: list[int] = []
        for position, char in enumerate(text):
            index.extend([position] * len(table.get(ord(char), char)))
        return plain, index
    gone = [match.start() for match in dropped.finditer(text)]
    return plain, (_AroundDropped(gone, len(plain)) if gone else range(len(text)))


def folded(text: str) -> str:
    return fold(text)[0]


# -- personal information ----------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10x98765432"
#: First two digits of a province-level code (GB/T 2260): 11-15, 21-23, 31-37, 41-46, 50-54, 61-65,
#: and 71 (Taiwan), 81, 82 (Hong Kong, Macao residence permits), 83 (Taiwan residents' permits).
_ID_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
_ID = re.compile(r"(?<![0-9a-z])\d{17}[0-9x](?![0-9a-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9])")
_CARD = re.compile(r"(?<![0-9])\d(?:[- ]?\d){15,18}(?![0-9])")


def id_birth_date(digits: str) -> Optional[date]:
    try:
        return date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return None


def valid_resident_id(number: str, today: date) -> bool:
    """18 characters: a province code, a real birth date from 1900 to `today`, the ISO 7064
    MOD 11-2 check character (GB 11643)."""
    number = number.lower()
    if len(number) != 18 or not number[:17].isdigit() or int(number[:2]) not in _ID_PROVINCES:
        return False
    born = id_birth_date(number)
    if born is None or not date(1900, 1, 1) <= born <= today:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def looks_like_resident_id(number: str) -> bool:
    """A province code and a real date where an ID number has them (check digit aside)."""
    return (len(number) == 18 and number[:17].isdigit() and int(number[:2]) in _ID_PROVINCES
            and id_birth_date(number) is not None)


def luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


#: Card numbers China's banks issue: UnionPay (62), Visa (4), Mastercard (51-55). Other digit
#: runs that pass Luhn (order and tracking numbers) are too common to report.
_CARD_PREFIXES = ("62", "4", "51", "52", "53", "54", "55")


@dataclass(frozen=True)
class Span:
    rule: str
    start: int  # in the original text
    end: int
    keep_head: int  # digits left visible at each end when masked
    keep_tail: int


@lru_cache(maxsize=32)  # screening a text and masking it look for the same numbers
def personal_information(text: str, today: date) -> tuple[Span, ...]:
    """ID numbers, bank cards and mobile numbers in `text` (full-width digits too), without overlaps."""
    plain, index = fold(text, keep_space=True)
    spans: list[Span] = []

    def taken(start: int, end: int) -> bool:
        return any(start < span.end and span.start < end for span in spans)

    def add(rule: str, match: re.Match, head: int, tail: int) -> None:
        start, end = index[match.start()], index[match.end() - 1] + 1
        if not taken(start, end):
            spans.append(Span(rule, start, end, head, tail))

    for match in _ID.finditer(plain):
        if valid_resident_id(match.group(), today):
            add("id-card", match, 4, 4)
    for match in _CARD.finditer(plain):
        digits = re.sub(r"[- ]", "", match.group())
        if (16 <= len(digits) <= 19 and digits.startswith(_CARD_PREFIXES) and luhn(digits)
                and not looks_like_resident_id(digits)):
            add("bank-card", match, 4, 4)
    for match in _MOBILE.finditer(plain):
        add("mobile", match, 3, 4)
    return tuple(sorted(spans, key=lambda span: span.start))


def _mask_span(text: str, span: Span) -> str:
    """The span's digits starred but for `keep_head` first and `keep_tail` last; separators and
    the length kept (so positions in the masked text are those of the original)."""
    piece = text[span.start:span.end]
    digits = [i for i, char in enumerate(piece) if unicodedata.normalize("NFKC", char).isalnum()]
    if span.rule == "mobile":
        digits = digits[-11:]  # a country code (+86) is not part of the number
    hidden = set(digits[span.keep_head:len(digits) - span.keep_tail])
    return "".join("*" if i in hidden else char for i, char in enumerate(piece))


def mask(text: str, today: Optional[date] = None) -> str:
    """`text` with every ID number, bank card and mobile number masked (3201**********1234)."""
    if not text:
        return text
    spans = personal_information(text, today or date.today())
    for span in reversed(spans):
        text = text[:span.start] + _mask_span(text, span) + text[span.end:]
    return text


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
