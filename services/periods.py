"""Reporting periods (month, quarter, half-year, year, any dates) with Vietnamese labels."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from geo.errors import NtmError

ROMAN = ("I", "II", "III", "IV")


class PeriodError(NtmError):
    """A period was asked for with impossible bounds; the message says which."""


@dataclass(frozen=True)
class Period:
    """An inclusive range of days ``start``..``end`` and how to call it.

    >>> Period.quarter(2026, 3).label
    'Quý III/2026'
    >>> Period.half(2026, 1).end
    datetime.date(2026, 6, 30)
    """

    start: dt.date
    end: dt.date
    label: str
    kind: str = "between"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        _check(1 <= month <= 12, f"Tháng phải từ 1 đến 12 (nhận được {month}).")
        last = calendar.monthrange(year, month)[1]
        start, end = dt.date(year, month, 1), dt.date(year, month, last)
        return cls(start, end, f"Tháng {month}/{year}", "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        _check(1 <= quarter <= 4, f"Quý phải từ 1 đến 4 (nhận được {quarter}).")
        first = 3 * quarter - 2
        end = cls.month(year, first + 2).end
        return cls(dt.date(year, first, 1), end, f"Quý {ROMAN[quarter - 1]}/{year}", "quarter")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        _check(half in (1, 2), f"Nửa năm phải là 1 hoặc 2 (nhận được {half}).")
        start = dt.date(year, 1 if half == 1 else 7, 1)
        end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
        label = f"6 tháng {'đầu' if half == 1 else 'cuối'} năm {year}"
        return cls(start, end, label, "half")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), f"Năm {year}", "year")

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Period:
        _check(
            start <= end,
            f"Ngày bắt đầu ({start:%d/%m/%Y}) phải trước hoặc bằng ngày kết thúc ({end:%d/%m/%Y}).",
        )
        return cls(start, end, f"Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}")

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        """The month, quarter, half or year that contains ``day``."""
        if kind == "month":
            return cls.month(day.year, day.month)
        if kind == "quarter":
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        if kind == "half":
            return cls.half(day.year, 1 if day.month <= 6 else 2)
        if kind == "year":
            return cls.year(day.year)
        raise PeriodError(f"Loại kỳ “{kind}” không có; dùng month, quarter, half hoặc year.")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise PeriodError(message)
