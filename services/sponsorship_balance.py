"""Sponsorship (đỡ đầu) balance, need-to-department match and a suggested assignment.

**Weighted load.** A department's load on a day is the sum over the communes it
sponsors of ``base + difficult × [commune is difficult] + per_unmet_criterion ×
(number of latest-unmet criteria of the set in force)`` (``BALANCE_WEIGHTS``).
An unknown difficulty or unassessed criteria add nothing and are listed in the
commune's ``missing``, so a load built on missing data can be seen as such.

**Match.** A criterion's ``responsible_department`` text (e.g. "Sở Xây dựng; Sở Y
tế (bảo trợ xã hội)") is split on ";", notes in brackets dropped, and each name
compared, case- and spacing-insensitively, with the names and short names of the
departments valid on the day. Names that match no department are kept visible.

**Suggestion.** Priority communes with no sponsor, heaviest first (then by name),
are given one department each, greedily: the least-loaded department responsible
for one of the commune's unmet criteria, unless it already carries more than
``LOAD_TOLERANCE`` above the least-loaded department, in which case the
least-loaded department (ties by name). Loads are updated as it goes. It is a
suggestion: nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo.errors import NotFoundError
from geo.models import AdminUnit, Criterion
from geo.spatial import sponsorship_area
from services.analysis_inputs import (
    communes_valid_on,
    criteria_status,
    departments_on,
    difficulty_flags,
    is_difficult,
    sponsors_on,
)
from services.coverage import list_unit_ids

BALANCE_WEIGHTS = {
    # every sponsored commune is one unit of work
    "base": 1.0,
    # a difficult commune (mountainous, coastal sandy, island, ĐBKK) takes about twice the effort
    "difficult": 1.0,
    # each unmet criterion adds a quarter of a commune's work
    "per_unmet_criterion": 0.25,
}
#: a responsible department is preferred unless its load exceeds the lightest by more than this
LOAD_TOLERANCE = 2.5


@dataclass(frozen=True)
class CommuneWeight:
    unit_id: int
    name: str
    weight: float
    difficult: bool | None
    unmet: int | None
    missing: tuple[str, ...]


@dataclass
class DepartmentLoad:
    department_id: int
    name: str
    unit_ids: list[int] = field(default_factory=list)
    weighted_load: float = 0.0
    communes_missing_data: int = 0

    @property
    def communes(self) -> int:
        return len(self.unit_ids)


@dataclass
class Balance:
    day: dt.date
    loads: list[DepartmentLoad]
    unsponsored_priority: list[CommuneWeight]
    several_sponsors: list[tuple[CommuneWeight, list[int]]]


def commune_weights(session: Session, day: dt.date) -> dict[int, CommuneWeight]:
    """``{unit_id: CommuneWeight}`` for the communes valid on ``day``."""
    flags = difficulty_flags(session, day)
    statuses = criteria_status(session, day)
    units = session.execute(communes_valid_on(day).add_columns(AdminUnit.name)).all()
    result = {}
    for unit_id, name in units:
        difficult = is_difficult(flags.get(unit_id))
        status = statuses.get(unit_id)
        unmet = status.unmet if status is not None and status.assessed else None
        missing = tuple(
            m
            for m, gap in (("difficulty", difficult is None), ("unmet_criteria", unmet is None))
            if gap
        )
        weight = BALANCE_WEIGHTS["base"]
        weight += BALANCE_WEIGHTS["difficult"] if difficult else 0.0
        weight += BALANCE_WEIGHTS["per_unmet_criterion"] * (unmet or 0)
        result[unit_id] = CommuneWeight(unit_id, name, weight, difficult, unmet, missing)
    return result


def _priority_ids(session: Session, day: dt.date, list_id: int | None) -> set[int]:
    query = list_unit_ids(list_id) if list_id is not None else communes_valid_on(day)
    return set(session.scalars(query))


def balance(session: Session, day: dt.date, list_id: int | None = None) -> Balance:
    """Loads per department, unsponsored priority communes (the list's, or all) and multiples."""
    weights = commune_weights(session, day)
    sponsors = sponsors_on(session, day)
    loads = {d.id: DepartmentLoad(d.id, d.name) for d in departments_on(session, day)}
    for unit_id, department_ids in sponsors.items():
        for department_id in department_ids:
            load = loads.get(department_id)
            if load is None or unit_id not in weights:
                continue
            load.unit_ids.append(unit_id)
            load.weighted_load += weights[unit_id].weight
            load.communes_missing_data += bool(weights[unit_id].missing)
    priority = _priority_ids(session, day, list_id)
    by_name = sorted(weights.values(), key=lambda w: (w.name, w.unit_id))
    return Balance(
        day=day,
        loads=sorted(loads.values(), key=lambda x: (-x.weighted_load, x.name)),
        unsponsored_priority=[
            w for w in by_name if w.unit_id in priority and not sponsors.get(w.unit_id)
        ],
        several_sponsors=[
            (w, sorted(sponsors[w.unit_id], key=lambda d: loads[d].name if d in loads else ""))
            for w in by_name
            if len(sponsors.get(w.unit_id, [])) > 1
        ],
    )


def department_area(session: Session, department_id: int, day: dt.date) -> BaseGeometry | None:
    """The communes a department sponsors on ``day`` as one shape (None if it sponsors none)."""
    return sponsorship_area(session, department_id, day)


def _normal(name: str) -> str:
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"\([^)]*\)", " ", text)
    return " ".join(text.split()).casefold()


