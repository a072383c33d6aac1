"""The command line. Only this module knows about click; it parses, calls the core and
turns the core's exceptions into messages and exit codes (1 --fail-on, 2 usage, 3 no browser,
4 run interrupted, 5 no network: no platform host answered before the run)."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import sys
from pathlib import Path
from typing import Optional

import click
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__, output
from . import report as report_module
from .audit import (PROXY_ROUTES, RECORD_BESIDE_SNAPSHOTS, AuditOptions, Progress as AuditProgress, account_hosts,
                    audit_accounts, resume_run)
from .browser import BrowserOptions, capture_time, print_pdf
from .dates import BEIJING, now, parse_as_of
from .due import check_date, next_check, parse_budgets, plan_night
from .content import Screener, load_config as load_screening
from .errors import (BrowserUnavailable, ContactsError, NetworkUnreachable, RegistryError, RunInterrupted, StoreError,
                     UsageError)
from .install import install as install_browser
from .install import faster_step, manual_steps
from .history import (
    accounts_to_recheck, compare_runs, history_rows, parse_policy, prune as prune_runs, rejudge, trend, verify_run,
)
from .models import INDICATOR_LABELS, PLATFORM_LABELS, VERDICT_LABELS, AccountResult, Policy, RecheckItem, RunInfo, RunResult
from .platforms import EVERY_PLATFORM, capabilities
from .registry import Registry, load_registry, with_sources
from .registry_import import import_sheet, write_registry
from .registry_lint import lint_registry
from .platforms.wechat import SOGOU_HOST, SOGOU_PACE
from .coverage import account_coverage, coverage_totals, session_lines, session_note, totals_lines
from .sanitize import terminal, visible
from .snapshots import atomic_write
from .store import Store
from . import notify as notify_module
from . import rankings as rankings_module
from .contacts import Contacts, load_contacts
from .pool import Endpoint, check_endpoint_url, playwright_proxy, read_endpoints_file, split_proxy_option
from . import sessions as sessions_module
from .sessions import SESSION_PLATFORMS, SessionStore, SessionWatch

EXIT_FAIL_ON, EXIT_USAGE, EXIT_NO_BROWSER = 1, 2, 3
#: The run stopped before every account was stored; `--resume` finishes it.
EXIT_INTERRUPTED = 4
#: No platform host answered the preflight (no network, a wrong proxy): nothing was audited or stored.
EXIT_NO_NETWORK = 5
FAIL_ON_LEVELS = ("never", "warn", "review", "fail")



class TerminalConsole(Console):
    """A console that prints every text through sanitize.terminal: whatever a command prints
    (names, errors, messages quoting a page), no control character reaches the terminal.
    Only the console's own styling and cursor codes, added after, are sent as codes."""

    def _render_buffer(self, buffer):
        return super()._render_buffer(
            segment if segment.control else Segment(terminal(segment.text), segment.style, segment.control)
            for segment in buffer)


