"""Import facts from CSV or Excel: assessments, classifications, NTM levels,
departments and sponsorships.

Every row is checked and reported by its row number as the user sees it in
Excel (the header is row 1). The import is all-or-nothing: one refused row and
nothing is written; ``dry_run`` only reports. Rows identical to the current
fact are reported as "đã có" and not written again, so re-importing a file does
not duplicate. Communes are found by the code valid on the row's date (codes
are reused across periods) or, without a code, by their exact name.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session

from geo.errors import ImportValidationError
from geo.models import DatasetLoad
from services import fact_rows
from services.fact_cells import CellErrors, Row
from services.fact_columns import KINDS, header_key, plain, template_workbook
from services.fact_records import FactError, check_by

__all__ = [
    "ImportReport",
    "RowOutcome",
    "Table",
    "import_facts",
    "import_table",
    "read_table",
    "template_workbook",
    "KINDS",
]

MAX_ROWS = 100_000
#: refuse archives that would unpack to more than this (zip bombs)
MAX_UNPACKED_BYTES = 200 * 2**20
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Table:
    """The cells of a file: the header as written, then ``(row number, cells)``."""

    headers: list[str]
    rows: list[tuple[int, list]]
    filename: str
    sha256: str


@dataclass(frozen=True)
class RowOutcome:
    row: int
    status: str  # "accepted", "skipped" or "refused"
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"Dòng {self.row}" + (f", cột '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    filename: str
    dry_run: bool
    outcomes: list[RowOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    def rows_with(self, status: str) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def refused(self) -> list[RowOutcome]:
        return self.rows_with("refused")

    def to_dict(self) -> dict:
        """The report as plain JSON-ready values (for the API and the import page)."""
        return {
            "kind": self.kind,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "written": self.written,
            "summary": self.summary(),
            "warnings": self.warnings,
            "rows": [o.__dict__ | {"text": str(o)} for o in self.outcomes],
        }

    def summary(self) -> str:
        """One Vietnamese sentence: how many rows went where, and whether anything was written."""
        counts = {s: len({o.row for o in self.rows_with(s)}) for s in ("accepted", "skipped")}
        refused = len({o.row for o in self.refused})
        text = (
            f"{self.filename}: {counts['accepted']} dòng hợp lệ, {counts['skipped']} dòng "
            f"đã có hoặc bỏ qua, {refused} dòng bị từ chối"
        )
        if refused:
            return text + " — không ghi dòng nào; hãy sửa các dòng bị từ chối rồi nhập lại."
        if self.dry_run:
            return text + " — chạy thử, chưa ghi gì."
        return text + " — đã ghi."


# --- reading files --------------------------------------------------------------------------


def read_table(source: Path | str | bytes, filename: str | None = None) -> Table:
    """Read a CSV (UTF-8, with or without BOM; ``,`` ``;`` or tab) or an .xlsx file."""
    if isinstance(source, bytes):
        data, name = source, filename or "tệp tải lên"
    else:
        path = Path(source)
        data, name = path.read_bytes(), filename or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise ImportValidationError(
            f"{name}: định dạng .xls cũ không được hỗ trợ; hãy lưu lại thành .xlsx hoặc CSV UTF-8."
        )
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix in EXCEL_SUFFIXES and not is_zip:
        raise ImportValidationError(f"{name}: tệp không phải Excel .xlsx hợp lệ.")
    grid = _excel_grid(data, name) if is_zip else _csv_grid(data, name)
    numbered = [(n, cells) for n, cells in enumerate(grid, 1) if any(_filled(c) for c in cells)]
    if not numbered:
        raise ImportValidationError(f"{name}: tệp trống, không có dòng tiêu đề.")
    if len(numbered) > MAX_ROWS:
        raise ImportValidationError(f"{name}: quá {MAX_ROWS} dòng; hãy chia nhỏ tệp.")
    (_, header), *rows = numbered
    headers = ["" if h is None else str(h).strip() for h in header]
    return Table(headers, rows, name, hashlib.sha256(data).hexdigest())


def _filled(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _excel_grid(data: bytes, name: str) -> list[list]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportValidationError(f"{name}: tệp không phải Excel .xlsx hợp lệ.") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportValidationError(
            f"{name}: tệp Excel giải nén ra quá {MAX_UNPACKED_BYTES / 2**20:g} MB; "
            "hãy chia nhỏ tệp."
        )
    try:
        # formulas are read as their text (data_only=False): a "=HYPERLINK(…)" stays a string
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportValidationError(f"{name}: không đọc được tệp Excel ({exc}).") from exc
    try:
        sheet = book.worksheets[0]
        return [[_excel_value(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _excel_value(value):
    if value is None or isinstance(value, str | int | float | bool | dt.date | dt.time):
        return value
    return str(getattr(value, "text", value))  # array formulas and the like: their text


def _csv_grid(data: bytes, name: str) -> list[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportValidationError(
            f"{name}: tệp CSV không ở mã UTF-8 (byte lạ ở vị trí {exc.start}); trong Excel hãy "
            "chọn 'Lưu thành' → 'CSV UTF-8'."
        ) from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _map_headers(kind: str, headers: list[str], name: str) -> tuple[dict[str, int], list[str]]:
    """``{column key: index}`` and warnings about columns that are not used."""
    columns = KINDS[kind]
    index: dict[str, int] = {}
    warnings = []
    for i, text in enumerate(headers):
        if not text:
            continue
        key = _column_for(columns, text)
        if key is None:
            warnings.append(f"Cột '{text}' không dùng cho loại dữ liệu này, bỏ qua.")
        elif key in index:
            raise ImportValidationError(f"{name}: cột '{text}' xuất hiện hai lần.")
        else:
            index[key] = i
    missing = [c.header for c in columns if c.required and c.key not in index]
    if "unit_code" in {c.key for c in columns} and not {"unit_code", "unit_name"} & set(index):
        missing.append("Mã xã (hoặc Tên xã)")
    if missing:
        raise ImportValidationError(
            f"{name}: thiếu cột bắt buộc: {', '.join(missing)}. Hãy dùng tệp mẫu "
            f"(ntm import template {kind}).",
            details=[f"Các cột đọc được: {', '.join(h for h in headers if h)}"],
        )
    return index, warnings


def _column_for(columns, text: str) -> str | None:
    wanted = header_key(text)
    for match in (
        lambda c: header_key(c) == wanted,
        lambda c: plain(header_key(c)) == plain(wanted),
    ):
        for column in columns:
            if any(match(h) for h in (column.header, *column.aliases)):
                return column.key
    return None


# --- importing ------------------------------------------------------------------------------


def import_facts(
    session: Session,
    kind: str,
    source: Path | str | bytes,
    *,
    by: str,
    filename: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Read ``source`` and import its rows of ``kind``; see ``import_table``."""
    table = read_table(source, filename)
    return import_table(session, kind, table, by=by, dry_run=dry_run, today=today)


