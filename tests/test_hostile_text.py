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


# -- every command, every format -------------------------------------------------------------------

import re  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from nmaudit.cli import cli  # noqa: E402
from nmaudit.models import Account, Judgement, Observation  # noqa: E402
from nmaudit.store import Store  # noqa: E402
from tests.test_store_locks import started_run  # noqa: E402

#: What must never reach a terminal: control characters but the newline and tab, and bidi controls.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: A hostile value for every text field: a formula first, then a NUL, escapes and a bidi override.
HOSTILE = "=3+3\x00\x1b[2J\x1b]0;pwned\x07\u202e"


def hostile_store(db: Path) -> tuple[str, str]:
    """A stored run whose every text field, the account id included, is hostile: (run, account id)."""
    from nmaudit.dates import BEIJING
    from datetime import datetime

    as_of = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
    account_id = "=3+3"
    accounts = [Account(id=account_id, name=HOSTILE, platform="weibo", owner=HOSTILE, region=HOSTILE,
                        certified_as=HOSTILE, urls=["https://weibo.com/u/2710000001"]),
                Account(id="-1+1", name="@宝鸡发布", platform="wechat", owner="+宝鸡市", urls=["https://mp.weixin.qq.com/x"])]
    store, run = started_run(db, accounts)
    for account in accounts:
        observation = Observation(account_id=account.id, platform=account.platform, started_at=as_of,
                                  finished_at=as_of, name=HOSTILE, certification=HOSTILE,
                                  newest_post_at=datetime(2026, 10, 1, tzinfo=BEIJING), newest_post_source="profile",
                                  errors=[HOSTILE])
        judgement = Judgement(as_of=as_of, verdict="fail", idle_days=51,
                              findings=[Finding(code="stale-14d", severity="veto", message=HOSTILE)])
        store.save_account(run.id, observation, judgement, [])
    store.finish_run(run.id, as_of)
    return run.id, account_id


def test_every_command_and_format_keeps_control_characters_off_the_terminal_and_formulas_out(tmp_path: Path):
    """A NUL from a live name reached the terminal in `nmaudit history`'s summary line, and an id
    such as `=3+3` was feared to reach a spreadsheet live: every command, every format, hostile
    values in every field (the id included)."""
    db = str(tmp_path / "nmaudit.db")
    run_id, account_id = hostile_store(tmp_path / "nmaudit.db")
    runner = CliRunner()
    human = [["judge", run_id, "--db", db], ["history", account_id, "--db", db], ["runs", "--db", db],
             ["verify", run_id, "--db", db], ["prune", "--keep-runs", "1", "--dry-run", "--db", db],
             ["judge", run_id, "--db", db, "-o", str(tmp_path / "table.txt")],
             ["report", run_id, "--format", "xlsx", "--db", db, "-o", str(tmp_path / "r.xlsx")],
             ["history", "\x1b[2J\x00", "--db", db], ["judge", "\x00\x1b[2J", "--db", db],
             ["report", run_id, "--format", "\x1b[2J", "--db", db]]
    for args in human:
        done = runner.invoke(cli, args)
        shown = done.output + (done.stderr if done.stderr_bytes is not None else "")
        assert "Traceback" not in shown, (args, shown)
        assert not RAW_CONTROL.search(shown), (args, shown)
    assert not RAW_CONTROL.search((tmp_path / "table.txt").read_text(encoding="utf-8"))
    history = runner.invoke(cli, ["history", account_id, "--db", db]).output
    assert "\\x00" in history and "\\x1b[2J" in history

    for fmt in ("json", "junit"):
        done = runner.invoke(cli, ["judge", run_id, "--format", fmt, "--db", db])
        assert done.exit_code == 0 and "\x00" not in done.output and "\x1b" not in done.output, fmt
    for args in (["history", account_id, "--format", "json"], ["runs", "--format", "json"]):
        done = runner.invoke(cli, [*args, "--db", db])
        assert done.exit_code == 0 and "\x00" not in done.output and "\x1b" not in done.output, args
    markdown = runner.invoke(cli, ["report", run_id, "--format", "md", "--db", db]).output
    assert not RAW_CONTROL.search(markdown)

    done = runner.invoke(cli, ["judge", run_id, "--format", "csv", "--db", db])
    rows = list(csv.reader(io.StringIO(done.output)))
    assert len(rows) == 3 and rows[1][0] == "'=3+3" and rows[2][0] == "'-1+1"
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
            assert "\x00" not in cell and "\x1b" not in cell, cell
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    for cell in cells:
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)
            assert "\x00" not in cell.value and "\x1b" not in cell.value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def test_a_report_on_a_terminal_is_escaped_like_every_other_line(monkeypatch):
    """JSON and CSV go to a file or a pipe as their format has them; on a terminal, escaped."""
    from nmaudit import cli as cli_module

    printed = []
    monkeypatch.setattr(cli_module.click, "echo", lambda text, **kwargs: printed.append(text))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    cli_module.put('{"name": "宝鸡\x9b31m发布\u202e"}')
    assert printed == ['{"name": "宝鸡\\x9b31m发布\\u202e"}']
