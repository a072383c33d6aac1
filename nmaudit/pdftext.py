"""Make a printed notice's PDF text the notice's text: unified ideographs, not radicals.

CJK fonts such as Noto Sans CJK draw a Kangxi radical (U+2F00–U+2FDF) or a CJK radical
(U+2E80–U+2EFF) and its unified ideograph with one glyph: 一 and ⼀, 日 and ⽇, 页 and ⻚.
Chromium's PDF writer gives each glyph one Unicode value in the font's ToUnicode map, and it
picks the radical, so the PDF's text (copied into an OA system, searched, extracted) reads
"截⾄2026年11⽉" where the page said "截至2026年11月".

``restore_ideographs`` rewrites those ToUnicode entries. Which ideograph a glyph stands for is
read from the font that drew it: the PDF names each glyph by its id in that font (Chromium's
Type3 glyph names ``/g<hex id>``, or the CID of an Identity-encoded font), fontconfig lists the
installed faces that hold the radical, and the face whose cmap maps the radical to that same
glyph id tells which unified ideographs it maps there too (fontTools reads the cmap). When a
glyph serves more than one ideograph, the one the notice's own text uses is taken. A radical
no installed face explains is left as it is. Nothing but the ToUnicode maps changes: the
glyphs, the layout and the vector drawing stay as printed.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from functools import lru_cache
from typing import Callable, Iterable, Optional

import pypdf
import pypdf.errors
from pypdf.generic import DictionaryObject, IndirectObject, NameObject, StreamObject

#: The radicals that share glyphs with unified ideographs.
RADICALS = range(0x2E80, 0x2FE0)
#: What fontconfig is asked for first: the notice's fonts (its CSS), for Simplified Chinese.
FAMILIES = "Noto Sans CJK SC,Source Han Sans SC,Microsoft YaHei,PingFang SC,sans-serif:lang=zh-cn"
MAX_FACES = 40

_HEX = r"<([0-9A-Fa-f]+)>"
_BFCHAR = re.compile(r"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(r"beginbfrange(.*?)endbfrange", re.S)
_CODESPACE = re.compile(r"begincodespacerange(.*?)endcodespacerange", re.S)


def is_radical(char: str) -> bool:
    return len(char) == 1 and ord(char) in RADICALS


def is_unified(code_point: int) -> bool:
    """CJK unified ideographs (basic, extension A, B onwards) and the compatibility block."""
    return (0x4E00 <= code_point <= 0x9FFF or 0x3400 <= code_point <= 0x4DBF or 0x20000 <= code_point <= 0x3FFFF
            or 0xF900 <= code_point <= 0xFAFF)


# -- ToUnicode maps ---------------------------------------------------------------------------------


def _text(hex_digits: str) -> str:
    data = bytes.fromhex(hex_digits if len(hex_digits) % 4 == 0 else hex_digits.zfill(len(hex_digits) + 2))
    return data.decode("utf-16-be", errors="replace")


def _hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def parse_cmap(data: str) -> tuple[dict[int, str], int]:
    """A ToUnicode CMap's mappings (code -> text) and its code length in bytes."""
    mapping: dict[int, str] = {}
    width = 1
    for block in _CODESPACE.findall(data):
        codes = re.findall(_HEX, block)
        if codes:
            width = max(len(code) for code in codes) // 2
    for block in _BFCHAR.findall(data):
        pairs = re.findall(_HEX + r"\s*" + _HEX, block)
        for code, text in pairs:
            mapping[int(code, 16)] = _text(text)
    for block in _BFRANGE.findall(data):
        for low, high, rest in re.findall(_HEX + r"\s*" + _HEX + r"\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block):
            low_code, high_code = int(low, 16), int(high, 16)
            if rest.startswith("["):
                for offset, text in enumerate(re.findall(_HEX, rest)):
                    mapping[low_code + offset] = _text(text)
            else:
                first = _text(rest[1:-1])
                for offset in range(high_code - low_code + 1):
                    mapping[low_code + offset] = first[:-1] + chr(ord(first[-1]) + offset) if first else ""
    return mapping, width


def write_cmap(mapping: dict[int, str], width: int) -> bytes:
    """A ToUnicode CMap of single-code mappings (at most 100 per block, as the format asks)."""
    digits = width * 2
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", f"<{'0' * digits}> <{'F' * digits}>", "endcodespacerange"]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{code:0{digits}X}> <{_hex(text)}>" for code, text in chunk)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


# -- which glyph a code draws ------------------------------------------------------------------------


def _glyph_ids(font: DictionaryObject) -> Optional[Callable[[int], Optional[int]]]:
    """Code -> glyph id in the font program the glyph came from; None when the font does not say."""
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        differences = encoding.get("/Differences") if isinstance(encoding, DictionaryObject) else None
        if differences is None:
            return None
        ids: dict[int, int] = {}
        code = 0
        for entry in differences:
            entry = entry.get_object() if isinstance(entry, IndirectObject) else entry
            if isinstance(entry, (int, float)) and not isinstance(entry, NameObject):
                code = int(entry)
                continue
            match = re.fullmatch(r"/g([0-9A-Fa-f]+)", str(entry))
            if match:
                ids[code] = int(match.group(1), 16)
            code += 1
        return ids.get
    if subtype == "/Type0" and font.get("/Encoding") == "/Identity-H":
        return lambda code: code  # the code is the CID, and Chromium's CIDs are glyph ids
    return None


