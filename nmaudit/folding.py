"""Text folded as people read it: full-width letters and digits as half-width, lower case,
whitespace dropped (or kept), every line break one "\n"; each folded character maps back to
the original text. Content screening and the personal-information checks match on it."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from typing import Sequence

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


