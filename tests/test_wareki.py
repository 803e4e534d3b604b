"""Japanese era dates (和暦) for the minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fitgap.domain.wareki import (
    JST,
    era_of,
    japan_minute,
    japan_stamp,
    japan_today,
    wareki,
    wareki_with_western,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 4, 1), "令和7年4月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),  # the first day of 令和
        (date(2019, 4, 30), "平成31年4月30日"),  # the last day of 平成
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
    ],
)
def test_era_boundaries(day: date, expected: str) -> None:
    assert wareki(day) == expected


def test_western_date_beside_the_era() -> None:
    assert wareki_with_western(date(2025, 4, 1)) == "令和7年4月1日（2025-04-01）"


def test_before_showa_is_printed_western_only() -> None:
    assert era_of(date(1926, 12, 24)) is None
    assert wareki(date(1900, 1, 1)) == "1900-01-01"
    assert wareki_with_western(date(1900, 1, 1)) == "1900-01-01"


def test_japan_time_is_utc_plus_nine_and_a_naive_time_is_utc() -> None:
    stored = datetime(2025, 3, 31, 15, 30, 59)  # SQLite gives stored UTC times back naive
    assert japan_minute(stored) == "2025-04-01 00:30"  # already the next day in Japan
    assert japan_minute(stored.replace(tzinfo=UTC)) == "2025-04-01 00:30"
    assert japan_stamp(stored) == "2025-04-01 00:30（日本時間）"
    assert japan_today() == datetime.now(UTC).astimezone(JST).date()