def import_table(
    session: Session,
    kind: str,
    table: Table,
    *,
    by: str,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check and write every row in one savepoint: all of them, or (on any refusal) none.

    The caller commits the session. ``dry_run`` checks everything and writes nothing.
    """
    if kind not in KINDS:
        raise ImportValidationError(f"Loại dữ liệu '{kind}' không có; chọn: {', '.join(KINDS)}.")
    by = check_by(by)
    index, warnings = _map_headers(kind, table.headers, table.filename)
    report = ImportReport(kind, table.filename, dry_run, warnings=warnings)
    context = fact_rows.Context(session, by, today or dt.date.today())
    rows = [Row(n, _cells(cells, index), _headers(index, table.headers)) for n, cells in table.rows]
    if kind == "departments":
        rows = fact_rows.successors_first(rows)
    handler = fact_rows.HANDLERS[kind]
    everything = session.begin_nested()
    for row in rows:
        report.outcomes.extend(_import_row(session, context, handler, row))
        if progress:
            progress(1)
    report.outcomes.sort(key=lambda o: o.row)
    if report.refused or dry_run:
        everything.rollback()
        return report
    everything.commit()
    accepted = len({o.row for o in report.rows_with("accepted")})
    session.add(
        DatasetLoad(
            dataset=f"facts:{kind}",
            source=table.filename,
            sha256=table.sha256,
            rows=accepted,
            loaded_by=context.by,
            report={"summary": report.summary()},
        )
    )
    session.flush()
    report.written = True
    return report


def _cells(cells: list, index: dict[str, int]) -> dict:
    return {key: cells[i] if i < len(cells) else None for key, i in index.items()}


def _headers(index: dict[str, int], headers: list[str]) -> dict[str, str]:
    return {key: headers[i] for key, i in index.items()}


def _import_row(session: Session, context, handler, row) -> list[RowOutcome]:
    # No savepoint per row: the recording services check everything before they write,
    # so a refused row has written nothing; the import-wide savepoint undoes the rest.
    if row.is_example():
        return [RowOutcome(row.number, "skipped", "dòng ví dụ của tệp mẫu, bỏ qua")]
    try:
        status, message = handler(context, row)
    except CellErrors as exc:
        return [RowOutcome(row.number, "refused", msg, col) for col, msg in exc.problems]
    except FactError as exc:
        return [RowOutcome(row.number, "refused", exc.user_msg, row.column_of(exc.field))]
    return [RowOutcome(row.number, status, message)]
