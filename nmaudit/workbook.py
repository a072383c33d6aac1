"""Read one sheet of an .xlsx workbook, bounded: rows streamed, only used cells kept, and a
clear error (file, row) for anything malformed.

Exports of the 报送系统 are edited by hand before they reach us. One stray styled cell at
row 1,048,576 makes a workbook's grid a million rows tall, and openpyxl's normal mode (and
its read-only mode's row filler) would build all of it; a truncated file, a DOCTYPE with
entity declarations or a merge range that is not a range must give a message, never a
traceback. So: the sheet's XML is parsed row by row (openpyxl's own streaming parser), only
rows that hold text are kept (and the first rows, where headers are looked for), merged
ranges are filled in only where they hold a value and rows exist, within a budget.
"""

from __future__ import annotations

import zipfile
import zlib
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Any, Callable, Optional
from xml.etree.ElementTree import ParseError

from .errors import RegistryError

#: Columns read per row: a registry export has a few dozen; anything further out is stray.
MAX_COLUMNS = 256
#: Cells merged ranges may fill in, all together (a two-row header fills a few dozen).
MAX_MERGED_CELLS = 2_000_000
#: An XML part this large uncompressed is not a registry export (a zip bomb is).
MAX_PART_BYTES = 1 << 30
#: How far into an XML part its root element must start (before it: declaration, DOCTYPE).
MAX_PROLOG_BYTES = 1 << 20


def _fail(path: Path, message: str, row: Optional[int] = None) -> RegistryError:
    where = f"{path}:{row}" if row else f"{path}"
    return RegistryError([f"{where}: cannot read as an Excel workbook (.xlsx): {message}"])


def _check_parts(path: Path) -> None:
    """Refuse what openpyxl should never be handed: a DOCTYPE (entity declarations, external
    entities) in any XML part, a part that inflates past MAX_PART_BYTES, a broken archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                if info.file_size > MAX_PART_BYTES:
                    raise _fail(path, f"part {info.filename} is {info.file_size:,} bytes uncompressed")
                with archive.open(info) as stream:
                    prolog = b""
                    while len(prolog) < MAX_PROLOG_BYTES:
                        chunk = stream.read(65536)
                        if not chunk:
                            break
                        prolog += chunk
                        if _root_started(prolog):
                            break
                upper = prolog[:MAX_PROLOG_BYTES].upper()
                cut = _root_started(upper) or len(upper)
                if b"<!DOCTYPE" in upper[:cut] or b"<!ENTITY" in upper[:cut]:
                    raise _fail(path, f"part {info.filename} declares a DOCTYPE or entities (refused)")
                if prolog.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in prolog[:4]:
                    raise _fail(path, f"part {info.filename} is not UTF-8 XML")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
        raise _fail(path, str(error) or type(error).__name__) from None


def _root_started(data: bytes) -> int:
    """Offset of the first element start tag (a '<' then a letter), 0 when none yet."""
    index = 0
    while (index := data.find(b"<", index)) >= 0 and index + 1 < len(data):
        if chr(data[index + 1]).isalpha():
            return index
        index += 1
    return 0


def read_workbook_sheet(path: Path, sheet: Optional[str], cell_text: Callable[[Any], str],
                        keep_blank_rows: int) -> tuple[str, list[tuple[int, list[str]]]]:
    """The sheet's title and its rows as (row number, cell texts), in order: every row up to
    ``keep_blank_rows`` (where headers are looked for), further down only rows with text.
    Merged ranges are filled in (every cell of a merge holds its value)."""
    import openpyxl
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._reader import WorkSheetParser

    _check_parts(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError,
            TypeError, AttributeError, IndexError, ParseError, SyntaxError) as error:
        raise _fail(path, str(error) or type(error).__name__) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            names = ", ".join(f"'{n}'" for n in book.sheetnames)
            raise RegistryError([f"{path}: no sheet '{sheet}' (sheets: {names})"])
        if not book.worksheets:
            raise _fail(path, "no worksheet")
        table = book[sheet] if sheet is not None else book.worksheets[0]
        if not hasattr(table, "_get_source"):  # a chart sheet
            raise _fail(path, f"'{table.title}' is not a worksheet")
        rows: dict[int, dict[int, str]] = {}
        number = 0
        try:
            with table._get_source() as source:
                parser = WorkSheetParser(source, table._shared_strings, data_only=True, epoch=book.epoch,
                                         date_formats=book._date_formats,
                                         timedelta_formats=book._timedelta_formats)
                for number, cells in parser.parse():
                    values = {}
                    for cell in cells:
                        column = cell["column"]
                        if column <= MAX_COLUMNS and cell["value"] is not None:
                            if text := cell_text(cell["value"]):
                                values[column] = text
                    if values or number <= keep_blank_rows:
                        rows[number] = values
                merges = parser.merged_cells
        except RegistryError:
            raise
        except (ParseError, SyntaxError, ValueError, KeyError, IndexError, TypeError, AttributeError,
                zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _fail(path, f"sheet '{table.title}': {str(error) or type(error).__name__}",
                        (number + 1) if number else None) from None
        if merges is not None:
            _fill_merges(path, rows, [merged.ref for merged in merges.mergeCell], range_boundaries)
        for blank in range(1, keep_blank_rows + 1):  # rows absent from the XML are blank rows
            if blank <= max(rows, default=0):
                rows.setdefault(blank, {})
        ordered = []
        for number in sorted(rows):
            values = rows[number]
            width = max(values, default=0)
            ordered.append((number, [values.get(column, "") for column in range(1, width + 1)]))
        return table.title, ordered
    finally:
        book.close()


def _fill_merges(path: Path, rows: dict[int, dict[int, str]], refs: list[Any], boundaries: Any) -> None:
    """Every cell of a merged range takes its top-left value, in the rows that exist."""
    numbers = sorted(rows)
    budget = MAX_MERGED_CELLS
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = boundaries(str(ref))
        except (ValueError, TypeError) as error:
            raise _fail(path, f"merged range '{ref}' is not a range ({error})") from None
        if None in (min_col, min_row, max_col, max_row) or min_col > max_col or min_row > max_row:
            raise _fail(path, f"merged range '{ref}' is not a range", min_row)
        value = rows.get(min_row, {}).get(min_col, "")
        if not value or min_col > MAX_COLUMNS:
            continue
        covered = numbers[bisect_left(numbers, min_row):bisect_right(numbers, max_row)]
        columns = range(min_col, min(max_col, MAX_COLUMNS) + 1)
        budget -= len(covered) * len(columns)
        if budget < 0:
            raise _fail(path, f"merged ranges cover more than {MAX_MERGED_CELLS:,} cells", min_row)
        for number in covered:
            for column in columns:
                rows[number][column] = value
