"""One row of a fact file into one fact: finding its commune by code and date (or by
name), its criteria set and department, and calling the recording service for its kind."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo.models import (
    AdminUnit,
    Classification,
    CriteriaSet,
    Criterion,
    CriterionAssessment,
    Organisation,
    Sponsorship,
)
from services import facts
from services.fact_cells import Row
from services.fact_columns import (
    BOOL_WORDS,
    FLAG_WORDS,
    GROUP_WORDS,
    LEVEL_WORDS,
    STATUS_WORDS,
    TARGET_WORDS,
    norm,
)
from services.fact_records import FactError, valid_on_day, vn_date
from services.fields import is_digits

__all__ = ["Context", "HANDLERS", "successors_first"]

T = TypeVar("T")

KIND_PREFIXES = ("xã ", "phường ", "thị trấn ", "đặc khu ")
STATUS_LABELS = {"met": "đạt", "unmet": "chưa đạt", "unknown": "chưa rõ"}


@dataclass(frozen=True)
class Commune:
    id: int
    code: str | None
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    parent: str | None

    def span(self) -> str:
        start = f"từ {vn_date(self.valid_from)}" if self.valid_from else ""
        end = f"đến {vn_date(self.valid_to)}" if self.valid_to else ""
        return " ".join(p for p in (start, end) if p) or "mọi thời kỳ"


def same_name(given: str, name: str) -> bool:
    """Exact name, ignoring case; the kind prefix ("Xã", "Phường"…) may be left out."""
    wanted, full = norm(given), norm(name)
    short = next((full[len(p) :] for p in KIND_PREFIXES if full.startswith(p)), full)
    return wanted in (full, short)


class Context:
    """What every row of one import shares: the session, who imports, today, look-ups."""

    def __init__(self, session: Session, by: str, today: dt.date):
        self.session, self.by, self.today = session, by, today
        self._communes: list[Commune] | None = None
        self._sets: list[CriteriaSet] | None = None
        self._criteria: dict[tuple[int, int], Criterion] = {}

    def communes(self) -> list[Commune]:
        if self._communes is None:
            parent = aliased(AdminUnit)
            rows = self.session.execute(
                sa.select(
                    AdminUnit.id,
                    AdminUnit.code,
                    AdminUnit.name,
                    AdminUnit.valid_from,
                    AdminUnit.valid_to,
                    parent.name,
                )
                .outerjoin(parent, parent.id == AdminUnit.parent_id)
                .where(AdminUnit.level == "commune")
            ).all()
            self._communes = [Commune(*r) for r in rows]
        return self._communes

    def commune(self, row: Row, day: dt.date) -> Commune:
        """The commune of ``row`` on ``day``: by code (checked against the name), else by name."""
        code, name = row.text("unit_code"), row.text("unit_name")
        alive = [c for c in self.communes() if valid_on_day(c, day)]
        if code:
            code = re.sub(r"^(\d+)\.0+$", r"\1", code)  # a number written out as 19333.0
            code = code.zfill(5) if is_digits(code) else code
            found = [c for c in alive if c.code == code]
            if not found:
                others = "; ".join(
                    f"mã này là của {c.name} {c.span()}" for c in self.communes() if c.code == code
                )
                hint = f" ({others})" if others else ""
                raise FactError(f"Không có xã nào mã {code} vào ngày {vn_date(day)}{hint}.", "unit")
            if name and not same_name(name, found[0].name):
                raise FactError(
                    f"Tên '{name}' không khớp với mã {code}: vào ngày {vn_date(day)} "
                    f"mã này là {found[0].name}.",
                    "unit",
                )
            return found[0]
        if not name:
            raise FactError("Thiếu mã xã và tên xã: ghi ít nhất một.", "unit")
        found = [c for c in alive if same_name(name, c.name)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise FactError(f"Không có xã nào tên '{name}' vào ngày {vn_date(day)}.", "unit")
        listed = ", ".join(f"{c.name} mã {c.code} ({c.parent})" for c in found)
        raise FactError(
            f"Có {len(found)} xã tên '{name}' vào ngày {vn_date(day)}: {listed}; hãy ghi mã xã.",
            "unit",
        )

    def criteria_set(self, text: str | None, day: dt.date) -> CriteriaSet:
        """The set named by ``text`` (code, decision number or period), else the one of ``day``."""
        if self._sets is None:
            self._sets = list(self.session.scalars(sa.select(CriteriaSet)))
        if not text:
            found = next((c for c in self._sets if valid_on_day(c, day)), None)
            if found is None:
                raise FactError(
                    f"Không có bộ tiêu chí nào áp dụng vào ngày {vn_date(day)}.", "criteria_set"
                )
            return found
        wanted, period = norm(text), re.search(r"(\d{4})\s*[-–]\s*(\d{4})", text)
        number = re.search(r"\d+", text)
        for cset in self._sets:
            decision = re.search(r"\d+", cset.legal_basis)
            if (
                wanted == norm(cset.code)
                or (period and cset.code.endswith(f"{period[1]}_{period[2]}"))
                or (not period and number and decision and number[0] == decision[0])
            ):
                return cset
        raise FactError(
            f"Không nhận ra bộ tiêu chí '{text}': ghi QĐ 1980, QĐ 318, QĐ 51/2025 hoặc để trống.",
            "criteria_set",
        )

    def criterion(self, cset: CriteriaSet, number: int) -> Criterion:
        key = (cset.id, number)
        if key not in self._criteria:
            self._criteria[key] = facts.find_criterion(self.session, cset, number)
        return self._criteria[key]

    def organisation(self, code: str) -> Organisation:
        found = self.session.scalars(
            sa.select(Organisation).where(Organisation.code == code)
        ).one_or_none()
        if found is None:
            raise FactError(f"Không có đơn vị mã '{code}'.", "department")
        return found


# --- one handler per kind: (context, row) -> (status, message) ------------------------------


def given(value: T | None, field: str) -> T:
    """A cell read with ``required=True`` after ``Row.check()`` passed: it is there."""
    if value is None:
        raise FactError(f"Thiếu ô bắt buộc '{field}'.", field)
    return value


def assessment(ctx: Context, row: Row) -> tuple[str, str]:
    day = row.date("assessed_on", required=True)
    status = row.choice("status", STATUS_WORDS, required=True)
    number = row.integer("criterion", required=True)
    set_text, source, note = row.text("criteria_set"), row.text("source"), row.text("note")
    row.check()
    day, status = given(day, "assessed_on"), given(status, "status")
    number = given(number, "criterion")
    cset = ctx.criteria_set(set_text, day)
    criterion = ctx.criterion(cset, number)
    unit = ctx.commune(row, day)
    latest = ctx.session.scalars(
        sa.select(CriterionAssessment.status)
        .where(
            CriterionAssessment.unit_id == unit.id,
            CriterionAssessment.criterion_id == criterion.id,
            CriterionAssessment.assessed_on == day,
        )
        .order_by(CriterionAssessment.recorded_at.desc(), CriterionAssessment.id.desc())
    ).first()
    what = f"{unit.name}, tiêu chí {number}: {STATUS_LABELS[status]} ngày {vn_date(day)}"
    if latest == status:
        return "skipped", f"đã có ({what})."
    facts.record_assessment(
        ctx.session,
        unit.id,
        criterion.id,
        status,
        day,
        by=ctx.by,
        source=source,
        note=note,
        today=ctx.today,
    )
    return "accepted", what


def classification(ctx: Context, row: Row) -> tuple[str, str]:
    flag = row.choice("flag", FLAG_WORDS, required=True)
    value_words = GROUP_WORDS if flag == "commune_group" else BOOL_WORDS
    value = row.choice("value", value_words)
    start, end = row.date("period_from", required=True), row.date("period_to")
    basis, source = row.text("legal_basis"), row.text("source")
    row.check()
    flag, start = given(flag, "flag"), given(start, "period_from")
    unit = ctx.commune(row, start)
    current = ctx.session.scalars(
        sa.select(Classification)
        .where(
            Classification.unit_id == unit.id,
            Classification.flag == flag,
            Classification.period_from == start,
            Classification.superseded_at.is_(None),
            Classification.period_to.is_(None) if end is None else Classification.period_to == end,
        )
        .order_by(Classification.recorded_at.desc(), Classification.id.desc())
    ).first()
    what = f"{unit.name}: {row.text('flag')} = {row.text('value') or 'chưa rõ'} từ {vn_date(start)}"
    if current and current.value == value and (current.legal_basis or None) == basis:
        return "skipped", f"đã có ({what})."
    facts.record_classification(
        ctx.session,
        unit.id,
        flag,
        value,
        start,
        end,
        by=ctx.by,
        legal_basis=basis,
        source=source,
        confidence="verified" if value else None,
    )
    return "accepted", what


def ntm_level(ctx: Context, row: Row) -> tuple[str, str]:
    year = row.integer("year", required=True)
    level = row.choice("level", LEVEL_WORDS, required=True)
    target_year = row.integer("target_year")
    target_level = row.choice("target_level", TARGET_WORDS)
    source = row.text("source")
    row.check()
    year, level = given(year, "year"), given(level, "level")
    if not 1900 <= year <= 2100:
        raise FactError(f"Năm '{year}' không hợp lệ.", "year")
    unit = ctx.commune(row, dt.date(year, 12, 31))
    effective_target = target_level or ("standard" if level == "registered" else None)
    current = facts.current_ntm_level(ctx.session, unit.id, year)
    what = f"{unit.name}, năm {year}: {row.text('level')}"
    if current and (current.level, current.target_level, current.target_year) == (
        level,
        effective_target,
        target_year,
    ):
        return "skipped", f"đã có ({what})."
    facts.record_ntm_level(
        ctx.session,
        unit.id,
        year,
        level,
        by=ctx.by,
        target_level=target_level,
        target_year=target_year,
        source=source,
        today=ctx.today,
    )
    return "accepted", what


def department(ctx: Context, row: Row) -> tuple[str, str]:
    code, name = row.text("code", required=True), row.text("name", required=True)
    start, end = row.date("valid_from"), row.date("valid_to")
    short, successor, source = (
        row.text("short_name"),
        row.text("successor_code"),
        row.text("source"),
    )
    row.check()
    code, name = given(code, "code"), given(name, "name")
    org, action = facts.upsert_department(
        ctx.session,
        code,
        name,
        by=ctx.by,
        short_name=short,
        valid_from=start,
        valid_to=end,
        successor_code=successor,
        source=source,
    )
    if action == "unchanged":
        return "skipped", f"đã có ({code} – {org.name})."
    return "accepted", f"{'thêm' if action == 'create' else 'sửa'} {code} – {org.name}"


def sponsorship(ctx: Context, row: Row) -> tuple[str, str]:
    code = row.text("department", required=True)
    start, end = row.date("valid_from", required=True), row.date("valid_to")
    note, source = row.text("note"), row.text("source")
    row.check()
    code, start = given(code, "department"), given(start, "valid_from")
    org = ctx.organisation(code)
    unit = ctx.commune(row, start)
    same = ctx.session.scalars(
        sa.select(Sponsorship).where(
            Sponsorship.department_id == org.id,
            Sponsorship.unit_id == unit.id,
            Sponsorship.valid_from == start,
        )
    ).first()
    what = f"{org.short_name or org.name} đỡ đầu {unit.name} từ {vn_date(start)}"
    if same and same.valid_to == end:
        return "skipped", f"đã có ({what})."
    if same and same.valid_to is None and end is not None:
        facts.end_sponsorship(ctx.session, same.id, end, by=ctx.by)
        return "accepted", f"{what}: kết thúc ngày {vn_date(end)}"
    facts.start_sponsorship(
        ctx.session, org.id, unit.id, start, end, by=ctx.by, note=note, source=source
    )
    return "accepted", what


HANDLERS = {
    "assessments": assessment,
    "classifications": classification,
    "ntm-levels": ntm_level,
    "departments": department,
    "sponsorships": sponsorship,
}


def successors_first(rows: list[Row]) -> list[Row]:
    """Department rows ordered so that a successor named in the file is written first."""
    by_code = {norm(r.text("code") or ""): r for r in rows}
    ordered: list[Row] = []
    placed: set[int] = set()

    def place(row: Row, seen: frozenset) -> None:
        if row.number in placed or row.number in seen:
            return
        successor = by_code.get(norm(row.text("successor_code") or ""))
        if successor is not None and successor is not row:
            place(successor, seen | {row.number})
        placed.add(row.number)
        ordered.append(row)

    for row in rows:
        place(row, frozenset())
    return ordered