def say(text: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo for lines people read: through sanitize.terminal, wherever they go."""
    click.echo(terminal(text), err=err, nl=nl)


def put(data: str, nl: bool = True) -> None:
    """A report (JSON, CSV, Markdown...) on stdout: as its format has it for a file or a pipe,
    through sanitize.terminal on a terminal."""
    click.echo(terminal(data) if sys.stdout.isatty() else data, nl=nl)


stderr = TerminalConsole(stderr=True, highlight=False, soft_wrap=True)


class NoBrowser(click.ClickException):
    exit_code = EXIT_NO_BROWSER


class Interrupted(click.ClickException):
    """A run that had to stop: one line naming --resume, never a traceback."""

    exit_code = EXIT_INTERRUPTED


class NoNetwork(click.ClickException):
    exit_code = EXIT_NO_NETWORK


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

    def unreachable(self, hosts: dict[str, str]) -> None:
        shown = "、".join(f"{host}（{error}）" for host, error in hosts.items())
        self.console.print(f"无法连接 {len(hosts)} 个主机，其账号将记为待复核：{shown}", markup=False)

    def finished_account(self, result: AccountResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=visible(result.account.name))
        else:
            label = VERDICT_LABELS[result.judgement.verdict]
            self.console.print(visible(f"[{self.done}/{self.total}] {result.account.id} {result.account.name}：{label}"),
                               markup=False)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class Commands(click.Group):
    """nmaudit's commands. An error's message (it may quote a file, a page, a value given) is
    shown through sanitize.terminal like every other line; exit codes are click's."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as error:
            shown = io.StringIO()
            error.show(file=shown)
            click.echo(terminal(shown.getvalue()), err=True, nl=False)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nmaudit")
def cli() -> None:
    """nmaudit: audit government new-media accounts (政务新媒体) in headless Chromium."""


#: `--content` without N: the newest three articles/posts per account.
CONTENT_DEFAULT = 3


def audit_options(command):
    """The options `audit` and `recheck` share: where to keep things, the browser, the output."""
    options = [
        click.option("--as-of", "as_of", metavar="ISO8601",
                     help="Check time (监测时间点): a date or datetime, naive values in Beijing time. "
                          "Default: now, or the capture's time with --replay."),
        click.option("--format", "fmt", type=click.Choice(output.FORMATS), default="table", show_default=True),
        click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False),
                     help="Write the report here instead of stdout."),
        click.option("--db", default="nmaudit.db", show_default=True, type=click.Path(dir_okay=False)),
        click.option("--snapshots", default="snapshots", show_default=True, type=click.Path(file_okay=False),
                     help="Evidence folder: <snapshots>/<run-id>/<account-id>/."),
        click.option("--concurrency", "-j", default=AuditOptions().concurrency, show_default=True,
                     type=click.IntRange(1, 64), help="Pages working at once (one browser)."),
        click.option("--only", multiple=True, metavar="ID", help="Audit only this account (repeatable)."),
        click.option("--fail-on", type=click.Choice(FAIL_ON_LEVELS), default="never", show_default=True,
                     help="Exit 1 when any account is at this level or worse."),
        click.option("--browser-arg", "browser_args", multiple=True, metavar="ARG",
                     help="Extra Chromium flag (repeatable)."),
        click.option("--executable", type=click.Path(dir_okay=False), help="The Chromium or Chrome to use."),
        click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(1, 600),
                     help="Seconds per page."),
        click.option("--pace", default=0.5, show_default=True, type=click.FloatRange(0, 60),
                     help="Seconds between two requests to one host."),
        click.option("--sogou-pace", default=SOGOU_PACE, show_default=True, type=click.FloatRange(0, 3600),
                     help="Seconds between two Sogou WeChat searches (Sogou walls off clients that search "
                          "quickly; a wall stops Sogou for the rest of the run)."),
        click.option("--sources", "extra_sources", multiple=True, type=click.Choice(["sogou"]),
                     help="Turn on an opt-in source for every account (sogou: Sogou WeChat search; rate-limits hard)."),
        click.option("--record", "record_har", is_flag=False, flag_value=RECORD_BESIDE_SNAPSHOTS, default=None,
                     metavar="[HAR]", help="Save every request and response of the run (without a path: "
                                           "<snapshots>/<run-id>/run.har); its SHA-256 is kept with the evidence."),
        click.option("--replay", "replay_har", type=click.Path(exists=True, dir_okay=False), metavar="HAR",
                     help="Serve the run from a recorded HAR, with no network."),
        click.option("--content", "content", is_flag=False, flag_value=CONTENT_DEFAULT, default=0,
                     type=click.IntRange(0, 50), metavar="[N]",
                     help=f"Also open the newest N articles/posts per account seen only as a title or excerpt, "
                          f"for content screening (without N: {CONTENT_DEFAULT}). Default: nothing extra is fetched."),
        click.option("--screening", "screening", type=click.Path(dir_okay=False), metavar="FILE",
                     help="The office's content screening settings (YAML: wording, sensitive, ad_domains, "
                          "ad_phrases, default_wording)."),
        click.option("--browser-endpoint", "browser_endpoints", multiple=True, metavar="WS_URL",
                     help="Audit through this Playwright browser server (playwright run-server) instead of the "
                          "local Chromium (repeatable: each endpoint is paced on its own, as its own egress)."),
        click.option("--endpoints-file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Browser servers, one 'ws://host:port/path [pages=N] [proxy=URL]' a line."),
        click.option("--pages-per-endpoint", type=click.IntRange(1, 64), metavar="N",
                     help="Pages each browser server works at once (default: --concurrency)."),
        click.option("--endpoint-executable", metavar="PATH",
                     help="The Chromium on the servers' machines to launch (servers started with --unsafe)."),
        click.option("--sessions", "sessions", default=sessions_module.DEFAULT_FOLDER, show_default=True,
                     envvar="NMAUDIT_SESSIONS", type=click.Path(file_okay=False),
                     help="Signed-in sessions (nmaudit login) to read as; a platform without one is read as a visitor."),
        click.option("--proxy", "proxy_urls", multiple=True, metavar="[PLATFORM=]URL",
                     help="Send the browsers' requests through this proxy (http:// or socks5://; credentials from "
                          "$NMAUDIT_PROXY_USERNAME and $NMAUDIT_PROXY_PASSWORD). PLATFORM=URL (repeatable): only "
                          "that platform's accounts (wechat, weibo, app, web, or a site such as douyin) go through "
                          "it, in a browser of their own."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@click.argument("registry", type=click.Path(dir_okay=False), required=False)
@audit_options
@click.option("--resume", "resume", is_flag=False, flag_value="latest", default=None, metavar="[RUN]",
              help="Continue an interrupted run (default: the latest unfinished one) with the accounts it "
                   "had not finished, and those a captcha wall kept from a source (Sogou), into the same run.")
@click.option("--notify", "notify", is_flag=True,
              help="After the audit, tell the responsible units what changed (staged warnings, 红黄蓝预警).")
@click.option("--contacts", "contacts", default="contacts.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="Who is told, through which channels (with --notify).")
@click.option("--due", "due", is_flag=True,
              help="Check only the accounts whose state can have changed since their last check (a warning or "
                   "veto line reached, the identity check due, 待复核/不合格/new); the others keep their last "
                   "check's state in this run, shown with its date (上次核验).")
@click.option("--budget", "budgets", multiple=True, metavar="HOST=N",
              help="With --due: at most N accounts that ask HOST (a Sogou search each) per egress (each browser "
                   "endpoint, else this machine) this night (repeatable; sogou names Sogou WeChat search). What is "
                   "due beyond it waits, most urgent first; a crowded night ahead is partly checked earlier.")
def audit(registry: Optional[str], resume: Optional[str], **settings) -> None:
    """Audit the accounts of REGISTRY (accounts.yaml) and print the verdicts."""
    _check_settings(settings)
    if settings["budgets"] and not settings["due"]:
        raise click.UsageError("--budget applies to --due runs")
    try:
        budgets = parse_budgets(settings["budgets"], BUDGET_ALIASES)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--budget'") from None
    if settings["notify"]:
        # Checked before anything is audited: a bad contacts file is an input error.
        settings["loaded_contacts"] = _load_contacts(settings["contacts"], "nothing was audited")
    if resume is not None:
        if registry or settings["only"] or settings["as_of"] or settings["extra_sources"] or settings["due"]:
            raise click.UsageError("--resume continues a stored run as it was started: "
                                   "give no REGISTRY, --only, --as-of, --sources or --due")
        store = _store(settings["db"])
        try:
            run_id = store.resolve_run(resume, unfinished=True)
            if not store.resumable(run_id):
                raise StoreError(f"run {run_id} is already finished: nothing to resume")
        except StoreError as error:
            raise click.ClickException(str(error)) from None
        _run_and_report(settings, lambda options, progress: resume_run(run_id, options, store, progress), store)
        return
    if registry is None:
        raise click.UsageError("Missing argument 'REGISTRY' (or --resume to continue an interrupted run).")
    loaded, accounts = _load_accounts(registry, settings["only"], settings["extra_sources"])
    store = _store(settings["db"])
    carry = None
    if settings["due"]:
        accounts, carry = _plan_due(settings, accounts, store, budgets)
    _run_and_report(settings, lambda options, progress: audit_accounts(loaded, accounts, options, store, progress,
                                                                       carry=carry), store)


#: Names `--budget` takes besides host names.
BUDGET_ALIASES = {"sogou": SOGOU_HOST}


def _plan_due(settings: dict, accounts: list, store: Store, budgets: dict[str, int]) -> tuple[list, dict]:
    """Tonight's due checks: the accounts of the run, and those of them not due (or over budget)
    with their last check, to carry. A never-checked account over budget has nothing to carry:
    it waits for a later night outside this run."""
    as_of = _as_of(settings["as_of"])
    if as_of is None and settings["replay_har"]:
        as_of = capture_time(settings["replay_har"])
    as_of = as_of or now()
    egresses = max(1, len(_endpoints(settings)))
    before = RunInfo(id="", as_of=as_of, registry="", started_at=now())
    last = store.last_checks([account.id for account in accounts], before)
    checks = [next_check(account, last.get(account.id)) for account in accounts]
    plan = plan_night(checks, check_date(as_of), {host: n * egresses for host, n in budgets.items()},
                      account_hosts)
    reasons: dict[str, int] = {}
    for item in plan.check:
        reasons[item.label] = reasons.get(item.label, 0) + 1
    why = "、".join(f"{label} {count}" for label, count in reasons.items())
    stderr.print(f"按期检查（{as_of:%Y-%m-%d}）：本次核验 {len(plan.check)} 个账号" + (f"（{why}）" if why else "")
                 + f"，{len(plan.carry)} 个沿用上次核验结果", markup=False)
    for host, (used, budget) in plan.used.items():
        stderr.print(f"{host}：本晚预算 {budget} 次（{egresses} 个出口），计划 {used} 次", markup=False)
    if plan.early:
        stderr.print(f"{len(plan.early)} 个账号提前核验（之后某晚到期账号超出预算）", markup=False)
    if plan.late:
        stderr.print(f"{len(plan.late)} 个已到期账号超出本晚预算，顺延至下一晚（沿用上次核验结果）：" + "、".join(
            item.account.id for item in plan.late[:10]) + ("等" if len(plan.late) > 10 else ""), markup=False)
    chosen = {item.account.id for item in plan.check}
    unchecked = [account.id for account in accounts if account.id not in chosen and account.id not in last]
    if unchecked:
        stderr.print(f"{len(unchecked)} 个尚无检查记录的账号超出本晚预算，本批次不含：" + "、".join(unchecked[:10])
                     + ("等" if len(unchecked) > 10 else ""), markup=False)
    carry = {account.id: last[account.id] for account in accounts if account.id not in chosen and account.id in last}
    return [account for account in accounts if account.id in chosen or account.id in carry], carry


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--registry", "registry", type=click.Path(dir_okay=False),
              help="Take the accounts as filed now (e.g. a name change since filed) instead of as RUN audited them.")
@audit_options
def recheck(run_id: str, registry: Optional[str], **settings) -> None:
    """Re-check (复核) RUN: audit again only its 不合格 and 待复核 accounts, and say which are fixed."""
    _check_settings(settings)
    store = _stored_store(settings["db"])
    try:
        run_id = store.resolve_run(run_id)
        earlier = store.load_run(run_id)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    wanted = accounts_to_recheck(earlier)
    if settings["only"]:
        unknown = [i for i in settings["only"] if i not in wanted]
        if unknown:
            raise click.UsageError(f"not 不合格 or 待复核 in run {run_id}: {', '.join(unknown)}")
        wanted = [i for i in wanted if i in settings["only"]]
    if not wanted:
        stderr.print(f"批次 {run_id} 没有不合格或待复核的账号，无需复核", markup=False)
        return
    if registry:
        loaded, accounts = _load_accounts(registry, tuple(wanted), settings["extra_sources"])
    else:
        stored = store.run_row(run_id)
        filed = {account.id: account for account in store.audited_accounts(run_id)}
        accounts = with_sources([filed[i] for i in wanted], settings["extra_sources"])
        loaded = Registry(path=stored["registry"], version=1, policy=Policy(), accounts=accounts,
                          sha256=stored["registry_sha256"])
    _run_and_report(
        settings,
        lambda options, progress: audit_accounts(loaded, accounts, options, store, progress, recheck_of=run_id),
        store, earlier=earlier,
    )


def _check_settings(settings: dict) -> None:
    """Usage errors the options alone show, before anything is opened or written."""
    if settings["record_har"] is not None and settings["replay_har"]:
        raise click.UsageError("--record and --replay cannot be used together")
    _as_of(settings["as_of"])
    try:  # the office's screening lists, read before anything is opened or written
        settings["screener"] = Screener(load_screening(settings["screening"]))
    except UsageError as error:
        raise click.UsageError(str(error)) from None


def _store(db: str) -> Store:
    try:
        return Store(db)
    except StoreError as error:
        raise click.ClickException(str(error)) from None


def _load_accounts(registry: str, only: tuple[str, ...], extra_sources: tuple[str, ...]):
    try:
        loaded = load_registry(registry)
        accounts = loaded.select(list(only)) if only else loaded.accounts
        return loaded, with_sources(accounts, extra_sources)
    except RegistryError as error:
        for problem in error.problems:
            say(visible(problem), err=True)
        count = len(error.problems)
        raise InvalidInput(f"{registry}: {count} problem{'s' if count != 1 else ''}; nothing was audited") from None
    except UsageError as error:
        raise click.UsageError(visible(error)) from None


def _endpoints(settings: dict) -> list[Endpoint]:
    """The browser servers of --browser-endpoint and --endpoints-file, in that order."""
    endpoints = []
    for url in settings["browser_endpoints"]:
        try:
            endpoints.append(Endpoint(url=check_endpoint_url(url)))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'--browser-endpoint'") from None
    if settings["endpoints_file"]:
        try:
            endpoints += read_endpoints_file(settings["endpoints_file"])
        except UsageError as error:
            raise click.UsageError(visible(error)) from None
    return endpoints


def _proxies(settings: dict) -> tuple[Optional[dict], dict[str, str]]:
    """--proxy values: the proxy for every request (at most one), and the proxies per platform."""
    general: list[str] = []
    per_platform: dict[str, str] = {}
    for value in settings["proxy_urls"]:
        try:
            route, url = split_proxy_option(value, PROXY_ROUTES)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'--proxy'") from None
        if route is None:
            general.append(url)
        elif per_platform.setdefault(route, url) != url:
            raise click.BadParameter(f"two proxies for {route}", param_hint="'--proxy'")
    if len(general) > 1:
        raise click.BadParameter("one proxy for every request at most (PLATFORM=URL for the others)",
                                 param_hint="'--proxy'")
    return (playwright_proxy(general[0]) if general else None), per_platform


def _run_and_report(settings: dict, start, store: Store, earlier: Optional[RunResult] = None) -> None:
    """Run an audit with the shared options, print it, and exit with the --fail-on code."""
    options = AuditOptions(
        content=settings["content"], screener=settings.get("screener"),
        db=settings["db"], snapshots=settings["snapshots"], as_of=_as_of(settings["as_of"]),
        concurrency=settings["concurrency"],
        browser=BrowserOptions(
            executable=settings["executable"], browser_args=list(settings["browser_args"]),
            timeout=settings["timeout"], pace=settings["pace"], record_har=settings["record_har"],
            replay_har=settings["replay_har"], host_pace={SOGOU_HOST: settings["sogou_pace"]},
            remote_executable=settings["endpoint_executable"], proxy=_proxies(settings)[0],
        ),
        endpoints=_endpoints(settings), pages_per_endpoint=settings["pages_per_endpoint"],
        platform_proxies=_proxies(settings)[1],
        sessions=settings["sessions"],
        session_watch=SessionWatch(lambda lapse: _tell_operator(settings.get("contacts"), lapse)),
    )
    display = ProgressDisplay(stderr)
    try:
        result = asyncio.run(start(options, AuditProgress(started=display.started,
                                                          finished_account=display.finished_account,
                                                          unreachable=display.unreachable)))
    except BrowserUnavailable as error:
        raise NoBrowser(str(error)) from None
    except RunInterrupted as error:
        raise Interrupted(visible(error)) from None
    except NetworkUnreachable as error:
        raise NoNetwork(visible(error)) from None
    except (StoreError, UsageError) as error:
        raise click.ClickException(visible(error)) from None
    except Exception as error:  # whatever stopped the run: what finished is stored; say how to go on
        first = str(error).splitlines()[0] if str(error) else ""
        raise Interrupted(visible(f"检查未完成（{type(error).__name__}: {first}）。已完成的账号均已保存；"
                                  "用 nmaudit audit --resume 继续检查其余账号")) from None
    finally:
        display.stop()
    recheck_items = compare_runs(earlier, result) if earlier is not None else None
    emit(result, settings["fmt"], settings["output_file"], recheck_items)
    summary = output.summarize(result.results)
    record_har = options.browser.record_har
    stderr.print(
        f"批次 {result.run.id}：检查 {summary['checked']}，合格 {summary['pass']}，不合格 {summary['fail']}，"
        f"待复核 {summary['review']}；证据 {Path(options.snapshots) / result.run.id}，数据库 {settings['db']}"
        + (f"，录制 {record_har}" if record_har else "")
        + (f"；登录会话：{'、'.join(options.session_watch.used())}" if options.session_watch.used() else "")
        + "".join(f"；{lapse.message}" for lapse in _first_lapses(options.session_watch)),
        markup=False,
    )
    if deferred := [item for item in result.results if item.observation.deferred]:
        hosts = "、".join(dict.fromkeys(host for item in deferred for host in item.observation.deferred))
        stderr.print(f"{hosts} 在本次检查中出现验证码，已停止访问；{len(deferred)} 个账号待补查："
                     f"稍后运行 nmaudit audit --resume {result.run.id}", markup=False)
    if settings.get("loaded_contacts") is not None:
        _notify_after_audit(store, result.run.id, settings["loaded_contacts"])
    hits = sum(1 for item in result.results for hit in item.content_hits if hit.status != "dismissed")
    if hits:
        stderr.print(f"内容疑点 {hits} 处（疑似，需人工确认；不影响合格判定）：nmaudit review 或 nmaudit report", markup=False)
    sys.exit(exit_code_for(result, settings["fail_on"]))


def _first_lapses(watch: SessionWatch) -> list["sessions_module.Lapse"]:
    """Each platform's first lapse in the run (the one the operator was told of)."""
    return list({lapse.platform: lapse for lapse in reversed(watch.lapses)}.values())[::-1]


def _tell_operator(contacts_path: Optional[str], lapse: "sessions_module.Lapse") -> None:
    """A session lapsed: tell the operator once, through the contacts file's operator channel."""
    if not contacts_path or not Path(contacts_path).is_file():
        where = f"未找到通知对象文件 {contacts_path}" if contacts_path else "未指定通知对象文件（--contacts）"
        stderr.print(f"{lapse.message}（{where}，未发送通知）", markup=False)
        return
    try:
        contacts = load_contacts(contacts_path)
    except ContactsError as error:
        stderr.print(f"{lapse.message}（通知对象文件有误，未发送通知：{error.problems[0]}）", markup=False)
        return
    if not contacts.operator:
        stderr.print(f"{lapse.message}（{contacts_path} 未设置 operator 通道，未发送通知）", markup=False)
        return
    for failure in notify_module.notify_operator(contacts, "nmaudit：登录会话已失效", lapse.message):
        stderr.print(f"登录失效通知未送达：{failure}", markup=False)


def _notify_after_audit(store: Store, run_id: str, contacts: Contacts) -> None:
    """Send a finished audit's notifications; whatever goes wrong is said, never raised: the
    audit and its exit code stand, and failed messages wait for `nmaudit notify RUN --resend`."""
    try:
        _, outcome = notify_module.notify_run(store, run_id, contacts)
    except Exception as error:  # the audit is stored; a notification problem must not lose it
        stderr.print(f"通知未发送：{error}（可用 nmaudit notify {run_id} 重试）", markup=False)
        return
    _print_outcome(outcome)


def _load_contacts(path: str, nothing: str = "nothing was sent") -> Contacts:
    try:
        contacts = load_contacts(path)
    except ContactsError as error:
        for problem in error.problems:
            say(problem, err=True)
        count = len(error.problems)
        raise InvalidInput(f"{path}: {count} problem{'s' if count != 1 else ''}; {nothing}") from None
    for warning in contacts.warnings:
        stderr.print(warning, markup=False)
    return contacts


def _print_unrouted(outcome: "notify_module.Outcome") -> None:
    for owner, statuses in outcome.unrouted.items():
        stderr.print(f"未配置接收人：{owner}（{'、'.join(s.label for s in statuses)}）：未通知", markup=False)


def _print_outcome(outcome: "notify_module.Outcome") -> None:
    for row in outcome.failed:
        stderr.print(f"发送失败：{row['title']} → {row['channel']}：{row['error']}", markup=False)
    _print_unrouted(outcome)
    retry = f"；重发：nmaudit notify {outcome.run_id} --resend" if outcome.failed else ""
    stderr.print(f"通知 批次 {outcome.run_id}：发送成功 {len(outcome.sent)}，发送失败 {len(outcome.failed)}{retry}",
                 markup=False)


def emit(result: RunResult, fmt: str, output_file: Optional[str], recheck: Optional[list[RecheckItem]] = None) -> None:
    """Print the report on stdout, or write it to a file atomically."""
    if fmt == "table":
        if output_file:
            console = TerminalConsole(record=True, width=120, file=io.StringIO())
            output.render(result, fmt, console, recheck)
            text = console.export_text()
        else:
            output.render(result, fmt, TerminalConsole(highlight=False), recheck)
            text = None
    else:
        text = output.render(result, fmt, recheck=recheck)
        if not text.endswith("\n"):
            text += "\n"
    if output_file:
        atomic_write(Path(output_file), text.encode("utf-8"))
        stderr.print(f"已写入 {output_file}", markup=False)
    elif text is not None:
        put(text, nl=False)


DB_OPTION = click.option("--db", default="nmaudit.db", show_default=True, type=click.Path(dir_okay=False))


def _stored_store(db: str) -> Store:
    """An existing database (reading commands never create one)."""
    if not Path(db).is_file():
        raise click.ClickException(f"{db}: no such database (run 'nmaudit audit' first, or pass --db)")
    return _store(db)


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--as-of", "as_of", metavar="ISO8601", help="Judge at this check time instead of the run's.")
@click.option("--policy", "policy", multiple=True, metavar="NAME=DAYS",
              help="Override every account's policy: warn_idle_days, fail_idle_days, zombie_idle_days (repeatable).")
@click.option("--format", "fmt", type=click.Choice(output.FORMATS), default="table", show_default=True)
@click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_LEVELS), default="never", show_default=True,
              help="Exit 1 when any account is at this level or worse.")