# -- which ideograph a glyph draws ------------------------------------------------------------------


@lru_cache(maxsize=None)
def _faces(code_point: int) -> tuple[tuple[str, int], ...]:
    """Installed font faces holding ``code_point``, the notice's fonts first (fontconfig)."""
    tool = shutil.which("fc-match")
    if tool is None:
        return ()
    try:
        listing = subprocess.run(
            [tool, "-s", "--format", "%{file}|%{index}\n", f"{FAMILIES}:charset={code_point:x}"],
            capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    faces = []
    for line in listing.splitlines():
        path, _, index = line.rpartition("|")
        if path and path.lower().endswith((".ttc", ".otc", ".otf", ".ttf")) and index.isdigit():
            faces.append((path, int(index)))
    return tuple(dict.fromkeys(faces))[:MAX_FACES]


@lru_cache(maxsize=64)
def _face(path: str, index: int) -> Optional[tuple[dict[int, str], list[str], dict[str, list[int]]]]:
    """A face's cmap, glyph order and glyph -> code points, or None when it cannot be read."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(path, fontNumber=index, lazy=True)
        cmap = font.getBestCmap() or {}
        order = font.getGlyphOrder()
    except (OSError, TTLibError, KeyError, ValueError, AssertionError, IndexError):
        return None
    reverse: dict[str, list[int]] = {}
    for code_point, name in cmap.items():
        reverse.setdefault(name, []).append(code_point)
    return cmap, order, reverse


def ideograph_for(radical: str, glyph_id: int, used: Iterable[str] = ()) -> Optional[str]:
    """The unified ideograph the installed face that drew ``glyph_id`` maps to the radical's
    glyph; of several, one the notice's text uses. None when no face explains the glyph."""
    used = set(used)
    for path, index in _faces(ord(radical)):
        face = _face(path, index)
        if face is None:
            continue
        cmap, order, reverse = face
        name = cmap.get(ord(radical))
        if name is None or glyph_id >= len(order) or order[glyph_id] != name:
            continue
        candidates = sorted((chr(cp) for cp in reverse.get(name, ()) if is_unified(cp)),
                            key=lambda c: (c not in used, not 0x4E00 <= ord(c) <= 0x9FFF, ord(c)))
        if candidates:
            return candidates[0]
    return None


# -- the PDF ---------------------------------------------------------------------------------------


def _fonts(resources: DictionaryObject, seen: set[int]) -> Iterable[DictionaryObject]:
    """The fonts of a resource dictionary and of the forms and Type3 glyphs it holds."""
    if not isinstance(resources, DictionaryObject) or id(resources) in seen:
        return
    seen.add(id(resources))
    fonts = resources.get("/Font")
    for font in (fonts.get_object().values() if fonts is not None else ()):
        font = font.get_object()
        yield font
        if font.get("/Resources") is not None:
            yield from _fonts(font["/Resources"].get_object(), seen)
    objects = resources.get("/XObject")
    for item in (objects.get_object().values() if objects is not None else ()):
        item = item.get_object()
        if isinstance(item, StreamObject) and item.get("/Resources") is not None:
            yield from _fonts(item["/Resources"].get_object(), seen)


def restore_ideographs(pdf: bytes, text: str = "") -> bytes:
    """The PDF with each radical in its fonts' ToUnicode maps replaced by the unified ideograph
    its glyph draws; ``text`` is the notice's text (its HTML will do), to choose among several.
    Returns the PDF unchanged when no font maps a glyph to a radical, or when pypdf cannot
    read it (the print stays as Chromium made it: legible, its copied text as before)."""
    try:
        return _restore(pdf, text)
    except pypdf.errors.PyPdfError:
        return pdf


def _restore(pdf: bytes, text: str) -> bytes:
    # Chromium's PDFs draw pypdf's warnings about their trailer; they say nothing to staff.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    used = {char for char in text if is_unified(ord(char)) or is_radical(char)}
    changed = False
    done: set[int] = set()
    seen: set[int] = set()
    for page in writer.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        for font in _fonts(resources.get_object(), seen):
            stream = font.get("/ToUnicode")
            if stream is None:
                continue
            stream = stream.get_object()
            if id(stream) in done:
                continue
            done.add(id(stream))
            mapping, width = parse_cmap(stream.get_data().decode("latin-1"))
            radicals = {code: value for code, value in mapping.items() if is_radical(value)}
            if not radicals:
                continue
            glyphs = _glyph_ids(font)
            if glyphs is None:
                continue
            fixed = False
            for code, radical in radicals.items():
                glyph_id = glyphs(code)
                if glyph_id is None:
                    continue
                ideograph = ideograph_for(radical, glyph_id, used)
                if ideograph is not None and not (radical in used and ideograph not in used):
                    mapping[code] = ideograph
                    fixed = True
            if fixed:
                stream.set_data(write_cmap(mapping, width))
                changed = True
    if not changed:
        return pdf
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
