"""The review pages: runs, one run's accounts, one account with its evidence and decisions."""

from __future__ import annotations

import io
import json
import mimetypes
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional

from flask import (
    Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file, session, url_for,
)
import segno
from werkzeug.exceptions import HTTPException, SecurityError

from ..applinks import app_links
from ..dates import now
from ..errors import ReviewError, StoreError, UploadError
from ..queue import entry as queue_entry, queue as review_queue, settled
from ..indicators import lines as indicator_lines
from ..models import (
    FILED_FIELD_LABELS, FINDING_LABELS, INDICATOR_LABELS, PLATFORM_LABELS, REVIEW_ACTION_LABELS, SEVERITY_LABELS,
    VERDICT_LABELS, AccountResult, RunResult, CONTENT_DECISION_LABELS, CONTENT_STATUS_LABELS, TEXT_KIND_LABELS,
    ContentReview,
)
from ..personal import mask
from .. import charts
from ..history import trend
from ..report import build_report
from ..output import fmt_date, fmt_minutes, summarize
from ..review import manual_source, new_review
from ..snapshots import evidence_key, save_manual
from ..uploads import MAX_BYTES, clean_screenshot
from . import store

views = Blueprint("views", __name__)

PAGE_SIZE = 50
#: Query parameters that filter a run's list; account pages keep them for next / previous.
FILTERS = ("verdict", "platform", "region", "owner", "q")
#: "pass-warn": 合格 with warnings.
VERDICT_FILTERS = {"review": "待复核", "fail": "不合格", "pass": "合格", "pass-warn": "合格（有警告）"}
#: 待复核 first, then 不合格, then 合格; registry order within each.
VERDICT_ORDER = {"review": 0, "fail": 1, "pass": 2}
#: Bodies longer than this are shown cut (the file itself stays whole).
BODY_PREVIEW = 200_000


@views.app_template_global()
def labels() -> dict[str, Any]:
    return {"verdict": VERDICT_LABELS, "platform": PLATFORM_LABELS, "finding": FINDING_LABELS,
            "severity": SEVERITY_LABELS, "action": REVIEW_ACTION_LABELS, "field": FILED_FIELD_LABELS,
            "indicator": INDICATOR_LABELS, "verdict_filter": VERDICT_FILTERS, "text_kind": TEXT_KIND_LABELS}


views.add_app_template_filter(fmt_minutes, "minutes")
views.add_app_template_filter(fmt_date, "day")


def _load(run_id: str, reviewed: bool = True, only: Optional[str] = None) -> RunResult:
    try:
        return store().load_run(run_id, reviewed=reviewed, only=only)
    except StoreError:
        abort(404, f"没有批次 {run_id}")


def _find(result: RunResult, account_id: str) -> AccountResult:
    for item in result.results:
        if item.account.id == account_id:
            return item
    abort(404, f"批次 {result.run.id} 中没有账号 {account_id}")


def active_filters() -> dict[str, str]:
    return {key: request.args[key].strip() for key in FILTERS if request.args.get(key, "").strip()}


def matches(item: AccountResult, filters: dict[str, str]) -> bool:
    verdict = filters.get("verdict")
    if verdict == "pass-warn":
        if item.judgement.verdict != "pass" or not any(f.severity == "warn" for f in item.judgement.findings):
            return False
    elif verdict and item.judgement.verdict != verdict:
        return False
    account = item.account
    for key in ("platform", "region", "owner"):
        if filters.get(key) and getattr(account, key) != filters[key]:
            return False
    query = filters.get("q", "").lower()
    names = (account.name, account.id, item.observation.name or "")
    return not query or any(query in name.lower() for name in names)


def listed(result: RunResult, filters: dict[str, str]) -> list[AccountResult]:
    """The accounts a filter shows, 待复核 first."""
    chosen = [item for item in result.results if matches(item, filters)]
    return sorted(chosen, key=lambda item: VERDICT_ORDER[item.judgement.verdict])


@views.route("/")
def home():
    try:
        latest = store().resolve_run(None)
    except StoreError:
        return render_template("runs.html", runs=[])
    return redirect(url_for("views.run", run_id=latest))