@DB_OPTION
def judge(run_id: str, as_of: Optional[str], policy: tuple[str, ...], fmt: str, output_file: Optional[str],
          fail_on: str, db: str) -> None:
    """Judge a stored RUN again (another check time or policy), without the network. Nothing is written."""
    check_time = _as_of(as_of)
    try:
        overrides = parse_policy(list(policy))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--policy'") from None
    store = _stored_store(db)
    try:
        result = rejudge(store, store.resolve_run(run_id), check_time, overrides)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--policy'") from None
    emit(result, fmt, output_file)
    sys.exit(exit_code_for(result, fail_on))


@cli.command()
@click.argument("account_id", metavar="ACCOUNT-ID")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--rank-days", "rank_days", default=rankings_module.DEFAULT_DAYS, show_default=True,
              type=click.IntRange(1, 3660), metavar="DAYS",
              help="Running figures and ranks (排名) over the DAYS days up to the account's latest run.")
@DB_OPTION
def history(account_id: str, fmt: str, rank_days: int, db: str) -> None:
    """One account's timeline: per run the verdict, newest post, idle days, name and certification seen;
    then its running figures and ranks over the last DAYS days."""
    store = _stored_store(db)
    try:
        rows = history_rows(store, account_id)
        latest = [row for row in rows if not row["recheck_of"]] or rows
        figures = rankings_module.account_figures(
            rankings_module.collect(store, latest[-1]["run_id"], rank_days), account_id)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    if fmt == "json":
        document = output.history_document(account_id, rows)
        document["figures"] = figures
        put(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        output.render_history(account_id, rows, TerminalConsole(highlight=False))
        if figures is not None:
            say(f"近{rank_days}天 {rankings_module.figures_text(figures)}")


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--contacts", "contacts", default="contacts.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="Who is told, through which channels.")
@click.option("--dry-run", is_flag=True, help="Print exactly the messages that would be sent; send and keep nothing.")
@click.option("--resend", is_flag=True, help="Send RUN's failed messages again.")
@DB_OPTION
def notify(run_id: str, contacts: str, dry_run: bool, resend: bool, db: str) -> None:
    """Tell the responsible units what changed in RUN (staged warnings, 红黄蓝预警), once per change."""
    if dry_run and resend:
        raise click.UsageError("--dry-run and --resend cannot be used together")
    loaded = _load_contacts(contacts)
    store = _stored_store(db)
    try:
        run_id = store.resolve_run(run_id)
        if resend:
            outcome = notify_module.resend(store, run_id, loaded)
        else:
            plan, outcome = notify_module.notify_run(store, run_id, loaded, dry_run=dry_run)
            if dry_run:
                say(notify_module.render_plan(plan), nl=False)
                _print_unrouted(outcome)
                return
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    _print_outcome(outcome)
    if outcome.failed:
        sys.exit(EXIT_FAIL_ON)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@DB_OPTION