def split_departments(text: str | None) -> list[str]:
    """Department names in a ``responsible_department`` text.

    >>> split_departments("Sở Xây dựng; Sở Y tế (bảo trợ xã hội)")
    ['Sở Xây dựng', 'Sở Y tế']
    """
    names = [" ".join(re.sub(r"\([^)]*\)", " ", part).split()) for part in (text or "").split(";")]
    return [n for n in names if n]


@dataclass(frozen=True)
class CriterionMatch:
    criterion_id: int
    code: str
    name: str
    responsible_text: str | None
    department_ids: tuple[int, ...]
    unmatched_names: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    unit_id: int
    criteria: tuple[CriterionMatch, ...]
    sponsor_ids: tuple[int, ...]

    @property
    def responsible_ids(self) -> set[int]:
        return {d for c in self.criteria for d in c.department_ids}

    @property
    def sponsor_fits(self) -> bool | None:
        """A sponsor is responsible for an unmet criterion; None when no unmet criterion is known."""
        if not self.criteria:
            return None
        return bool(self.responsible_ids & set(self.sponsor_ids))


def _department_index(session: Session, day: dt.date) -> dict[str, int]:
    index: dict[str, int] = {}
    for d in departments_on(session, day):
        for name in (d.name, d.short_name):
            if name:
                index.setdefault(_normal(name), d.id)
    return index


def _criterion_match(criterion: Criterion, index: dict[str, int]) -> CriterionMatch:
    names = split_departments(criterion.responsible_department)
    found = [index[_normal(n)] for n in names if _normal(n) in index]
    unmatched = [n for n in names if _normal(n) not in index]
    return CriterionMatch(
        criterion.id,
        criterion.code,
        criterion.name_vi,
        criterion.responsible_department,
        tuple(dict.fromkeys(found)),
        tuple(unmatched),
    )


def matches(session: Session, day: dt.date) -> dict[int, Match]:
    """``{unit_id: Match}`` for every commune valid on ``day``."""
    statuses = criteria_status(session, day)
    sponsors = sponsors_on(session, day)
    index = _department_index(session, day)
    ids = {i for s in statuses.values() for i in s.unmet_ids}
    criteria = {c.id: c for c in session.scalars(sa.select(Criterion).where(Criterion.id.in_(ids)))}
    result = {}
    for unit_id in session.scalars(communes_valid_on(day)):
        unmet = statuses[unit_id].unmet_ids if unit_id in statuses else []
        ordered = sorted((criteria[i] for i in unmet), key=lambda c: c.number)
        result[unit_id] = Match(
            unit_id,
            tuple(_criterion_match(c, index) for c in ordered),
            tuple(sponsors.get(unit_id, [])),
        )
    return result


def match(session: Session, unit_id: int, day: dt.date) -> Match:
    """The departments responsible for one commune's unmet criteria, and whether a sponsor fits."""
    found = matches(session, day).get(unit_id)
    if found is None:
        raise NotFoundError(f"Không có xã mã số {unit_id} còn hiệu lực ngày {day:%d/%m/%Y}.")
    return found


@dataclass(frozen=True)
class Assignment:
    unit_id: int
    department_id: int
    responsible: bool
    reason: str


@dataclass
class Suggestion:
    day: dt.date
    assignments: list[Assignment]
    loads_after: dict[int, float]
    unassigned: list[int] = field(default_factory=list)


def suggest(session: Session, day: dt.date, list_id: int | None = None) -> Suggestion:
    """A greedy assignment of a department to each unsponsored priority commune (not written)."""
    current = balance(session, day, list_id)
    names = {x.department_id: x.name for x in current.loads}
    loads = {x.department_id: x.weighted_load for x in current.loads}
    found = matches(session, day)
    todo = sorted(current.unsponsored_priority, key=lambda w: (-w.weight, w.name))
    result = Suggestion(day, [], loads)
    for commune in todo:
        if not loads:
            result.unassigned.append(commune.unit_id)
            continue
        lightest = min(loads, key=lambda d: (loads[d], names[d]))
        responsible = [d for d in found[commune.unit_id].responsible_ids if d in loads]
        best = min(responsible, key=lambda d: (loads[d], names[d])) if responsible else None
        if best is not None and loads[best] - loads[lightest] <= LOAD_TOLERANCE:
            codes = [c.code for c in found[commune.unit_id].criteria if best in c.department_ids]
            assignment = Assignment(commune.unit_id, best, True, "phụ trách " + ", ".join(codes))
        else:
            reason = f"đơn vị ít việc nhất (tải {loads[lightest]:g})"
            assignment = Assignment(commune.unit_id, lightest, False, reason)
        loads[assignment.department_id] += commune.weight
        result.assignments.append(assignment)
    return result