def newest_first() -> list[dict[str, Any]]:
    """Every run, the latest check first, with its number of decisions."""
    counts = store().review_counts()
    return [{**row, "reviews": counts.get(row["id"], 0)} for row in reversed(store().list_runs())]


@views.route("/runs")
def runs():
    return render_template("runs.html", runs=newest_first())


@views.route("/runs/choose")
def choose():
    return redirect(url_for("views.run", run_id=request.args.get("run", "")))


@views.route("/runs/<run_id>")
def run(run_id: str):
    result = _load(run_id)
    filters = active_filters()
    shown = listed(result, filters)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    accounts = result.results
    return render_template(
        "run.html", result=result, summary=summarize(accounts),
        machine=Counter((item.machine_judgement or item.judgement).verdict for item in accounts),
        reviewed=sum(item.review is not None for item in accounts),
        shown=shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], offset=(page - 1) * PAGE_SIZE, total=len(shown),
        page=page, pages=pages,
        filters=filters, runs=newest_first(),
        choices={key: sorted({getattr(item.account, key) for item in accounts if getattr(item.account, key)})
                 for key in ("platform", "region", "owner")},
    )


#: The 总览's choices of days, and the default: the runs drawn in the trend.
OVERVIEW_DAYS = (7, 30, 90, 365)
DEFAULT_OVERVIEW_DAYS = 30
#: An account's posting rhythm: the days before its check shown on the timeline.
RHYTHM_DAYS = 90


@views.route("/runs/<run_id>/overview")
def overview(run_id: str):
    """总览: the notice's charts for one run, the trend over the runs of the chosen days."""
    result = _load(run_id)
    days = request.args.get("days", DEFAULT_OVERVIEW_DAYS, type=int)
    days = days if days in OVERVIEW_DAYS else DEFAULT_OVERVIEW_DAYS
    points = trend(store(), run_id, runs=10_000, days=days)
    notice = build_report(result, trend=points)
    regions = charts.rate_chart(
        "groups", f"按{notice.group_label}合格率", [(t.label, t.passed, t.failed, t.checked) for t in notice.by_group],
        sort=False)
    # Where the run is going and what is at stake first; then who stands where.
    units, platforms, *rest = notice.figures
    figures = [*rest, units, platforms, regions]
    return render_template(
        "overview.html", result=result, notice=notice, figures=[charts.render(c, table=True) for c in figures],
        days=days, choices=OVERVIEW_DAYS, trend_runs=len(points), runs=newest_first())


def rhythm(item: AccountResult, as_of) -> charts.RhythmChart:
    """The account's posting rhythm over the RHYTHM_DAYS days up to the run's check."""
    seen = store().observations_of(item.account.id, as_of - timedelta(days=RHYTHM_DAYS), as_of)
    policy = item.account.policy
    return charts.rhythm_chart(
        "rhythm", f"近{RHYTHM_DAYS}天发布节奏", [observation for _, _, observation in seen], as_of,
        days=RHYTHM_DAYS, warn_days=policy.warn_idle_days, fail_days=policy.fail_idle_days)


@views.route("/runs/<run_id>/accounts/<account_id>")
def account(run_id: str, account_id: str, errors: Optional[list[str]] = None, status: int = 200):
    result = _load(run_id)
    item = _find(result, account_id)
    filters = active_filters()
    order = [entry.account.id for entry in listed(result, filters)]
    position = order.index(account_id) if account_id in order else None
    neighbours = {
        "previous": order[position - 1] if position else None,
        "next": order[position + 1] if position is not None and position + 1 < len(order) else None,
    }
    files = [row for row in store().evidence_rows(run_id) if row["account_id"] == account_id]
    keys = {row["path"]: evidence_key(row["path"], run_id) for row in files}
    bodies = [(row, _body_preview(keys[row["path"]])) for row in files if row["kind"] != "screenshot"]
    history = store().account_history(account_id)
    return render_template(
        "account.html", result=result, item=item, machine=item.machine_judgement or item.judgement,
        filters=filters, neighbours=neighbours, position=position, count=len(order),
        screenshots=[row for row in files if row["kind"] == "screenshot"], bodies=bodies, keys=keys,
        history=history, trail=store().reviews(run_id, account_id), errors=errors or [],
        form=request.form if errors else {}, reviewer=session.get("reviewer", ""),
        content=content_blocks(item), content_trail=store().content_reviews(run_id, account_id),
        content_status=CONTENT_STATUS_LABELS, content_decision=CONTENT_DECISION_LABELS,
        indicators=indicator_rows(item),
        rhythm=charts.render(rhythm(item, result.run.as_of), table=True),
        person=queue_entry(item, position or 0, result.run.as_of),
        manual={row["path"]: row for row in files if row["kind"] == "manual"},
    ), status