def runs(fmt: str, db: str) -> None:
    """Every run: id, check time, registry, status and counts."""
    rows = _stored_store(db).list_runs()
    if fmt == "json":
        put(json.dumps({"runs": rows}, ensure_ascii=False, indent=2))
    elif not rows:
        stderr.print(f"{db}：还没有检查批次", markup=False)
    else:
        output.render_runs(rows, TerminalConsole(highlight=False))


@cli.command()
@click.argument("run_id", metavar="RUN")
@DB_OPTION
def verify(run_id: str, db: str) -> None:
    """Check that RUN's evidence files are still as captured (SHA-256 and size). Exit 1 if not."""
    store = _stored_store(db)
    try:
        report = verify_run(store, store.resolve_run(run_id))
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    for label, paths in (("被修改", report.modified), ("缺失", report.missing), ("未登记", report.unrecorded)):
        for path in paths:
            say(visible(f"{label}：{path}"))
    verdict = "证据完好" if report.ok else "证据与采集时不一致"
    say(f"批次 {report.run_id}：{verdict}（完好 {len(report.intact)}，被修改 {len(report.modified)}，"
               f"缺失 {len(report.missing)}，未登记 {len(report.unrecorded)}）")
    if not report.ok:
        sys.exit(EXIT_FAIL_ON)


