"""Check times and post dates. All calendar arithmetic is in Beijing time (Asia/Shanghai)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(timezone.utc).astimezone(BEIJING)


def to_beijing(moment: datetime) -> datetime:
    """An aware datetime in Beijing time; naive values are taken as Beijing time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING)


def parse_as_of(text: str) -> datetime:
    """Parse a check time: a date (start of that day) or an ISO 8601 datetime; naive in Beijing time."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=BEIJING)
        return to_beijing(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(
            f"invalid check time {text!r} (expected a date like 2026-11-22 or an ISO 8601 "
            "datetime like 2026-11-22T09:00 or 2026-11-22T01:00:00Z)"
        ) from None


def idle_days(newest_post_at: datetime, as_of: datetime) -> int:
    """Calendar days in Beijing from the newest post's date to the check date (never negative)."""
    days = (to_beijing(as_of).date() - to_beijing(newest_post_at).date()).days
    return max(days, 0)


def from_unix(seconds: float | str) -> datetime:
    return datetime.fromtimestamp(float(seconds), timezone.utc).astimezone(BEIJING)


_ABSOLUTE_WEIBO = "%a %b %d %H:%M:%S %z %Y"  # Wed Aug 24 22:03:13 +0800 2022
_RELATIVE = re.compile(r"(\d+)\s*(秒|分钟|小时|天)前")
_DAY_TIME = re.compile(r"(昨天|今天|前天)\s*(\d{1,2}):(\d{2})")
_MONTH_DAY = re.compile(r"(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_FULL_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}


def parse_post_time(text: str, fetched_at: datetime) -> datetime:
    """Parse a post time as Chinese platforms print it.

    Relative forms ("刚刚", "5分钟前", "昨天 10:02", "08-24") are relative to when the page
    was fetched, so a replayed capture resolves them exactly as the original run did.
    Raises ValueError for anything else.
    """
    value = text.strip()
    fetched = to_beijing(fetched_at)
    try:
        return datetime.strptime(value, _ABSOLUTE_WEIBO).astimezone(BEIJING)
    except ValueError:
        pass
    if value == "刚刚":
        return fetched
    if match := _RELATIVE.fullmatch(value):
        return fetched - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if match := _DAY_TIME.fullmatch(value):
        day = fetched.date() - timedelta(days=_DAY_OFFSETS[match.group(1)])
        return datetime.combine(day, time(int(match.group(2)), int(match.group(3))), tzinfo=BEIJING)
    if match := _FULL_DATE.fullmatch(value):
        year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)
    if match := _MONTH_DAY.fullmatch(value):
        month, day, hour, minute = (int(g or 0) for g in match.groups())
        moment = datetime(fetched.year, month, day, hour, minute, tzinfo=BEIJING)
        # "MM-DD" means this year; a date after the fetch can only be last year's.
        if moment.date() > fetched.date():
            moment = moment.replace(year=fetched.year - 1)
        return moment
    raise ValueError(f"unrecognised post time {text!r}")