def indicator_rows(item: AccountResult) -> list[dict[str, Any]]:
    """A row per inspection indicator: its state, why, and the evidence of the sources behind it
    (the pages it was proven from, or the findings that left it unconfirmed)."""
    rows = []
    by_url = {source.url: source.evidence for source in item.observation.sources}
    for line in indicator_lines(item.judgement):
        paths = [path for url in line.sources for path in by_url.get(url, [])]
        result = item.judgement.indicators[line.key]
        paths += [path for finding in item.judgement.findings if finding.code in result.codes
                  and (not finding.indicators or line.key in finding.indicators) for path in finding.evidence]
        rows.append({"key": line.key, "label": line.label, "state": line.state, "state_label": line.state_label,
                     "problems": line.problems, "reasons": line.reasons, "evidence": list(dict.fromkeys(paths)),
                     "sources": line.sources})
    return rows


def content_blocks(item: AccountResult) -> list[dict[str, Any]]:
    """Each text with hits, cut into plain and highlighted pieces (hits by their position in
    `item.content_hits`); overlapping hits share the first one's highlight. Texts are masked."""
    by_text: dict[int, list[int]] = {}
    for position, hit in enumerate(item.content_hits):
        by_text.setdefault(hit.text_index, []).append(position)
    blocks = []
    for text_index, positions in sorted(by_text.items()):
        seen = item.observation.texts[text_index] if text_index < len(item.observation.texts) else None
        text = seen.text if seen else ""
        pieces: list[tuple[str, list[int]]] = []
        cursor = 0
        for position in sorted(positions, key=lambda p: item.content_hits[p].start):
            hit = item.content_hits[position]
            if hit.end <= hit.start:  # a link behind the text: listed, not highlighted
                continue
            if hit.start < cursor:  # overlaps the previous highlight
                if pieces and pieces[-1][1]:
                    pieces[-1][1].append(position)
                continue
            pieces.append((text[cursor:hit.start], []))
            pieces.append((text[hit.start:hit.end], [position]))
            cursor = hit.end
        pieces.append((text[cursor:], []))
        blocks.append({"text": seen, "pieces": pieces,
                       "hits": [(position, item.content_hits[position]) for position in positions]})
    return blocks


@views.route("/runs/<run_id>/accounts/<account_id>/content", methods=["POST"])
def decide_content(run_id: str, account_id: str):
    item = _find(_load(run_id), account_id)
    form = request.form
    key, decision = form.get("key", ""), form.get("decision", "")
    reviewer, reason = form.get("reviewer", "").strip(), form.get("reason", "").strip()
    problems = []
    if not any(hit.key == key for hit in item.content_hits):
        problems.append("本批次该账号没有这条内容疑点")
    if decision not in CONTENT_DECISION_LABELS:
        problems.append("请选择确认问题或排除")
    if not reviewer:
        problems.append("请填写复核人姓名")
    if decision == "dismiss" and not reason:
        problems.append("排除内容疑点请填写理由")
    if problems:
        return account(run_id, account_id, errors=problems, status=400)
    store().add_content_review(ContentReview(run_id=run_id, account_id=account_id, key=key, decision=decision,
                                             reviewer=reviewer, reason=reason, at=now()))
    session["reviewer"] = reviewer
    flash(f"已保存：内容疑点{CONTENT_DECISION_LABELS[decision]}（{reviewer}）")
    return redirect(url_for("views.account", run_id=run_id, account_id=account_id, **active_filters())
                    + "#content", code=303)