@cli.command()
@click.option("--keep-runs", type=click.IntRange(1), metavar="N", help="Keep the newest N runs.")
@click.option("--older-than", "older_than", type=click.IntRange(1), metavar="DAYS",
              help="Delete runs whose check time is more than DAYS days ago.")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@DB_OPTION
def prune(keep_runs: Optional[int], older_than: Optional[int], dry_run: bool, db: str) -> None:
    """Delete old runs' rows and snapshots together; an account's latest run is always kept."""
    if keep_runs is None and older_than is None:
        raise click.UsageError("say what to prune: --keep-runs N and/or --older-than DAYS")
    report = prune_runs(_stored_store(db), keep_runs, older_than, dry_run)
    verb = "将删除" if dry_run else "已删除"
    for run_id in report.deleted:
        say(f"{verb}批次 {run_id}")
    for run_id in report.kept_as_latest:
        say(f"保留批次 {run_id}（仍是部分账号的最近一次检查）")
    for run_id in report.kept_with_filings:
        say(f"保留批次 {run_id}（含报备记录，此后的检查仍以其为准）")
    freed = f"{report.freed_bytes / 1024 / 1024:.1f} MB"
    say(f"{verb} {len(report.deleted)} 个批次，{'可' if dry_run else '已'}释放 {freed}")


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--format", "fmt", type=click.Choice(report_module.REPORT_FORMATS), default="html", show_default=True)
@click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False),
              help="Write here (html and md default to stdout; pdf and xlsx to nmaudit-report-RUN.pdf/.xlsx).")
