"""Hostile input: registries built to crash or stall the loader, workbooks built to crash or
swamp the import, and paths built to make the review app fail. One test per defect."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nmaudit.errors import RegistryError
from nmaudit.registry import load_registry

ACCOUNT = """  - id: a{n}
    name: 宝鸡发布
    platform: weibo
    owner: 宝鸡市人民政府新闻办公室
    urls: [https://weibo.com/u/{uid}]
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "accounts.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert time.monotonic() - started < 5, "a hostile registry must be refused fast"
    for problem in caught.value.problems:
        assert "\n" not in problem and "\r" not in problem and len(problem) <= 400
        assert problem.startswith(f"{path}:")
    return caught.value.problems


def test_deep_yaml_nesting_is_a_clear_error_not_recursionerror(tmp_path: Path):
    flow = "version: 1\naccounts: " + "[" * 10_000 + "]" * 10_000 + "\n"
    assert "nesting depth" in problems(tmp_path, flow)[0]
    block = "version: 1\naccounts:\n" + "".join(" " * (i + 2) + "k:\n" for i in range(3000))
    assert "nesting depth" in problems(tmp_path, block)[0]


def test_deep_merge_key_chain_is_a_clear_error(tmp_path: Path):
    chain = "{x: 1}"
    for _ in range(990):  # libyaml's own limit is 1,000 levels
        chain = "{<<: " + chain + "}"
    found = problems(tmp_path, f"version: 1\ndefaults: {chain}\naccounts:\n" + ACCOUNT.format(n=1, uid=2710000001))
    assert "merge keys (<<) nested too deeply" in found[0]


def test_integer_over_4300_digits_is_refused_not_a_crash(tmp_path: Path):
    huge = "9" * 5000
    found = problems(tmp_path, f"version: {huge}\naccounts:\n" + ACCOUNT.format(n=1, uid=2710000001))
    assert "unsupported version" in found[0] and found[0].endswith("…")
    found = problems(tmp_path, f"version: 1\npolicy: {{fail_idle_days: {huge}}}\naccounts:\n"
                     + ACCOUNT.format(n=1, uid=2710000001))
    assert "fail_idle_days" in found[0]


def test_merge_key_billion_laughs_is_refused_fast(tmp_path: Path):
    lines = ["version: 1", "x0: &x0 {a: 1, b: 2}"]
    for level in range(1, 40):
        lines.append(f"x{level}: &x{level} {{<<: [*x{level - 1}], m{level}: {{<<: *x{level - 1}}}, "
                     f"n{level}: {{<<: *x{level - 1}}}}}")
    lines.append("defaults: {<<: *x39}")
    lines += ["accounts:", ACCOUNT.format(n=1, uid=2710000001)]
    found = problems(tmp_path, "\n".join(lines))
    assert "expand to more than" in found[0]


def test_alias_billion_laughs_is_refused_fast(tmp_path: Path):
    lines = ["version: 1", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines += ["accounts: *l9"]
    assert "expand to more than" in problems(tmp_path, "\n".join(lines))[0]


def test_recursive_alias_is_refused(tmp_path: Path):
    found = problems(tmp_path, "version: 1\naccounts: &a\n  - *a\n")
    assert "recursive alias" in found[0] or "found undefined alias" in found[0]


def test_shared_anchors_still_load(tmp_path: Path):
    text = "version: 1\nx: &rules {css: h1}\naccounts:\n" + "".join(
        f"  - {{id: w{n}, name: 宝鸡发布, platform: web, owner: 宝鸡市政府, urls: ['https://www.douyin.com/user/{n}'],"
        f" extract: {{name: *rules}}}}\n" for n in range(50))
    path = tmp_path / "accounts.yaml"
    path.write_text(text.replace("x: &rules", "defaults: {region: 宝鸡市}\n_x: &rules"), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:  # _x is not a registry key: reported, nothing else
        load_registry(path)
    assert [p for p in caught.value.problems if "unknown key '_x'" in p]
    assert len(caught.value.problems) == 1


def test_registry_error_lines_escape_newlines_and_escapes(tmp_path: Path):
    found = problems(tmp_path, 'version: 1\naccounts:\n  - id: a1\n    "x\\ny\\x1b[31m": 1\n')
    assert any("x\\ny\\x1b[31m" in problem for problem in found)


@pytest.mark.slow
def test_ten_megabyte_registry_loads_in_seconds(tmp_path: Path):
    path = tmp_path / "accounts.yaml"
    body = "".join(
        f"  - id: acc-{n:06d}\n    name: 宝鸡发布{n}\n    platform: weibo\n    owner: 宝鸡市人民政府新闻办公室\n"
        f"    certified_as: 宝鸡市人民政府新闻办公室\n    urls: [https://weibo.com/u/{2710000000 + n}]\n"
        f"    interaction: https://www.example.gov.cn/liuyan/{n}\n" for n in range(38_000))
    path.write_text("version: 1\ndefaults:\n  region: 宝鸡市\naccounts:\n" + body, encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    started = time.monotonic()
    registry = load_registry(path)
    elapsed = time.monotonic() - started
    assert len(registry.accounts) == 38_000
    assert elapsed < 30, f"{elapsed:.1f}s"  # ~5 s on an idle 2-core machine; CI runners are busier


# -- spreadsheet import ----------------------------------------------------------------------------

import csv  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402

import openpyxl  # noqa: E402
from openpyxl.styles import Font  # noqa: E402

from nmaudit.registry_import import import_sheet  # noqa: E402

HEADER = ["序号", "账号名称", "类型", "主办单位", "账号ID"]


def export(path: Path, rows: int = 3) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "政务新媒体"
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([n + 1, f"宝鸡发布{n}", "微博", "宝鸡市人民政府新闻办公室", 2710000000 + n])
    book.save(path)
    return path


def run_import(source: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nmaudit", "registry", "import", str(source), "-o",
                           str(cwd / "out.yaml")], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, NO_COLOR="1", COLUMNS="200"))


def rewrite_part(source: Path, target: Path, name: str, change) -> Path:
    """A copy of the workbook with one XML part changed."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, change(data) if info.filename == name else data)
    return target


def test_stray_styled_cell_far_away_does_not_read_the_whole_grid(tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([1, "平安宝鸡", "微博", "宝鸡市公安局", 2710000001])
    sheet.cell(row=1_048_576, column=16_000).font = Font(bold=True)  # real exports carry such cells
    sheet.cell(row=1_048_576, column=16_000).value = " "
    book.save(tmp_path / "stray.xlsx")
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    imported = import_sheet(tmp_path / "stray.xlsx")
    assert time.monotonic() - started < 5
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) < 200_000  # KiB
    assert [a.values["name"] for a in imported.accounts] == ["平安宝鸡"]


def test_truncated_workbook_xml_exits_2_with_file_and_row(tmp_path: Path):
    source = export(tmp_path / "ok.xlsx", rows=50)
    broken = rewrite_part(source, tmp_path / "broken.xlsx", "xl/worksheets/sheet1.xml",
                          lambda data: data[: len(data) // 2])
    done = run_import(broken, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(rf"{re.escape(str(broken))}:\d+: cannot read as an Excel workbook", done.stderr), done.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_truncated_workbook_file_exits_2(tmp_path: Path):
    source = export(tmp_path / "ok.xlsx", rows=50)
    (tmp_path / "cut.xlsx").write_bytes(source.read_bytes()[:-200])
    done = run_import(tmp_path / "cut.xlsx", tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{tmp_path / 'cut.xlsx'}: " in done.stderr


def test_entity_declarations_in_a_workbook_are_refused(tmp_path: Path):
    source = export(tmp_path / "ok.xlsx")
    laughs = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE x [<!ENTITY a "lol">'
              + b"".join(b'<!ENTITY %s "%s">' % (f"a{i}".encode(), (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10)
                         for i in range(1, 12)) + b"]>")
    hostile = rewrite_part(source, tmp_path / "laughs.xlsx", "xl/worksheets/sheet1.xml",
                           lambda data: laughs + data.split(b"?>", 1)[-1])
    started = time.monotonic()
    done = run_import(hostile, tmp_path)
    assert time.monotonic() - started < 30
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "DOCTYPE" in done.stderr


@pytest.mark.parametrize("ref", ["A1:ZZZZ1", "B2:A1x", "A0:B2", "Q:Q:Q"])
def test_bad_merge_ranges_exit_2(tmp_path: Path, ref: str):
    source = export(tmp_path / "ok.xlsx")
    hostile = rewrite_part(source, tmp_path / "merge.xlsx", "xl/worksheets/sheet1.xml", lambda data: data.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="%s"/></mergeCells>' % ref.encode()))
    done = run_import(hostile, tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and f"{hostile}" in done.stderr


def test_a_huge_merge_is_filled_only_where_rows_exist(tmp_path: Path):
    source = export(tmp_path / "ok.xlsx")
    merged = rewrite_part(source, tmp_path / "merge.xlsx", "xl/worksheets/sheet1.xml", lambda data: data.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="D2:D1048576"/></mergeCells>'))
    started = time.monotonic()
    imported = import_sheet(merged)
    assert time.monotonic() - started < 5
    assert [a.values["owner"] for a in imported.accounts] == ["宝鸡市人民政府新闻办公室"] * 3


#: One import of a 100,000-row export, in a process of its own: the CLI's whole work (read, map,
#: write and check the registry), its CPU seconds and its peak memory.
MEASURED_IMPORT = """
import resource, sys, time
from click.testing import CliRunner
from nmaudit.cli import cli
done = CliRunner().invoke(cli, ["registry", "import", sys.argv[1], "-o", sys.argv[2]])
usage = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec on Linux).
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(done.exit_code, usage.ru_utime + usage.ru_stime, peak // 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_hundred_thousand_rows_import_in_bounded_memory_and_linear_time(tmp_path: Path, kind: str):
    """A 100,000-row export took more than a minute of CPU, and 1.3 GB for a CSV: every value
    went through the YAML emitter, the whole registry was read back at once, the CSV read whole."""
    rows = [[n + 1, f"宝鸡发布{n}", "微博", "宝鸡市人民政府新闻办公室", 2_000_000_000 + n] for n in range(100_000)]
    source = tmp_path / f"big.{kind}"
    if kind == "xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("政务新媒体")
        for row in [HEADER, *rows]:
            sheet.append(row)
        book.save(source)
    else:
        with open(source, "w", encoding="utf-8-sig", newline="") as stream:
            csv.writer(stream).writerows([HEADER, *rows])
    done = subprocess.run([sys.executable, "-c", MEASURED_IMPORT, str(source), str(tmp_path / "out.yaml")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    code, cpu, peak_mb = done.stdout.split()
    assert code == "0", done.stdout + done.stderr
    assert float(cpu) < 45, f"{float(cpu):.1f} s CPU"  # ~19 s (CSV) and ~25 s (xlsx) on a busy 2-core machine
    assert int(peak_mb) < 400, f"{peak_mb} MB"  # ~210 MB
    written = load_registry(tmp_path / "out.yaml")
    assert len(written.accounts) == 100_000
    assert written.accounts[-1].urls == ["https://weibo.com/u/2000099999"]
    print(f"{kind}: 100,000 rows in {float(cpu):.1f} s CPU, peak {peak_mb} MB")


# -- review app ------------------------------------------------------------------------------------

HOSTILE_PATHS = [
    "/snapshots/%00", "/snapshots/{run}/a1/%00.jpg", "/snapshots/{run}/a1/01-x.jpg%00.png", "/snapshots/%00/a1/x",
    "/snapshots/{run}%00/a1/01-x.jpg", "/snapshots/{run}/a1%1b%5b2J/01-x.jpg", "/runs/%00", "/runs/{run}%00",
    "/runs/{run}/accounts/%00", "/runs/{run}/accounts/a1%00", "/runs/{run}?page=%00", "/runs/{run}?page=-1",
    "/runs/{run}?page=99999999999999999999999", "/runs/{run}?verdict=%00&platform=%ff&q=%00",
    "/runs/choose?run=%00", "/snapshots/" + "a/" * 3000, "/runs/" + "x" * 20000, "/%00", "/snapshots/..%2f..%2fetc",
    "/snapshots/{run}/a1/..%00", "/runs/{run}/accounts/a1?%00=%00",
]


def test_nul_bytes_and_other_hostile_paths_get_400_or_404_never_500(tmp_path: Path):
    from nmaudit.webapp import create_app
    from nmaudit.snapshots import AccountEvidence
    from tests.test_store_locks import account, observed, started_run

    db = tmp_path / "nmaudit.db"
    store, run = started_run(db, [account(1)])
    store.db["runs"].update(run.id, {"options": '{"snapshots": "%s"}' % (tmp_path / "snapshots")})
    evidence = AccountEvidence(str(tmp_path / "snapshots"), run.id, "a1")
    evidence.save("01-x.jpg", b"\xff\xd8\xff", "screenshot")
    store.save_account(run.id, *observed(account(1)), evidence.files)
    client = create_app(str(db)).test_client()
    assert client.get(f"/snapshots/{run.id}/a1/01-x.jpg").status_code == 200
    for path in HOSTILE_PATHS:
        status = client.get(path.format(run=run.id)).status_code
        assert status < 500, (path, status)


# -- pages -----------------------------------------------------------------------------------------


def test_a_page_nested_ten_thousand_deep_parses_without_recursionerror():
    from nmaudit.html import Document

    html = "<title>深</title>" + "<div>" * 10_000 + "<span data-ts='1790000000'>宝鸡发布</span>" + "</div>" * 10_000
    started = time.monotonic()
    document = Document(html)
    assert document.select("span", "data-ts") == ["1790000000"]
    assert document.select("div span") == ["宝鸡发布"]
    assert document.select("section span") == []
    outermost = next(element for element in document.elements if element.tag == "div")
    assert outermost.parent.tag == "body" and "宝鸡发布" in outermost.text()
    assert document.title == "深"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("html", [
    "<div>" * 40_000 + "<span data-ts='1790000000'>宝鸡发布</span>" + "</div>" * 40_000,
    "<div><b>" * 40_000 + "<span data-ts='1790000000'>宝鸡发布</span>",  # never closed
    "<span>" * 40_000 + "</div>" * 40_000 + "<span data-ts='1790000000'>宝鸡发布</span>",  # stray end tags
    "<ul><li>" * 40_000 + "<span data-ts='1790000000'>宝鸡发布</span>",
    "<div/>" * 40_000 + "<span data-ts='1790000000'>宝鸡发布</span>",  # "/>" closes nothing in HTML
], ids=["balanced", "unclosed", "stray-end-tags", "lists", "slash"])
def test_pages_nested_forty_thousand_deep_parse_in_linear_time(html):
    """Lexbor walks the open elements for many tags: uncapped, 40,000 nested divs took 14 s."""
    from nmaudit.html import MAX_DEPTH, Document

    started = time.monotonic()
    document = Document(html)
    assert document.select("span[data-ts]", "data-ts") == ["1790000000"]
    assert document.select("span[data-ts]") == ["宝鸡发布"]
    span = document.select_elements("span[data-ts]")[0]
    depth = 0
    while span.parent is not None:
        span, depth = span.parent, depth + 1
    assert depth <= MAX_DEPTH + 3  # html, body, the document
    assert time.monotonic() - started < 5


def test_a_page_just_under_the_depth_cap_keeps_its_structure():
    from nmaudit.html import Document, bounded

    html = ("<div>" * 500 + "<p>宝鸡<span>发布</span></p>" + "</div>" * 500 + "<h1>平安宝鸡</h1>"
            + "<svg>" + "<path d='M0 0'/>" * 600 + "</svg><ul>" + "<li><br><img src=x.png>" * 600 + "</ul>")
    assert bounded(html) is html
    document = Document(html)
    assert document.select("div > p > span") == ["发布"]
    assert document.select("body > h1") == ["平安宝鸡"]
    assert len(document.select("body > svg > path")) == 600 and len(document.select("body > ul > li")) == 600


def test_a_select_of_forty_thousand_options_parses_in_linear_time():
    """Lexbor revisits a select's options for each one added: 20,000 took 5 s uncapped."""
    from nmaudit.html import Document

    started = time.monotonic()
    document = Document("<form><select name=town>" + "<option value=1>宝鸡</option>" * 40_000 + "</select></form><p>完</p>")
    assert len(document.select("form > select > option")) == 40_000
    assert document.select("body > p") == ["完"]
    assert time.monotonic() - started < 5
