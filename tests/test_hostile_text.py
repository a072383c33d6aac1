"""Hostile text at every output: formulas in spreadsheets, escape sequences on terminals,
NULs and control characters in xlsx, newlines in error lines. One test per defect."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
from rich.console import Console

from nmaudit import output, report
from nmaudit.models import Finding
from nmaudit.sanitize import spreadsheet, visible
from tests.test_output import make_result, sample_run

#: What filed or live names carry in the wild, or when someone tries: formulas, escapes, NUL.
FORMULAS = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1",
            "\r=1+1", "＝1+1"]
ESCAPES = "平安\x1b[2J\x1b]0;pwned\x07宝鸡\x9b31m\u202e发布"


def hostile_run():
    result = sample_run()
    for item, name in zip(result.results, FORMULAS):
        item.account.name = name
        item.account.owner = "=cmd|'/C calc'!A0"
    result.results[0].observation.name = "=1+2"
    result.results[1].account.name = ESCAPES
    result.results[1].observation.name = "宝鸡\x00发布\x0b\x1f"
    result.results[1].observation.certification = "@认证"
    return result


def test_visible_shows_control_characters_as_escapes():
    assert visible("a\x1b[31mb\x00c\nd\x9b\u202e") == "a\\x1b[31mb\\x00c\\nd\\x9b\\u202e"
    assert visible("宝鸡发布（微博）") == "宝鸡发布（微博）"


def test_formula_injection_csv_cells_are_neutralised():
    text = output.render_csv(hostile_run())
    for row in csv.DictReader(io.StringIO(text)):
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), (column, value)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["name"] == "'" + FORMULAS[0]
    assert rows[0]["observed_name"] == "'=1+2"
    assert rows[0]["owner"] == "'=cmd|'/C calc'!A0"


def test_formula_injection_xlsx_has_no_formula_cells(tmp_path: Path):
    data = report.render_xlsx(report.build_report(hostile_run()))
    (tmp_path / "r.xlsx").write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.append(cell.value)
    assert "'=cmd|'/C calc'!A0" in seen


def test_nul_in_live_name_does_not_break_xlsx_report(tmp_path: Path):
    result = hostile_run()
    failing = result.results[1]
    failing.account.name = "宝鸡\x00发布\x1b[2J"
    failing.judgement.findings = [Finding(code="stale-14d", severity="veto", message="已\x00 30 天\x08未更新")]
    data = report.render_xlsx(report.build_report(result))
    (tmp_path / "r.xlsx").write_bytes(data)
    values = [cell.value for sheet in openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets
              for row in sheet.iter_rows() for cell in row]
    assert "宝鸡\\x00发布\\x1b[2J" in values


def test_terminal_escapes_in_names_never_reach_the_table():
    console = Console(record=True, width=200, file=io.StringIO(), force_terminal=False)
    output.render(hostile_run(), "table", console)
    text = console.export_text()
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text and "\x07" not in text
    assert "平安\\x1b[2J\\x1b]0;pwned\\x07宝鸡" in text


def test_terminal_escapes_never_reach_history():
    rows = [{"run_id": "r1\x1b[2J", "recheck_of": None, "as_of": "2026-11-20T09:30:00+08:00", "verdict": "pass",
             "machine_verdict": "pass", "newest_post_at": None, "idle_days": None, "name": "宝鸡\x1b]0;x\x07",
             "certification": "\x1b[31m认证", "findings": [], "consecutive_failures": 0, "longest_gap_days": None}]
    console = Console(record=True, width=200, file=io.StringIO())
    output.render_history("acc\x1b[1m", rows, console)
    text = console.export_text()
    assert "\x1b" not in text and "\x07" not in text
    assert "宝鸡\\x1b]0;x\\x07" in text


def test_terminal_escapes_never_reach_markdown():
    text = report.render_markdown(report.build_report(hostile_run()))
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text


def test_terminal_escapes_never_reach_progress_lines(tmp_path: Path):
    from nmaudit.cli import ProgressDisplay

    console = Console(file=io.StringIO(), force_terminal=False, width=200)
    display = ProgressDisplay(console)
    result = hostile_run()
    display.started(result.run, 2)
    display.finished_account(result.results[1])
    text = console.file.getvalue()
    assert "\x1b" not in text and "\u202e" not in text
    assert "平安\\x1b[2J" in text


def test_newlines_in_registry_errors_stay_on_one_line(tmp_path: Path):
    registry = tmp_path / "accounts.yaml"
    registry.write_text('version: 1\naccounts:\n  - id: a\n    "evil\\nkey\\x1b[2J": 1\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "nmaudit", "registry", "lint", str(registry)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "\x1b" not in done.stderr
    problem = next(line for line in done.stderr.splitlines() if "unknown key" in line)
    assert "evil\\nkey\\x1b[2J" in problem and problem.startswith(f"{registry}:4:")


def test_spreadsheet_leaves_numbers_and_plain_text_alone():
    assert spreadsheet(12) == 12 and spreadsheet(None) is None
    assert spreadsheet("宝鸡发布") == "宝鸡发布"
    assert spreadsheet("a\x00b") == "a\\x00b"
