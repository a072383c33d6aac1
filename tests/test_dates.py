"""Post-time parsing and calendar days: pure, table-driven."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from nmaudit.dates import BEIJING, idle_days, parse_as_of, parse_post_time

FETCHED = datetime(2026, 11, 21, 0, 20, tzinfo=BEIJING)  # 2026-11-20 16:20 UTC


@pytest.mark.parametrize("text, expected", [
    ("Wed Aug 24 22:03:13 +0800 2022", datetime(2022, 8, 24, 22, 3, 13, tzinfo=BEIJING)),
    ("Sat Nov 07 00:30:00 +0800 2026", datetime(2026, 11, 7, 0, 30, tzinfo=BEIJING)),
    ("刚刚", FETCHED),
    ("5分钟前", datetime(2026, 11, 21, 0, 15, tzinfo=BEIJING)),
    ("3小时前", datetime(2026, 11, 20, 21, 20, tzinfo=BEIJING)),  # crosses midnight
    ("30秒前", datetime(2026, 11, 21, 0, 19, 30, tzinfo=BEIJING)),
    ("2天前", datetime(2026, 11, 19, 0, 20, tzinfo=BEIJING)),
    ("昨天 10:02", datetime(2026, 11, 20, 10, 2, tzinfo=BEIJING)),
    ("今天 00:05", datetime(2026, 11, 21, 0, 5, tzinfo=BEIJING)),
    ("前天 23:59", datetime(2026, 11, 19, 23, 59, tzinfo=BEIJING)),
    ("08-24", datetime(2026, 8, 24, tzinfo=BEIJING)),
    ("11-21", datetime(2026, 11, 21, tzinfo=BEIJING)),
    ("12-30", datetime(2025, 12, 30, tzinfo=BEIJING)),  # after the fetch date: last year's
    ("2021-08-24", datetime(2021, 8, 24, tzinfo=BEIJING)),
    ("2021-08-24 10:30", datetime(2021, 8, 24, 10, 30, tzinfo=BEIJING)),
])
def test_post_time_formats(text, expected):
    assert parse_post_time(text, FETCHED) == expected


def test_relative_times_use_beijing_dates_even_when_fetched_at_is_utc():
    fetched_utc = FETCHED.astimezone(timezone.utc)  # still 11-20 in UTC
    assert parse_post_time("昨天 10:02", fetched_utc) == datetime(2026, 11, 20, 10, 2, tzinfo=BEIJING)


@pytest.mark.parametrize("text", ["", "上周", "2021/08/24", "Aug 24 2022", "99-99", "昨天"])
def test_unrecognised_post_times_raise(text):
    with pytest.raises(ValueError):
        parse_post_time(text, FETCHED)


@pytest.mark.parametrize("newest, as_of, days", [
    (datetime(2026, 11, 14, 23, 59, tzinfo=BEIJING), datetime(2026, 11, 21, 0, 1, tzinfo=BEIJING), 7),
    (datetime(2026, 11, 13, 0, 1, tzinfo=BEIJING), datetime(2026, 11, 21, 23, 59, tzinfo=BEIJING), 8),
    # 2026-11-06T16:30Z is 11-07 00:30 in Beijing: 14 days, though UTC dates differ by 15.
    (datetime(2026, 11, 6, 16, 30, tzinfo=timezone.utc), datetime(2026, 11, 21, 10, tzinfo=BEIJING), 14),
    # a check time given in UTC late on 11-20 is already 11-21 in Beijing
    (datetime(2026, 11, 20, tzinfo=BEIJING), datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc), 1),
    (datetime(2026, 11, 22, tzinfo=BEIJING), datetime(2026, 11, 21, tzinfo=BEIJING), 0),  # never negative
])
def test_idle_days_are_beijing_calendar_days(newest, as_of, days):
    assert idle_days(newest, as_of) == days


@pytest.mark.parametrize("text, expected", [
    ("2026-11-21", datetime(2026, 11, 21, tzinfo=BEIJING)),
    ("2026-11-21T09:30", datetime(2026, 11, 21, 9, 30, tzinfo=BEIJING)),
    ("2026-11-21T01:30:00Z", datetime(2026, 11, 21, 9, 30, tzinfo=BEIJING)),
    ("2026-11-21T09:30:00+08:00", datetime(2026, 11, 21, 9, 30, tzinfo=BEIJING)),
])
def test_parse_as_of(text, expected):
    assert parse_as_of(text) == expected


def test_parse_as_of_rejects_garbage_with_an_example():
    with pytest.raises(ValueError, match="expected a date like 2026-11-22"):
        parse_as_of("yesterday")
