"""The command line. Only this module knows about click; it parses, calls the core and
turns the core's exceptions into messages and exit codes (2 usage, 3 no browser)."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path
from typing import Optional

import click
from rich.console import Console
from rich.table import Table
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__, output
from . import report as report_module
from .audit import AuditOptions, Progress as AuditProgress, audit_accounts
from .browser import BrowserOptions, print_pdf
from .dates import parse_as_of
from .errors import BrowserUnavailable, RegistryError, StoreError, UsageError
from .install import install as install_browser
from .install import manual_steps
from .models import INDICATOR_LABELS, VERDICT_LABELS, AccountResult, RunInfo, RunResult
from .platforms import EVERY_PLATFORM, capabilities
from .registry import load_registry, with_sources
from .registry_import import import_sheet, write_registry
from .registry_lint import lint_registry
from .snapshots import atomic_write
from .store import Store

EXIT_FAIL_ON, EXIT_USAGE, EXIT_NO_BROWSER = 1, 2, 3
FAIL_ON_LEVELS = ("never", "warn", "review", "fail")

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class NoBrowser(click.ClickException):
    exit_code = EXIT_NO_BROWSER


class InvalidInput(click.ClickException):
    """Bad input files (an invalid registry): exit 2 like a usage error, without the usage text."""

    exit_code = EXIT_USAGE


def _as_of(value: Optional[str]):
    if value is None:
        return None
    try:
        return parse_as_of(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--as-of'") from None


def exit_code_for(result: RunResult, fail_on: str) -> int:
    """1 when any account reaches the --fail-on level, else 0."""
    if fail_on == "never":
        return 0
    for item in result.results:
        verdict = item.judgement.verdict
        warned = any(f.severity == "warn" for f in item.judgement.findings)
        if verdict == "fail" or (fail_on in ("review", "warn") and verdict == "review") or (
            fail_on == "warn" and warned
        ):
            return EXIT_FAIL_ON
    return 0


class ProgressDisplay:
    """A bar on a terminal; one line per account otherwise (CI logs)."""

    def __init__(self, console: Console):
        self.console = console
        self.bar: Optional[Progress] = None
        self.task = None
        self.done = 0
        self.total = 0

    def started(self, run: RunInfo, total: int) -> None:
        self.total = total
        self.console.print(f"检查 {total} 个账号 · 批次 {run.id} · 监测时间点 {run.as_of:%Y-%m-%d %H:%M}")
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("[progress.description]{task.description}"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("检查中", total=total)

    def finished_account(self, result: AccountResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=result.account.name)
        else:
            label = VERDICT_LABELS[result.judgement.verdict]
            self.console.print(f"[{self.done}/{self.total}] {result.account.id} {result.account.name}：{label}",
                               markup=False)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nmaudit")
def cli() -> None:
    """nmaudit: audit government new-media accounts (政务新媒体) in headless Chromium."""


@cli.command()
@click.argument("registry", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="ISO8601",
              help="Check time (监测时间点): a date or datetime, naive values in Beijing time. "
                   "Default: now, or the capture's time with --replay.")
@click.option("--format", "fmt", type=click.Choice(output.FORMATS), default="table", show_default=True)
@click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--db", default="nmaudit.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--snapshots", default="snapshots", show_default=True, type=click.Path(file_okay=False),
              help="Evidence folder: <snapshots>/<run-id>/<account-id>/.")
@click.option("--concurrency", "-j", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Pages working at once (one browser).")
@click.option("--only", multiple=True, metavar="ID", help="Audit only this account (repeatable).")
@click.option("--fail-on", type=click.Choice(FAIL_ON_LEVELS), default="never", show_default=True,
              help="Exit 1 when any account is at this level or worse.")
@click.option("--browser-arg", "browser_args", multiple=True, metavar="ARG", help="Extra Chromium flag (repeatable).")
@click.option("--executable", type=click.Path(dir_okay=False), help="The Chromium or Chrome to use.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(1, 600), help="Seconds per page.")
@click.option("--pace", default=0.5, show_default=True, type=click.FloatRange(0, 60),
              help="Seconds between two requests to one host.")
@click.option("--sources", "extra_sources", multiple=True, type=click.Choice(["sogou"]),
              help="Turn on an opt-in source for every account (sogou: Sogou WeChat search; rate-limits hard).")
@click.option("--record", "record_har", type=click.Path(dir_okay=False), metavar="HAR",
              help="Save every request and response of the run.")
@click.option("--replay", "replay_har", type=click.Path(exists=True, dir_okay=False), metavar="HAR",
              help="Serve the run from a recorded HAR, with no network.")
def audit(registry: str, as_of: Optional[str], fmt: str, output_file: Optional[str], db: str, snapshots: str,
          concurrency: int, only: tuple[str, ...], fail_on: str, browser_args: tuple[str, ...],
          executable: Optional[str], timeout: float, pace: float, extra_sources: tuple[str, ...],
          record_har: Optional[str], replay_har: Optional[str]) -> None:
    """Audit the accounts of REGISTRY (accounts.yaml) and print the verdicts."""
    check_time = _as_of(as_of)
    if record_har and replay_har:
        raise click.UsageError("--record and --replay cannot be used together")
    try:
        loaded = load_registry(registry)
        accounts = loaded.select(list(only)) if only else loaded.accounts
        accounts = with_sources(accounts, extra_sources)
    except RegistryError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        count = len(error.problems)
        raise InvalidInput(f"{registry}: {count} problem{'s' if count != 1 else ''}; nothing was audited") from None
    except UsageError as error:
        raise click.UsageError(str(error)) from None

    options = AuditOptions(
        db=db, snapshots=snapshots, as_of=check_time, concurrency=concurrency,
        browser=BrowserOptions(
            executable=executable, browser_args=list(browser_args), timeout=timeout, pace=pace,
            record_har=record_har, replay_har=replay_har,
        ),
    )
    display = ProgressDisplay(stderr)
    try:
        store = Store(db)
        result = asyncio.run(audit_accounts(
            loaded, accounts, options, store,
            AuditProgress(started=display.started, finished_account=display.finished_account),
        ))
    except BrowserUnavailable as error:
        raise NoBrowser(str(error)) from None
    except (StoreError, UsageError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        display.stop()
    emit(result, fmt, output_file)
    summary = output.summarize(result.results)
    stderr.print(
        f"批次 {result.run.id}：检查 {summary['checked']}，合格 {summary['pass']}，不合格 {summary['fail']}，"
        f"待复核 {summary['review']}；证据 {Path(snapshots) / result.run.id}，数据库 {db}"
        + (f"，录制 {record_har}" if record_har else ""),
        markup=False,
    )
    sys.exit(exit_code_for(result, fail_on))


def emit(result: RunResult, fmt: str, output_file: Optional[str]) -> None:
    """Print the report on stdout, or write it to a file atomically."""
    if fmt == "table":
        if output_file:
            console = Console(record=True, width=120, file=io.StringIO())
            output.render_table(result, console)
            text = console.export_text()
        else:
            output.render_table(result, Console(highlight=False))
            text = None
    else:
        text = output.render(result, fmt)
        if not text.endswith("\n"):
            text += "\n"
    if output_file:
        atomic_write(Path(output_file), text.encode("utf-8"))
        stderr.print(f"已写入 {output_file}", markup=False)
    elif text is not None:
        click.echo(text, nl=False)


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--format", "fmt", type=click.Choice(report_module.REPORT_FORMATS), default="html", show_default=True)
@click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False),
              help="Write here (html and md default to stdout; pdf and xlsx to nmaudit-report-RUN.pdf/.xlsx).")
@click.option("--db", default="nmaudit.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--executable", type=click.Path(dir_okay=False), help="The Chromium or Chrome that prints the PDF.")
def report(run_id: str, fmt: str, output_file: Optional[str], db: str, executable: Optional[str]) -> None:
    """The inspection notice (检查情况通报) of run RUN ('latest': the last run) as html, pdf, xlsx or md."""
    if not Path(db).is_file():
        raise InvalidInput(f"{db}: no such database (run 'nmaudit audit' first, or pass --db)")
    try:
        store = Store(db)
        if run_id == "latest":
            run_id = store.latest_run() or ""
            if not run_id:
                raise InvalidInput(f"{db}: no runs yet")
        result = store.load_run(run_id)
        notice = report_module.build_report(
            result, registered=store.registered(run_id), capabilities=capabilities())
    except StoreError as error:
        raise InvalidInput(str(error)) from None

    if output_file is None and fmt in ("pdf", "xlsx"):
        output_file = f"nmaudit-report-{result.run.id}.{fmt}"
    folder = Path(output_file).parent if output_file else Path.cwd()
    if fmt == "html":
        data = report_module.render_html(notice, folder).encode("utf-8")
    elif fmt == "md":
        data = report_module.render_markdown(notice, folder).encode("utf-8")
    elif fmt == "xlsx":
        data = report_module.render_xlsx(notice)
    else:
        try:
            data = asyncio.run(print_pdf(report_module.render_html(notice, folder), folder, executable))
        except BrowserUnavailable as error:
            raise NoBrowser(str(error)) from None
    if output_file is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    atomic_write(Path(output_file), data)
    stderr.print(f"已写入 {output_file}（批次 {result.run.id}）", markup=False)


@cli.group()
def registry() -> None:
    """The registry: import a spreadsheet export, lint accounts.yaml."""


def _invalid(error: RegistryError, message: str) -> InvalidInput:
    for problem in error.problems:
        click.echo(problem, err=True)
    return InvalidInput(message)


@registry.command("import")
@click.argument("source", metavar="FILE.xlsx|FILE.csv", type=click.Path(dir_okay=False))
@click.option("--sheet", help="The worksheet to read (default: the first).")
@click.option("--output", "-o", "output_file", required=True, type=click.Path(dir_okay=False),
              help="The registry to write (accounts.yaml).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.option("--keep-closed", is_flag=True,
              help="List accounts whose 运行状态 is 关停/注销, marked so that 'registry lint' flags them.")
def registry_import(source: str, sheet: Optional[str], output_file: str, force: bool, keep_closed: bool) -> None:
    """Write a registry from a 全国政务新媒体信息报送系统 export (exit 1 when rows were left out)."""
    target = Path(output_file)
    if target.exists() and not force:
        raise InvalidInput(f"{output_file}: already exists; pass --force to overwrite it")
    try:
        imported = import_sheet(source, sheet, keep_closed)
    except RegistryError as error:
        raise _invalid(error, f"{source}: nothing was imported") from None
    for line in [*imported.warnings, *imported.problems]:
        click.echo(line, err=True)
    if not imported.accounts:
        raise InvalidInput(f"{source}: no account could be imported; {output_file} was not written")
    write_registry(imported, target)
    left_out = f"，{len(imported.problems)} 行无法导入（见上）" if imported.problems else ""
    closed = f"，{imported.closed} 个已关停/注销" if imported.closed else ""
    stderr.print(f"已写入 {output_file}：{len(imported.accounts)} 个账号{left_out}{closed}", markup=False)
    sys.exit(EXIT_FAIL_ON if imported.problems else 0)


@registry.command("lint")
@click.argument("registry_file", metavar="REGISTRY", type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Exit 1 when there are hints.")
def registry_lint(registry_file: str, strict: bool) -> None:
    """Hints about a valid registry: duplicates, naming, closed accounts, missing 认证主体."""
    try:
        hints = lint_registry(registry_file)
    except RegistryError as error:
        count = len(error.problems)
        raise _invalid(error, f"{registry_file}: {count} problem{'s' if count != 1 else ''}") from None
    for hint in hints:
        click.echo(hint.format(registry_file))
    stderr.print(f"{registry_file}：{len(hints)} 条提示" if hints else f"{registry_file}：没有提示", markup=False)
    sys.exit(EXIT_FAIL_ON if strict and hints else 0)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def platforms(fmt: str) -> None:
    """What each platform's adapter checks, and what staff must check by hand."""
    rows = capabilities()
    if fmt == "json":
        click.echo(json.dumps({"platforms": rows, "every_platform": EVERY_PLATFORM}, ensure_ascii=False, indent=2))
        return
    table = Table(title="各平台检查能力", show_lines=True)
    for header in ("平台", "数据来源", "自动检查", "无法公开查看（需人工核查）"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(f"{row['label']}（{row['platform']}）", row["sources"],
                      "、".join(INDICATOR_LABELS[i] for i in row["checks"]),
                      "、".join(INDICATOR_LABELS[i] for i in row["unchecked"]) or "—")
    console = Console(highlight=False)
    console.print(table)
    console.print(f"所有平台：{EVERY_PLATFORM}", markup=False)


@cli.command()
@click.option("--executable", type=click.Path(dir_okay=False), help="Check this browser instead of looking for one.")
def install(executable: Optional[str]) -> None:
    """Make a working Chromium and CJK fonts available, or say exactly how."""
    readiness = install_browser(lambda line: stderr.print(line, markup=False), executable)
    if readiness.browser:
        click.echo(f"browser: {readiness.browser}")
    else:
        click.echo(f"browser: missing ({readiness.browser_problem})")
    click.echo(f"CJK fonts: {'present' if readiness.cjk_fonts else 'missing (Chinese would render as boxes in screenshots)'}")
    if not readiness.ready:
        for step in manual_steps(readiness):
            click.echo(f"  {step}")
    if readiness.browser is None:
        sys.exit(EXIT_NO_BROWSER)


def main() -> None:
    cli(prog_name="nmaudit")
