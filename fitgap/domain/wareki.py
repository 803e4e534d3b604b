"""Japanese era dates (和暦): 令和7年4月1日, with the Western date beside it for the minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from fitgap.domain.i18n import _

# Japan has kept UTC+9 without daylight saving since 1951. A fixed offset needs no time-zone
# database, which Windows' Python lacks unless the tzdata package is installed.
JST = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True, slots=True)
class Era:
    """One era of the Japanese calendar, from its first day (inclusive)."""

    name: str
    start: date


# Newest first. Eras before 昭和 are not needed for meetings and are printed Western only.
ERAS: tuple[Era, ...] = (
    Era("令和", date(2019, 5, 1)),
    Era("平成", date(1989, 1, 8)),
    Era("昭和", date(1926, 12, 25)),
)


def era_of(day: date) -> tuple[str, int] | None:
    """The era name and the year within it (1 for the first year), or None before 昭和."""
    for era in ERAS:
        if day >= era.start:
            return era.name, day.year - era.start.year + 1
    return None


def wareki(day: date) -> str:
    """The date in the Japanese era, e.g. 令和7年4月1日; 元年 for an era's first year."""
    found = era_of(day)
    if found is None:
        return day.isoformat()
    name, year = found
    # Official documents write the first year of an era as 元年, never 1年.
    year_text = "元" if year == 1 else str(year)
    return f"{name}{year_text}年{day.month}月{day.day}日"


def wareki_with_western(day: date) -> str:
    """The Japanese era date with the Western date beside it: 令和7年4月1日（2025-04-01）."""
    if era_of(day) is None:
        return day.isoformat()
    return wareki(day) + _("（%(text)s）", text=day.isoformat())


def japan_time(value: datetime) -> datetime:
    """A time as Japan time; a naive value is taken as UTC (SQLite returns stored UTC naive)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JST)


def japan_today() -> date:
    """Today's date in Japan, where the meetings are held, whatever the server's zone."""
    return datetime.now(JST).date()


def japan_minute(value: datetime) -> str:
    """A stored time as Japan time to the minute: 2026-12-05 14:05 (unlabelled: the page or
    document says once that its times are Japan time)."""
    return japan_time(value).strftime("%Y-%m-%d %H:%M")


def japan_stamp(value: datetime) -> str:
    """A time as people in the room read it, labelled: 2026-12-05 14:05（日本時間）."""
    return _("%(when)s（日本時間）", when=japan_minute(value))


# A date cell in a workbook, shown in 和暦 (令和7年4月1日) and still a date to sort by: the
# number format Japanese Excel uses, which LibreOffice reads too. ([$-ja-JP-x-gannen] is
# Excel's newer spelling with 元年, but LibreOffice shows such a cell as its serial number.)
XLSX_WAREKI_FORMAT = '[$-411]ggge"年"m"月"d"日"'