@views.route("/runs/<run_id>/accounts/<account_id>/reviews", methods=["POST"])
def decide(run_id: str, account_id: str):
    item = _find(_load(run_id, reviewed=False), account_id)  # decisions are about what the machine saw
    form = request.form
    try:
        review = new_review(
            item, run_id=run_id, action=form.get("action", ""), reviewer=form.get("reviewer", ""),
            reason=form.get("reason", ""), at=now(), verdict=form.get("verdict") or None,
            post_date=form.get("post_date"), field=form.get("field") or None,
        )
    except ReviewError as error:
        return account(run_id, account_id, errors=error.problems, status=400)
    store().add_review(review)
    session["reviewer"] = review.reviewer
    flash(f"已保存：{REVIEW_ACTION_LABELS[review.action]}（{review.reviewer}）")
    return redirect(url_for("views.account", run_id=run_id, account_id=account_id, **active_filters()), code=303)


# The queue of what needs a person (人工核查)

#: What a person may record having seen, as the forms send it.
SEEN_FORM = ("post_date", "post_time", "interaction", "available", "certification")


@views.route("/runs/<run_id>/queue")
def queue(run_id: str, errors: Optional[dict[str, list[str]]] = None, status: int = 200):
    result = _load(run_id)
    items = review_queue(result)
    ids = [item.account.id for item in items]
    current = request.args.get("at") or (request.form.get("account") if errors else None)
    return render_template(
        "queue.html", result=result, items=items, current=current if current in ids else (ids[0] if ids else None),
        settled=settled(result), errors=errors or {}, form=request.form if errors else {},
        reviewer=session.get("reviewer", ""),
    ), status


def _next_in_queue(run_id: str, account_id: str) -> Optional[str]:
    """The account after this one in the queue as it stood before a decision."""
    ids = [item.account.id for item in review_queue(_load(run_id))]
    if account_id not in ids:
        return ids[0] if ids else None
    rest = ids[ids.index(account_id) + 1:] + ids[:ids.index(account_id)]
    return rest[0] if rest else None


def _back(run_id: str, account_id: str, following: Optional[str]):
    """Back where the decision was made: the queue (at the next account), or the account page."""
    if request.form.get("back") == "queue":
        target = url_for("views.queue", run_id=run_id, **({"at": following} if following else {}))
        return redirect(target + (f"#q-{following}" if following else ""), code=303)
    return redirect(url_for("views.account", run_id=run_id, account_id=account_id, **active_filters()), code=303)


def _seen_review(item: AccountResult, run_id: str, form: Any, at) -> Any:
    return new_review(item, run_id=run_id, action="observe", reviewer=form.get("reviewer", ""),
                      reason=form.get("reason", ""), at=at, **{name: form.get(name) for name in SEEN_FORM})


@views.route("/runs/<run_id>/accounts/<account_id>/observe", methods=["POST"])
def observe(run_id: str, account_id: str):
    """Record what a person saw in the app (人工核查), with an optional phone screenshot."""
    item = _find(_load(run_id, reviewed=False, only=account_id), account_id)  # a source beside the machine's
    form, at = request.form, now()
    problems: list[str] = []
    review = None
    try:
        review = _seen_review(item, run_id, form, at)
    except ReviewError as error:
        problems += error.problems
    upload = request.files.get("screenshot")
    image = None
    if upload is not None and upload.filename:
        try:
            image = clean_screenshot(upload.stream.read(MAX_BYTES + 1))
        except UploadError as error:
            problems.append(str(error))
    if problems or review is None:
        if form.get("back") == "queue":
            return queue(run_id, errors={account_id: problems}, status=400)
        return account(run_id, account_id, errors=problems, status=400)
    following = _next_in_queue(run_id, account_id)
    if image is not None:
        kept = save_manual(_evidence_root(run_id), run_id, account_id, image.data, image.extension, at)
        store().add_evidence(run_id, account_id, kept)
        review = review.model_copy(update={"screenshot": kept.path, "screenshot_sha256": kept.sha256})
    store().add_review(review)
    session["reviewer"] = review.reviewer
    flash(f"已保存：{manual_source(review)}，{item.account.name}" + ("，截图已保存" if image is not None else ""))
    return _back(run_id, account_id, following)


