"""Charts for staff and supervisors: the notice's (html, pdf), the review app's 总览 and an
account's posting rhythm. Pure: figures in, a chart model out, drawn as SVG on the server by
the jinja macros of ``templates/charts.svg.j2``.

Server-side SVG keeps the PDF vector and its labels real text in the page's CJK font, needs
no script (the review app's Content-Security-Policy runs none inline) and no style attribute
(only SVG presentation attributes). Colour never carries meaning alone: every bar and point
carries its label and number as text, and every chart has a sentence (``text``) with all its
numbers beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional, Sequence

import jinja2
from markupsafe import Markup

from .alerts import STAGE_LABELS, STAGES, account_status
from .dates import to_beijing
from .models import VERDICT_LABELS, AccountResult, Observation
from .output import NONE_MARK

VERDICTS = ("pass", "fail", "review")
#: The notice's colours: verdicts as in the review app, warning stages as their names say.
COLOURS = {
    "pass": "#2e7d32", "fail": "#c62828", "review": "#e65100",
    "ok": "#2e7d32", "blue": "#1565c0", "yellow": "#f9a825", "red": "#d84315",
}
#: Bars wide enough to hold their number inside show it there (white on the colour).
INSIDE_MIN = 22
FONT = 12
ROW = 26


def percent(rate: Optional[float]) -> str:
    return NONE_MARK if rate is None else f"{rate * 100:.1f}%"


def text_width(text: str, size: int = FONT) -> float:
    """Width in pixels of a label: CJK characters are a full em, others about half."""
    return sum(size if ord(char) > 0x2E7F else size * 0.6 for char in text)


def _label_column(labels: Iterable[str]) -> float:
    return min(max((text_width(label) for label in labels), default=0) + 10, 300)


# -- 合格率 bars, sorted -------------------------------------------------------------------------


@dataclass
class RateBar:
    label: str
    rate: Optional[float]
    passed: int
    decided: int  # 合格 + 不合格
    checked: int
    y: int = 0
    width: float = 0

    @property
    def text(self) -> str:
        return f"{percent(self.rate)}（{self.passed}/{self.decided}）" if self.decided else f"{NONE_MARK}（无已判定账号）"


@dataclass
class RateChart:
    key: str
    title: str
    bars: list[RateBar]
    label_width: float
    bar_width: int = 300

    kind = "rate"

    @property
    def width(self) -> float:
        return self.label_width + self.bar_width + 150

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW + 4

    @property
    def text(self) -> str:
        return "；".join(f"{bar.label}{bar.text}" for bar in self.bars) + "。" if self.bars else "无数据。"


def rate_chart(key: str, title: str, rows: Iterable[tuple[str, int, int, int]], *, sort: bool = True,
               bar_width: int = 300) -> RateChart:
    """Bars of 合格率 = 合格 / (合格 + 不合格) from (label, 合格, 不合格, 检查) rows; sorted best
    first (groups with nothing decided last), ties by label."""
    bars = [RateBar(label, passed / (passed + failed) if passed + failed else None, passed, passed + failed, checked)
            for label, passed, failed, checked in rows if checked]
    if sort:
        bars.sort(key=lambda b: (b.rate is None, -(b.rate or 0), -b.decided, b.label))
    for index, bar in enumerate(bars):
        bar.y = index * ROW
        bar.width = round((bar.rate or 0) * bar_width, 1)
    return RateChart(key, title, bars, _label_column(b.label for b in bars), bar_width)


# -- verdicts per group, stacked --------------------------------------------------------------------


@dataclass
class Segment:
    key: str
    label: str
    count: int
    x: float
    width: float

    @property
    def inside(self) -> bool:
        return self.width >= INSIDE_MIN


@dataclass
class StackRow:
    label: str
    segments: list[Segment]
    total: int
    y: int

    @property
    def text(self) -> str:
        return f"{self.label}：" + "、".join(f"{s.label}{s.count}" for s in self.segments) + f"（共{self.total}）"


@dataclass
class StackChart:
    key: str
    title: str
    rows: list[StackRow]
    legend: list[tuple[str, str]]  # (key, label)
    label_width: float
    bar_width: int = 300

    kind = "stack"

    @property
    def width(self) -> float:
        return self.label_width + self.bar_width + 170

    @property
    def height(self) -> int:
        return (len(self.rows) + 1) * ROW + 4

    @property
    def text(self) -> str:
        return "；".join(row.text for row in self.rows) + "。" if self.rows else "无数据。"


def stack_chart(key: str, title: str, rows: Iterable[tuple[str, dict[str, int]]], *,
                keys: Sequence[str] = VERDICTS, labels: Optional[dict[str, str]] = None,
                bar_width: int = 300) -> StackChart:
    """One bar per group, cut into its counts per key (合格, 不合格, 待复核); the longest bar
    spans ``bar_width``. Groups with no count are left out."""
    labels = labels or VERDICT_LABELS
    kept = [(label, counts) for label, counts in rows if sum(counts.get(k, 0) for k in keys)]
    most = max((sum(counts.get(k, 0) for k in keys) for _, counts in kept), default=0)
    stack_rows = []
    for index, (label, counts) in enumerate(kept):
        x = 0.0
        segments = []
        for k in keys:
            count = counts.get(k, 0)
            width = round(count / most * bar_width, 1) if most else 0
            segments.append(Segment(k, labels[k], count, x, width))
            x += width
        stack_rows.append(StackRow(label, segments, sum(counts.get(k, 0) for k in keys), (index + 1) * ROW))
    return StackChart(key, title, stack_rows, [(k, labels[k]) for k in keys],
                      _label_column(label for label, _ in kept), bar_width)


# -- counts per category (warning stages) ------------------------------------------------------------


@dataclass
class CountBar:
    key: str
    label: str
    count: int
    y: int
    width: float


@dataclass
class CountChart:
    key: str
    title: str
    bars: list[CountBar]
    label_width: float
    bar_width: int = 300

    kind = "count"

    @property
    def width(self) -> float:
        return self.label_width + self.bar_width + 60

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW + 4

    @property
    def text(self) -> str:
        return "；".join(f"{bar.label}{bar.count}个" for bar in self.bars) + "。"


def count_chart(key: str, title: str, counts: Sequence[tuple[str, str, int]], bar_width: int = 300) -> CountChart:
    """A bar per (key, label, count), in the order given."""
    most = max((count for _, _, count in counts), default=0)
    bars = [CountBar(k, label, count, index * ROW, round(count / most * bar_width, 1) if most else 0)
            for index, (k, label, count) in enumerate(counts)]
    return CountChart(key, title, bars, _label_column(label for _, label, _ in counts), bar_width)


def stage_counts(results: Sequence[AccountResult]) -> dict[str, int]:
    """How many accounts stand at each warning stage (nmaudit.alerts), verdicts as in effect."""
    counts = dict.fromkeys(STAGES, 0)
    for item in results:
        counts[account_status(item).stage] += 1
    return counts


def stage_chart(key: str, title: str, counts: dict[str, int]) -> CountChart:
    """Accounts per warning stage, from 正常 to 待复核 (every stage, so the bars add up)."""
    return count_chart(key, title, [(stage, STAGE_LABELS[stage], counts.get(stage, 0)) for stage in STAGES])


# -- 合格率 and 不合格 over runs ------------------------------------------------------------------------


@dataclass
class TrendPoint:
    """One run's verdict counts (after staff review)."""

    run_id: str
    as_of: datetime
    passed: int
    failed: int
    review: int

    @property
    def rate(self) -> Optional[float]:
        return self.passed / (self.passed + self.failed) if self.passed + self.failed else None

    @property
    def day(self) -> str:
        return f"{to_beijing(self.as_of):%m-%d}"