@DB_OPTION
@click.option("--executable", type=click.Path(dir_okay=False), help="The Chromium or Chrome that prints the PDF.")
@click.option("--rank-days", "rank_days", default=rankings_module.DEFAULT_DAYS, show_default=True,
              type=click.IntRange(0, 3660), metavar="DAYS",
              help="排名 over the DAYS days up to RUN (shown when runs fall on two days or more; 0: never).")
def report(run_id: str, fmt: str, output_file: Optional[str], db: str, executable: Optional[str],
           rank_days: int) -> None:
    """The inspection notice (检查情况通报) of run RUN ('latest': the last run) as html, pdf, xlsx or md."""
    store = _stored_store(db)
    try:
        run_id = store.resolve_run(run_id)
        result = store.load_run(run_id)
        earlier = result.run.recheck_of or store.earlier_run(run_id)
        recheck = compare_runs(store.load_run(earlier), result) if earlier else None
        ranked = rankings_module.collect(store, run_id, rank_days) if rank_days else None
        notice = report_module.build_report(
            result, registered=len(store.audited_accounts(run_id)), recheck=recheck, recheck_of=earlier,
            capabilities=capabilities(), rankings=ranked if ranked and ranked.runs > 1 else None,
            trend=trend(store, run_id))
    except StoreError as error:
        raise click.ClickException(str(error)) from None

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
            from .pdftext import restore_ideographs  # pypdf and fontTools load only for a PDF

            page = report_module.render_html(notice, folder)
            data = restore_ideographs(asyncio.run(print_pdf(page, folder, executable)), page)
        except BrowserUnavailable as error:
            raise NoBrowser(str(error)) from None
    if output_file is None:
        put(data.decode("utf-8"), nl=False)
        return
    atomic_write(Path(output_file), data)
    stderr.print(f"已写入 {output_file}（批次 {result.run.id}）", markup=False)