@views.route("/runs/<run_id>/queue/bulk", methods=["POST"])
def bulk(run_id: str):
    """The same answer for several accounts of the queue: all saved, or none."""
    machine = _load(run_id, reviewed=False)
    chosen = list(dict.fromkeys(request.form.getlist("accounts")))
    problems: list[str] = [] if chosen else ["请先勾选账号（x 键勾选当前账号）"]
    reviews, at = [], now()
    for account_id in chosen:
        try:
            reviews.append(_seen_review(_find(machine, account_id), run_id, request.form, at))
        except ReviewError as error:
            problems += [problem for problem in error.problems if problem not in problems]
    if problems:
        return queue(run_id, errors={"bulk": problems}, status=400)
    for review in reviews:
        store().add_review(review)
    session["reviewer"] = reviews[0].reviewer
    flash(f"已保存：{manual_source(reviews[0])}，批量记录 {len(reviews)} 个账号")
    return redirect(url_for("views.queue", run_id=run_id), code=303)


@views.route("/runs/<run_id>/accounts/<account_id>/qr/<int:index>.png")
def qr(run_id: str, account_id: str, index: int):
    """The QR code of the link that opens the account in its app, drawn here (nothing leaves)."""
    item = _find(_load(run_id, reviewed=False, only=account_id), account_id)  # one account: a queue has many codes
    links = app_links(item.account, item.observation)
    if index >= len(links):
        abort(404)
    image = io.BytesIO()
    segno.make(links[index].url, error="m").save(image, kind="png", scale=5, border=4)
    return current_app.response_class(image.getvalue(), mimetype="image/png",
                                      headers={"Cache-Control": "private, max-age=3600"})


# Evidence files


def evidence_path(key: str) -> Path:
    """The file of a recorded evidence key (`<run-id>/<account>/<file>`), inside the evidence folder.

    403 for anything that leaves the folder; 404 for a file that is not recorded evidence.
    """
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):  # a NUL cannot even be a file name
        abort(400)
    parts = key.split("/")
    if len(parts) not in (2, 3) or any(part in ("", ".", "..") or "\\" in part for part in parts):
        abort(403)
    run_id = parts[0]
    try:
        root, recorded = _evidence_of(run_id)
    except StoreError:
        abort(404)
    path = (root / key).resolve()
    if not path.is_relative_to(root):  # a symbolic link pointing out of the folder
        abort(403)
    if key not in recorded or not path.is_file():
        abort(404)
    return path


def _evidence_root(run_id: str) -> Path:
    folder = current_app.config["NMAUDIT_SNAPSHOTS"] or store().run_row(run_id)["options"].get("snapshots")
    return Path(folder or "snapshots").resolve()


def _evidence_of(run_id: str) -> tuple[Path, set[str]]:
    """A run's evidence folder and the keys of its recorded files (once per request)."""
    known = g.setdefault("evidence_of", {})
    if run_id not in known:
        keys = {evidence_key(row["path"], run_id) for row in store().evidence_rows(run_id)}
        known[run_id] = (_evidence_root(run_id), keys)
    return known[run_id]


def _body_preview(key: str) -> Optional[str]:
    """A kept page body as text for the page (JSON indented); None when the file is missing."""
    try:
        data = evidence_path(key).read_bytes()[:BODY_PREVIEW]
    except (HTTPException, OSError):  # missing, or refused: shown as missing
        return None
    text = data.decode("utf-8", errors="replace")
    if key.endswith(".json"):
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        except ValueError:
            pass
    # Personal information is masked wherever staff read it; the file itself stays as sent.
    return mask(text)


@views.route("/snapshots/<path:key>")
def evidence(key: str):
    path = evidence_path(key)
    kind = mimetypes.guess_type(path.name)[0] or ""
    if kind.startswith("image/"):
        return send_file(path, mimetype=kind, max_age=3600)
    # Pages kept from platforms are shown as text, in a sandbox: they never run as this app.
    response = send_file(path, mimetype="text/plain; charset=utf-8", max_age=3600)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@views.app_errorhandler(HTTPException)
def error_page(error: HTTPException):
    if isinstance(error, SecurityError):  # an untrusted Host: no URLs can be built for it
        return error.get_response()
    return render_template("error.html", error=error), error.code