@dataclass
class TrendMark:
    point: TrendPoint
    x: float
    rate_y: Optional[float]  # None: no rate (nothing decided)
    failed_y: float
    label: str  # the x-axis label


@dataclass
class TrendChart:
    key: str
    title: str
    marks: list[TrendMark]
    most_failed: int
    left: int = 60
    plot_width: int = 560
    rate_top: int = 24
    rate_height: int = 110
    failed_top: int = 196
    failed_height: int = 70

    kind = "trend"

    @property
    def width(self) -> int:
        return self.left + self.plot_width + 30

    @property
    def height(self) -> int:
        return self.failed_top + self.failed_height + 34

    @property
    def rate_path(self) -> str:
        """The 合格率 line, broken where a run decided nothing."""
        parts, pen = [], "M"
        for mark in self.marks:
            if mark.rate_y is None:
                pen = "M"
                continue
            parts.append(f"{pen}{mark.x:.1f},{mark.rate_y:.1f}")
            pen = "L"
        return " ".join(parts)

    @property
    def failed_path(self) -> str:
        return " ".join(f"{'L' if i else 'M'}{m.x:.1f},{m.failed_y:.1f}" for i, m in enumerate(self.marks))

    def rate_tick(self, fraction: float) -> float:
        return self.rate_top + self.rate_height * (1 - fraction)

    @property
    def failed_ticks(self) -> list[tuple[int, float]]:
        top = max(self.most_failed, 1)
        values = sorted({0, top, top // 2}) if top > 1 else [0, 1]
        return [(v, self.failed_top + self.failed_height * (1 - v / top)) for v in values]

    @property
    def text(self) -> str:
        return "；".join(f"{m.point.day}（批次 {m.point.run_id}）合格率{percent(m.point.rate)}、不合格{m.point.failed}个"
                        for m in self.marks) + "。" if self.marks else "无数据。"


def trend_chart(key: str, title: str, points: Sequence[TrendPoint]) -> TrendChart:
    """合格率 (upper panel, 0–100%) and the number of 不合格 (lower panel) over runs, oldest left."""
    chart = TrendChart(key, title, [], max((p.failed for p in points), default=0))
    inset = 28  # the first and last points clear of the axis labels
    step = (chart.plot_width - 2 * inset) / max(len(points) - 1, 1)
    days = [p.day for p in points]
    top = max(chart.most_failed, 1)
    for index, point in enumerate(points):
        x = chart.left + (inset + index * step if len(points) > 1 else chart.plot_width / 2)
        rate_y = None if point.rate is None else chart.rate_tick(point.rate)
        # Two runs on one day: the time tells them apart.
        label = point.day if days.count(point.day) == 1 else f"{to_beijing(point.as_of):%m-%d %H:%M}"
        chart.marks.append(TrendMark(point, round(x, 1), rate_y,
                                     chart.failed_top + chart.failed_height * (1 - point.failed / top), label))
    return chart


# -- an account's posting rhythm ---------------------------------------------------------------------


@dataclass
class Post:
    at: datetime  # Beijing time
    listed: bool  # read from a source that lists the newest posts (False: a lower bound)
    x: float = 0


@dataclass
class Gap:
    start: date
    end: date
    days: int
    x: float
    width: float
    level: str  # "ok", "warn" (beyond the warning line), "fail" (beyond the 不合格 line)
    proved: bool  # one listing showed both ends as consecutive posts (or the newest post at the check)


@dataclass
class RhythmChart:
    key: str
    title: str
    start: date
    end: date  # the check date
    warn_days: int
    fail_days: int
    posts: list[Post]
    gaps: list[Gap]
    lines: list[tuple[int, str, float]]  # (days, label, x) for the 7- and 14-day lines
    ticks: list[tuple[str, float]]
    left: int = 20
    plot_width: int = 760

    kind = "rhythm"
    axis_y = 70

    @property
    def width(self) -> int:
        return self.left + self.plot_width + 60

    @property
    def height(self) -> int:
        return 150

    @property
    def text(self) -> str:
        if not self.posts:
            return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d} 来源未证实任何发布。"
        days = sorted({p.at.date() for p in self.posts})
        parts = [f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d} 来源证实{len(self.posts)}条发布（{len(days)}天有发布），"
                 f"最近一条 {max(p.at for p in self.posts):%Y-%m-%d %H:%M}"]
        proved = [g for g in self.gaps if g.proved]
        longest = max(proved, key=lambda g: g.days, default=None)
        if longest is not None:
            parts.append(f"来源证实的最长间隔{longest.days}天（{longest.start:%m-%d} 至 {longest.end:%m-%d}）")
        over = [g for g in proved if g.level != "ok"]
        if over:
            parts.append(f"超过{self.warn_days}天的间隔：" + "、".join(
                f"{g.start:%m-%d} 至 {g.end:%m-%d} {g.days}天" + ("（超过不合格线）" if g.level == "fail" else "")
                for g in over))
        unproved = [g for g in self.gaps if not g.proved]
        if unproved:
            parts.append(f"另有{len(unproved)}段间隔来源未能证实（两次读取之间可能有未见的发布）：" + "、".join(
                f"{g.start:%m-%d} 至 {g.end:%m-%d}" for g in unproved))
        return "；".join(parts) + "。"


