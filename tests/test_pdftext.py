"""nmaudit.pdftext: ToUnicode maps read and written, and radicals told back to their ideographs
through the installed CJK font (the printed notice itself is checked in tests/test_report.py)."""

from __future__ import annotations

import shutil

import pytest

from nmaudit import pdftext

CMAP = """/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
1 begincodespacerange
<00> <FF>
endcodespacerange
2 beginbfchar
<03> <2F00>
<0B> <4F4D>
endbfchar
2 beginbfrange
<10> <12> <2F08>
<20> <21> [<0041> <D840DC00>]
endbfrange
endcmap
"""


def test_cmap_read_with_ranges_and_written_back():
    mapping, width = pdftext.parse_cmap(CMAP)
    assert width == 1
    assert mapping == {0x03: "⼀", 0x0B: "位", 0x10: "⼈", 0x11: "⼉", 0x12: "⼊", 0x20: "A", 0x21: "\U00020000"}
    again, again_width = pdftext.parse_cmap(pdftext.write_cmap(mapping, width).decode("ascii"))
    assert (again, again_width) == (mapping, 1)


def test_write_cmap_keeps_blocks_of_at_most_100():
    data = pdftext.write_cmap({code: "一" for code in range(250)}, 2).decode("ascii")
    assert [line for line in data.splitlines() if line.endswith("beginbfchar")] == [
        "100 beginbfchar", "100 beginbfchar", "50 beginbfchar"]
    assert "<0000> <FFFF>" in data and "<00F9> <4E00>" in data


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig is not installed")
def test_radicals_map_to_the_ideograph_the_font_draws_with_the_same_glyph():
    faces = pdftext._faces(ord("⼀"))
    if not faces:
        pytest.skip("no installed font holds the Kangxi radicals")
    cmap, order, _ = pdftext._face(*faces[0])
    shared = 0
    for radical, ideograph in zip("⼀⼊⼭⼾⽇⽉⽩⾄⾦⻚", "一入山户日月白至金页"):
        name = cmap.get(ord(radical))
        if name is None or cmap.get(ord(ideograph)) != name:
            continue  # this face draws them apart: nothing to restore
        assert pdftext.ideograph_for(radical, order.index(name)) == ideograph
        shared += 1
    if not shared:
        pytest.skip(f"{faces[0][0]} draws radicals and ideographs apart")
    # A glyph id the radical does not draw explains nothing.
    assert pdftext.ideograph_for("⼀", order.index(cmap[ord("⼀")]) + 1) is None


def test_a_pdf_pypdf_cannot_read_is_returned_as_printed():
    assert pdftext.restore_ideographs(b"%PDF-1.4 not really", "一") == b"%PDF-1.4 not really"
