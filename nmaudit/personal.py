"""Personal information in a text (个人信息): resident ID numbers (GB 11643: a province code, a
real birth date, the ISO 7064 MOD 11-2 check character), bank card numbers (a card prefix and
Luhn), mainland mobile numbers; found on the folded text (full-width digits too) and masked
wherever a text is stored or shown. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Optional

from .folding import fold

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
    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS))  # the first 17
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
        total += value  # pragma: no mutate (-= is equivalent: -x and x are multiples of 10 together)
    return total % 10 == 0


#: Card numbers China's banks issue: UnionPay (62), Visa (4), Mastercard (51-55). Other digit
#: runs that pass Luhn (order and tracking numbers) are too common to report.
_CARD_PREFIXES = ("62", "4", "51", "52", "53", "54", "55")


@dataclass(frozen=True)  # pragma: no mutate (frozen only guards against callers changing a span)
class Span:
    rule: str
    start: int  # in the original text
    end: int
    keep_head: int  # digits left visible at each end when masked
    keep_tail: int


@lru_cache(maxsize=32)  # pragma: no mutate (a cache: screening and masking look for the same numbers)
def personal_information(text: str, today: date) -> tuple[Span, ...]:
    """ID numbers, bank cards and mobile numbers in `text` (full-width digits too), without overlaps."""
    plain, index = fold(text, keep_space=True)
    spans: list[Span] = []

    def taken(start: int, end: int) -> bool:
        # <= in either place would be equivalent: every pattern is bounded by non-digits, so no
        # two numbers ever touch.
        return any(start < span.end and span.start < end for span in spans)  # pragma: no mutate

    def add(rule: str, match: re.Match, head: int, tail: int) -> None:
        start, end = index[match.start()], index[match.end() - 1] + 1
        if not taken(start, end):
            spans.append(Span(rule, start, end, head, tail))

    for match in _ID.finditer(plain):
        if valid_resident_id(match.group(), today):
            add("id-card", match, 4, 4)
    for match in _CARD.finditer(plain):
        digits = re.sub(r"[- ]", "", match.group())
        # _CARD takes 16 to 19 digits: a card prefix, Luhn, and not an ID number decide.
        if (digits.startswith(_CARD_PREFIXES) and luhn(digits)
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


