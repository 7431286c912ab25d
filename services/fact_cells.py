"""Reading the cells of one file row into typed values: text, dates (Excel dates,
serial numbers, dd/mm/yyyy, ISO), integers and words from a vocabulary, noting each
problem with the column it came from."""

from __future__ import annotations

import datetime as dt
import re

from services.fact_columns import EXAMPLE_MARK, allowed_words, norm, plain

EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellErrors(Exception):
    """The cells of a row that could not be read: ``[(column header, message)]``."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


class Row:
    """A file row's cells by column key, read into typed values with their problems noted."""

    def __init__(self, number: int, cells: dict, headers: dict[str, str]):
        self.number, self.cells, self.headers = number, cells, headers
        self.problems: list[tuple[str | None, str]] = []

    def column_of(self, field: str | None) -> str | None:
        """The header of the column a service field came from."""
        if field == "unit":
            by_name = self.raw("unit_code") is None and self.raw("unit_name") is not None
            return self.headers.get(
                "unit_name" if by_name else "unit_code", self.headers.get("unit_name")
            )
        return self.headers.get(field or "")

    def is_example(self) -> bool:
        return any(
            isinstance(v, str) and norm(v) == norm(EXAMPLE_MARK) for v in self.cells.values()
        )

    def raw(self, key: str):
        value = self.cells.get(key)
        return None if value is None or str(value).strip() == "" else value

    def _fail(self, key: str, message: str) -> None:
        self.problems.append((self.headers.get(key), message))

    def _missing(self, key: str, required: bool) -> None:
        if required:
            self._fail(key, "thiếu giá trị (cột bắt buộc).")

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            self._missing(key, required)
            return None
        if isinstance(value, bool):
            return "có" if value else "không"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, dt.datetime):
            value = value.date()
        return value.isoformat() if isinstance(value, dt.date) else str(value).strip()

    def date(self, key: str, required: bool = False) -> dt.date | None:
        value = self.raw(key)
        if value is None:
            self._missing(key, required)
            return None
        try:
            return parse_date(value)
        except ValueError:
            self._fail(
                key, f"'{value}' không phải ngày hợp lệ: ghi dạng dd/mm/yyyy (ví dụ 15/09/2025)."
            )
            return None

    def integer(self, key: str, required: bool = False) -> int | None:
        value = self.raw(key)
        if value is None:
            self._missing(key, required)
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        match = re.fullmatch(r"(?:tc\s*)?(\d{1,4})", norm(value))
        if match:
            return int(match.group(1))
        self._fail(key, f"'{value}' không phải số nguyên.")
        return None

    def choice(self, key: str, words: dict, required: bool = False) -> str | None:
        """The code of a word from ``words`` (diacritics optional); None when blank."""
        value = self.text(key, required)
        if value is None:
            return None
        lenient = {plain(w): code for w, code in words.items()}
        if norm(value) in words:
            return words[norm(value)]
        if plain(value) in lenient:
            return lenient[plain(value)]
        self._fail(key, f"giá trị '{value}' không hợp lệ: chọn một trong {allowed_words(words)}.")
        return None

    def check(self) -> None:
        if self.problems:
            raise CellErrors(self.problems)


def parse_date(value) -> dt.date:
    """A date from a real Excel date, an Excel serial number, dd/mm/yyyy or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(value)
    text = str(value).strip()
    vn = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    if vn:
        return dt.date(int(vn.group(3)), int(vn.group(2)), int(vn.group(1)))
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?", text)
    if iso:
        return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    raise ValueError(text)