@cli.group()
def registry() -> None:
    """The registry: import a spreadsheet export, lint accounts.yaml, see what an audit can prove."""


def _invalid(error: RegistryError, message: str) -> InvalidInput:
    for problem in error.problems:
        say(visible(problem), err=True)
    return InvalidInput(visible(message))


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
        say(visible(line), err=True)
    if not imported.accounts:
        raise InvalidInput(f"{source}: no account could be imported; {output_file} was not written")
    totals: dict = {}
    write_registry(imported, target, lambda accounts: coverage_totals(map(account_coverage, accounts), totals))
    left_out = f"，{len(imported.problems)} 行无法导入（见上）" if imported.problems else ""
    closed = f"，{imported.closed} 个已关停/注销" if imported.closed else ""
    stderr.print(f"已写入 {output_file}：{len(imported.accounts)} 个账号{left_out}{closed}", markup=False)
    stderr.print(f"能否证明更新情况（逐个账号见 nmaudit registry coverage {output_file}）：", markup=False)
    for line in totals_lines(totals=totals):
        stderr.print(visible(f"  {line}"), markup=False)
    sys.exit(EXIT_FAIL_ON if imported.problems else 0)


@registry.command("coverage")
@click.argument("registry_file", metavar="REGISTRY", type=click.Path(dir_okay=False))
@click.option("--sessions", default=sessions_module.DEFAULT_FOLDER, show_default=True, envvar="NMAUDIT_SESSIONS",
              type=click.Path(file_okay=False), help="Signed-in sessions (nmaudit login): which are held here.")
