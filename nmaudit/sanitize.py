"""Untrusted text on its way out: one place that makes it safe for each kind of output.

Names, owners, posts and page titles come from the registry clerks and from the platforms;
either may carry terminal escape sequences, NULs, bidirectional overrides or text that a
spreadsheet reads as a formula. Every output calls one of these:

- ``visible``: terminal, logs and error messages. Control characters (C0, DEL, C1) and
  bidirectional controls are shown as escapes (``\\x1b``, ``\\u202e``), so nothing can move
  the cursor, recolour the screen, hide text or break a line; everything else is untouched.
- ``terminal``: text of several lines for a terminal: like ``visible``, the newline and tab kept.
  The command line prints every line through it (``cli.TerminalConsole``, ``cli.say``).
- ``spreadsheet``: CSV and xlsx cells. Text a spreadsheet would read as a formula (``=``,
  ``+``, ``-``, ``@``, TAB or CR first; OWASP's list, with the full-width forms Excel also
  honours) gets a leading ``'``; characters XML cannot carry are shown as escapes.
- ``xml_text``: characters XML 1.0 cannot carry at all become escapes (xlsx).

HTML (autoescaped templates) and Markdown (``report.md``) keep escaping as they do.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates
#: (U+202A-U+202E, U+2066-U+2069) and marks that can reorder what is displayed.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Characters the XML 1.0 an xlsx is written in cannot hold, even escaped.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: A cell whose text begins with one of these is a formula to Excel, LibreOffice and WPS.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: Any) -> str:
    """One line of text for a terminal or a log: every control character shown as an escape."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(_escape, text)


def terminal(value: Any) -> str:
    """Lines for a terminal: every control character shown as an escape, except the newline and
    the tab (columns of a listing; neither can move back over, hide or recolour text)."""
    text = "" if value is None else str(value)
    return _TERMINAL_UNSAFE.sub(_escape, text)


_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def xml_text(value: str) -> str:
    """Text an xlsx (XML) cell can hold: characters XML refuses are shown as escapes."""
    return _XML_UNSAFE.sub(_escape, value)


def neutralise_formula(text: str) -> str:
    """Text that no spreadsheet reads as a formula: a leading ``'`` where it would be one."""
    return "'" + text if text.startswith(FORMULA_START) else text


def spreadsheet(value: Any) -> Any:
    """A CSV or xlsx cell: text neutralised and made XML-safe; numbers, dates and None as they are."""
    if not isinstance(value, str):
        return value
    return neutralise_formula(xml_text(value))