def posts_proved(observations: Iterable[Observation]) -> list[tuple[datetime, bool]]:
    """Every post time the sources proved: the posts listed by sources that list the newest
    posts, and each newest post seen (from a single-post source it proves a post, never that
    none came after)."""
    posts: list[tuple[datetime, bool]] = []
    for observation in observations:
        for times in observation.listed_posts.values():
            posts.extend((moment, True) for moment in times)
        if observation.newest_post_at is not None:
            posts.append((observation.newest_post_at, observation.newest_post_lists_newest))
    return posts


def rhythm_chart(key: str, title: str, observations: Sequence[Observation], check_time: datetime, *,
                 days: int = 90, warn_days: int = 7, fail_days: int = 14) -> RhythmChart:
    """Every post time proved in the ``days`` days up to the check (the account's observations,
    oldest first, the last one the check's own), on a timeline with the warning and 不合格 lines
    (``warn_days``, ``fail_days`` before the check date) and the gaps between days with posts.

    A gap is proved when one listing showed its two ends as consecutive posts, or, for the gap
    up to the check date, when the check's own source lists the newest posts; any other gap
    lies between two readings and may hide posts nobody saw: drawn apart, never graded."""
    check = to_beijing(check_time)
    end = check.date()
    start = end - timedelta(days=days)
    first = datetime.combine(start, datetime.min.time(), tzinfo=check.tzinfo)
    chart = RhythmChart(key, title, start, end, warn_days, fail_days, [], [], [], [])
    scale = chart.plot_width / days

    def x_of(moment: datetime) -> float:
        return round(chart.left + (to_beijing(moment) - first).total_seconds() / 86400 * scale, 1)

    def shown(moment: datetime) -> bool:
        return start <= moment.date() <= end and moment <= check

    seen: dict[datetime, bool] = {}
    for moment, listed in posts_proved(observations):
        moment = to_beijing(moment)
        if shown(moment):
            seen[moment] = seen.get(moment, False) or listed
    chart.posts = [Post(moment, listed, x_of(moment)) for moment, listed in sorted(seen.items())]
    consecutive: set[tuple[date, date]] = set()
    for observation in observations:
        for times in observation.listed_posts.values():
            listed_days = sorted({to_beijing(t).date() for t in times})
            consecutive.update(zip(listed_days, listed_days[1:]))
    post_days = sorted({p.at.date() for p in chart.posts})
    newest = observations[-1] if observations else None
    newest_day = to_beijing(newest.newest_post_at).date() if newest and newest.newest_post_at else None
    bounds = [(a, b, (a, b) in consecutive) for a, b in zip(post_days, post_days[1:])]
    if post_days:
        bounds.append((post_days[-1], end, bool(newest and newest.newest_post_lists_newest
                                                and newest_day == post_days[-1])))
    for earlier, later, proved in bounds:
        gap = (later - earlier).days
        if gap <= 1:
            continue
        level = "fail" if gap > fail_days else "warn" if gap > warn_days else "ok"
        chart.gaps.append(Gap(earlier, later, gap, round(chart.left + (earlier - start).days * scale, 1),
                              round(gap * scale, 1), level if proved else "ok", proved))
    for line_days in (warn_days, fail_days):
        chart.lines.append((line_days, f"{line_days}天线", round(chart.left + (days - line_days) * scale, 1)))
    for offset in range(0, days + 1, 15):
        day = start + timedelta(days=offset)
        chart.ticks.append((f"{day:%m-%d}", round(chart.left + offset * scale, 1)))
    return chart


# -- drawing ---------------------------------------------------------------------------------------

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("nmaudit", "templates"),
    autoescape=True,  # labels are names from registries and platforms
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(chart: object, *, table: bool = False) -> Markup:
    """A chart as a <figure>: the SVG, and its numbers as a sentence (and a table when asked)."""
    template = _ENVIRONMENT.get_template("charts.svg.j2")
    return Markup(template.module.figure(chart, COLOURS, table))  # type: ignore[attr-defined]