def registry_coverage(registry_file: str, sessions: str) -> None:
    """Per account, the sources the audit will read and whether they can prove idleness;
    and what signing in to a platform (nmaudit login) would add."""
    try:
        loaded = load_registry(registry_file)
    except RegistryError as error:
        count = len(error.problems)
        raise _invalid(error, f"{registry_file}: {count} problem{'s' if count != 1 else ''}") from None
    items = [account_coverage(account) for account in loaded.accounts]
    signed_in = {entry.platform for entry in SessionStore(sessions).entries()
                 if entry.endpoint == sessions_module.LOCAL and not entry.expired}
    for item in items:
        account = item.account
        say(visible(f"{registry_file}:{account.line}: {account.id} {account.name}"
                           f"（{PLATFORM_LABELS[account.platform]}）：{item.label} — {'；'.join(item.sources)}"
                           f"{session_note(item, signed_in)}"))
    say("")
    for line in totals_lines(items):
        say(visible(line))
    if extra := session_lines(items, signed_in):
        say("")
        for line in extra:
            say(visible(line))


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
        say(visible(hint.format(registry_file)))
    stderr.print(f"{registry_file}：{len(hints)} 条提示" if hints else f"{registry_file}：没有提示", markup=False)
    sys.exit(EXIT_FAIL_ON if strict and hints else 0)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def platforms(fmt: str) -> None:
    """What each platform's adapter checks, and what staff must check by hand."""
    rows = capabilities()
    if fmt == "json":
        put(json.dumps({"platforms": rows, "every_platform": EVERY_PLATFORM}, ensure_ascii=False, indent=2))
        return
    table = Table(title="各平台检查能力", show_lines=True)
    for header in ("平台", "数据来源", "自动检查", "无法公开查看（需人工核查）"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(f"{row['label']}（{row['platform']}）", row["sources"],
                      "、".join(INDICATOR_LABELS[i] for i in row["checks"]),
                      "、".join(INDICATOR_LABELS[i] for i in row["unchecked"]) or "—")
    console = TerminalConsole(highlight=False)
    console.print(table)
    console.print(f"所有平台：{EVERY_PLATFORM}", markup=False)


@cli.command()
@click.option("--executable", type=click.Path(dir_okay=False), help="Check this browser instead of looking for one.")
def install(executable: Optional[str]) -> None:
    """Make a working Chromium and CJK fonts available, or say exactly how."""
    readiness = install_browser(lambda line: stderr.print(line, markup=False), executable)
    if readiness.browser:
        say(f"browser: {readiness.browser}")
    else:
        say(f"browser: missing ({readiness.browser_problem})")
    say(f"CJK fonts: {'present' if readiness.cjk_fonts else 'missing (Chinese would render as boxes in screenshots)'}")
    if not readiness.ready:
        for step in manual_steps(readiness):
            say(f"  {step}")
    if (hint := faster_step(readiness)) is not None:
        say(f"  {hint}")
    if readiness.browser is None:
        sys.exit(EXIT_NO_BROWSER)


@cli.command()
@click.option("--db", default="nmaudit.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--run", "run_id", metavar="RUN", help="The run to open first (default: the latest).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this machine needs an access token.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="0: any free port.")
@click.option("--snapshots", type=click.Path(file_okay=False),
              help="Evidence folder. Default: the folder each run was audited with (audit --snapshots).")
@click.option("--token", envvar="NMAUDIT_REVIEW_TOKEN", metavar="TOKEN",
              help="Access token (env NMAUDIT_REVIEW_TOKEN); generated and printed when listening beyond this machine.")
@click.option("--sessions", default=sessions_module.DEFAULT_FOLDER, show_default=True, envvar="NMAUDIT_SESSIONS",
              type=click.Path(file_okay=False), help="Where the 平台登录 page keeps signed-in sessions (owner-only).")
@click.option("--executable", type=click.Path(dir_okay=False), help="The Chromium the 平台登录 page signs in with.")
@click.option("--browser-arg", "browser_args", multiple=True, metavar="ARG", help="Extra Chromium flag (repeatable).")
def review(db: str, run_id: Optional[str], host: str, port: int, snapshots: Optional[str], token: Optional[str],
           sessions: str, executable: Optional[str], browser_args: tuple[str, ...]) -> None:
    """Staff review in a web browser: evidence beside what was read; confirm, overrule, complete."""
    from . import webapp  # Flask loads only for this command

    if not Path(db).is_file():
        raise click.ClickException(f"{db}: no such database (run 'nmaudit audit' first, or give --db)")
    try:
        store = Store(db)
        chosen = store.resolve_run(run_id) if run_id or store.list_runs() else None
        store.close()
        if not webapp.is_local(host) and not token:
            token = secrets.token_urlsafe(16)
        app = webapp.create_app(db, snapshots=snapshots, host=host, token=token, sessions=sessions,
                                browser=BrowserOptions(executable=executable, browser_args=list(browser_args)))
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    path = f"/runs/{chosen}" if chosen else "/"

    def ready(listening: int) -> None:
        say(f"复核页面：{webapp.address(host, listening, path, token)}")
        if not webapp.is_local(host):
            say(f"访问令牌：{token}（只交给复核人员；每次访问都会校验）")
        say("按 Ctrl-C 停止", err=True)

    try:
        webapp.serve(app, host, port, ready)
    except UsageError as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@click.argument("platform", required=False, type=click.Choice(list(SESSION_PLATFORMS)))
@click.option("--list", "listing", is_flag=True, help="List the kept sessions (platform, endpoint, when), and exit.")
@click.option("--forget", is_flag=True, help="Delete PLATFORM's session (on --browser-endpoint, or this machine's).")
@click.option("--sessions", "folder", default=sessions_module.DEFAULT_FOLDER, show_default=True,
              envvar="NMAUDIT_SESSIONS", type=click.Path(file_okay=False), help="Where sessions are kept (owner-only).")
@click.option("--browser-endpoint", "endpoint", metavar="WS_URL",
              help="Sign in on this Playwright browser server (the session is kept for it alone).")
@click.option("--endpoint-executable", metavar="PATH", help="The Chromium on the server's machine.")
@click.option("--executable", type=click.Path(dir_okay=False), help="The Chromium or Chrome to use.")
@click.option("--browser-arg", "browser_args", multiple=True, metavar="ARG", help="Extra Chromium flag (repeatable).")
@click.option("--wait", default=180.0, show_default=True, type=click.FloatRange(5, 1800),
              help="Seconds to wait for the phone's confirmation.")
@click.option("--qr-file", type=click.Path(dir_okay=False), metavar="PNG",
              help="Also write the QR code to this image (for a terminal that cannot show it).")
def login(platform: Optional[str], listing: bool, forget: bool, folder: str, endpoint: Optional[str],
          endpoint_executable: Optional[str], executable: Optional[str], browser_args: tuple[str, ...],
          wait: float, qr_file: Optional[str]) -> None:
    """Sign in to PLATFORM once by QR code, so audits read as a signed-in user where it helps."""
    store = SessionStore(folder)
    if listing:
        entries = store.entries()
        if not entries:
            say(f"没有已保存的登录会话（{folder}）")
        for entry in entries:
            where = "本机" if entry.endpoint == sessions_module.LOCAL else f"端点 {entry.endpoint}"
            until = entry.expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if entry.expires_at else "关闭浏览器即失效"
            until += f"（已过期，请重新登录：nmaudit login {entry.platform}）" if entry.expired else ""
            say(f"{entry.label}\t{where}\t登录于 {entry.saved_at.astimezone(BEIJING):%Y-%m-%d %H:%M}"
                       f"\t登录凭据有效期至 {until}\t用于：{SESSION_PLATFORMS[entry.platform].helps}")
        return
    if platform is None:
        raise click.UsageError("请指定平台（" + "、".join(SESSION_PLATFORMS) + "），或用 --list 查看已保存的会话")
    if endpoint:
        try:
            endpoint = check_endpoint_url(endpoint)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'--browser-endpoint'") from None
    label = SESSION_PLATFORMS[platform].label
    if forget:
        removed = store.forget(platform, endpoint)
        say(f"已删除{label}的登录会话" if removed else f"没有{label}的登录会话", err=not removed)
        return
    options = BrowserOptions(executable=executable, browser_args=list(browser_args), endpoint=endpoint,
                             remote_executable=endpoint_executable)

    def show(code: "sessions_module.QrCode") -> None:
        if qr_file:
            atomic_write(Path(qr_file), code.png)
        say(f"请用{label} App 扫描二维码登录（{wait:g} 秒内在手机上确认）：")
        if code.text:
            click.echo(sessions_module.terminal_qr(code.text))
        elif not qr_file:
            say("二维码无法在终端显示：请加 --qr-file 保存为图片，或在复核页面（nmaudit review）的“登录”页扫描")

    try:
        saved = asyncio.run(sessions_module.sign_in(platform, store, options, show, wait=wait))
    except BrowserUnavailable as error:
        raise NoBrowser(str(error)) from None
    except UsageError as error:
        raise click.ClickException(visible(error)) from None
    where = "本机" if saved.endpoint == sessions_module.LOCAL else f"端点 {saved.endpoint}"
    say(f"已登录{label}（{where}）：会话保存在 {store.path(platform, endpoint)}（仅本人可读）；"
               f"之后的检查以登录身份读取{SESSION_PLATFORMS[platform].helps}")


def main() -> None:
    cli(prog_name="nmaudit")
