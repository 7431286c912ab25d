"""Which unit of a date holds an old unit, and which old units a unit absorbed.

Lineage rows (``UnitLineage``) link an old unit to the unit(s) it became on a
date. Following them forward answers "where is this 2019 commune today";
following them backward lists everything a unit absorbed. An old unit whose
end is recorded but whose successor is not gives an explicit *unknown* result,
never a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NotFoundError
from geo.models import Activity, ActivityCommune, AdminUnit, UnitLineage

#: lineage is never deeper than this; a longer chain means a cycle in the data
MAX_DEPTH = 12


@dataclass(frozen=True)
class LineageStep:
    """One recorded change: ``old_unit_id`` became (part of) ``new_unit_id``."""

    old_unit_id: int
    new_unit_id: int
    effective_date: dt.date
    change_type: str
    legal_basis: str | None
    confidence: str | None


@dataclass(frozen=True)
class Successor:
    """The unit valid on a date that holds (part of) an old unit.

    ``unit_id`` is None when the chain stops at a unit that ended without a
    recorded successor (``last_known_unit_id``, ended ``ended_on``).
    """

    unit_id: int | None
    name: str | None
    code: str | None
    partial: bool
    steps: tuple[LineageStep, ...]
    last_known_unit_id: int
    ended_on: dt.date | None = None

    @property
    def unknown(self) -> bool:
        return self.unit_id is None


@dataclass(frozen=True)
class Predecessor:
    """A former unit absorbed (wholly or partly) into a later one, with its own predecessors."""

    unit_id: int
    name: str
    code: str | None
    kind: str
    effective_date: dt.date
    change_type: str
    legal_basis: str | None
    confidence: str | None
    predecessors: tuple[Predecessor, ...]


def _step(row: UnitLineage) -> LineageStep:
    return LineageStep(
        row.old_unit_id,
        row.new_unit_id,
        row.effective_date,
        row.change_type,
        row.legal_basis,
        row.confidence,
    )


def _unit(session: Session, unit_id: int) -> AdminUnit:
    unit = session.get(AdminUnit, unit_id)
    if unit is None:
        raise NotFoundError(f"Không tìm thấy đơn vị hành chính có mã số {unit_id}.")
    return unit


def _paths_forward(
    session: Session, unit: AdminUnit, day: dt.date, steps: tuple[LineageStep, ...]
) -> list[tuple[AdminUnit | None, AdminUnit, tuple[LineageStep, ...]]]:
    """Every chain from ``unit`` to a unit valid on ``day``: (found or None, last unit, steps)."""
    if unit.valid_on(day):
        return [(unit, unit, steps)]
    if len(steps) >= MAX_DEPTH or unit.valid_to is None or unit.valid_to > day:
        return [(None, unit, steps)]
    rows = session.scalars(
        sa.select(UnitLineage)
        .where(UnitLineage.old_unit_id == unit.id, UnitLineage.effective_date <= day)
        .order_by(UnitLineage.effective_date, UnitLineage.new_unit_id)
    ).all()
    if not rows:
        return [(None, unit, steps)]
    paths = []
    for row in rows:
        paths += _paths_forward(session, row.new_unit, day, (*steps, _step(row)))
    return paths


def successors_on(session: Session, unit_id: int, day: dt.date) -> list[Successor]:
    """The units valid on ``day`` that hold ``unit_id``, following lineage through every event.

    A unit valid on ``day`` is its own successor. A result is ``partial`` when
    the old unit ends up in more than one place (a split, or a branch whose
    successor is unknown), or when every way to it passes a partial transfer.
    A unit that had not begun by ``day`` has no successor on it (unknown).
    """
    start = _unit(session, unit_id)
    if start.valid_from is not None and day < start.valid_from:
        return [Successor(None, None, None, False, (), start.id, None)]
    results: dict[int, Successor] = {}
    for found, last, steps in _paths_forward(session, start, day, ()):
        key = found.id if found else -last.id
        partial = any(step.change_type == "partial_transfer" for step in steps)
        if key in results:
            # whole if any way to the same unit carries the whole old unit
            results[key] = replace(results[key], partial=results[key].partial and partial)
            continue
        results[key] = Successor(
            unit_id=found.id if found else None,
            name=found.name if found else None,
            code=found.code if found else None,
            partial=partial,
            steps=steps,
            last_known_unit_id=last.id,
            ended_on=None if found else last.valid_to,
        )
    merged = list(results.values())
    if len(merged) > 1:
        merged = [replace(s, partial=True) for s in merged]
    return sorted(merged, key=lambda s: (s.unknown, s.name or "", s.last_known_unit_id))


def today_unit_for(session: Session, unit_id: int, day: dt.date) -> int | None:
    """The one unit valid on ``day`` holding ``unit_id``; None if it is unknown or split."""
    results = successors_on(session, unit_id, day)
    if len(results) == 1 and not results[0].unknown and not results[0].partial:
        return results[0].unit_id
    return None


def predecessors(session: Session, unit_id: int, _depth: int = 0) -> list[Predecessor]:
    """Every former unit that ``unit_id`` absorbed, nested through earlier events."""
    _unit(session, unit_id)
    if _depth >= MAX_DEPTH:
        return []
    rows = session.execute(
        sa.select(UnitLineage, AdminUnit)
        .join(AdminUnit, AdminUnit.id == UnitLineage.old_unit_id)
        .where(UnitLineage.new_unit_id == unit_id)
        .order_by(UnitLineage.effective_date.desc(), AdminUnit.name)
    ).all()
    return [
        Predecessor(
            unit_id=old.id,
            name=old.name,
            code=old.code,
            kind=old.kind,
            effective_date=row.effective_date,
            change_type=row.change_type,
            legal_basis=row.legal_basis,
            confidence=row.confidence,
            predecessors=tuple(predecessors(session, old.id, _depth + 1)),
        )
        for row, old in rows
    ]


def flatten(tree: list[Predecessor]) -> list[Predecessor]:
    """All predecessors of a tree, depth first."""
    out: list[Predecessor] = []
    for node in tree:
        out.append(node)
        out += flatten(list(node.predecessors))
    return out


# --- set-based mapping in SQL ------------------------------------------------------------


def _valid_on(day: dt.date, unit) -> sa.ColumnElement:
    return sa.and_(
        sa.or_(unit.c.valid_from.is_(None), unit.c.valid_from <= day),
        sa.or_(unit.c.valid_to.is_(None), unit.c.valid_to > day),
    )


def unit_map(source_ids: sa.Select, day: dt.date, name: str = "unit_map") -> sa.Subquery:
    """A subquery mapping units to the units valid on ``day`` that hold them.

    Columns: ``old_unit_id``, ``unit_id``, ``n_successors`` and ``partial`` (1 when
    the old unit was split, or every way to ``unit_id`` passes a partial transfer).
    ``source_ids`` selects one column of unit ids (e.g. ``reported_unit_id`` of
    activities). A recursive CTE over ``unit_lineage`` (SQLite and PostgreSQL)
    walks forward until it reaches units valid on ``day``; a unit valid on ``day``
    maps to itself. Units without a known successor on ``day`` have no row.
    """
    unit = AdminUnit.__table__.alias(f"{name}_u")
    line = UnitLineage.__table__.alias(f"{name}_l")
    seed = (
        sa.select(source_ids.subquery(f"{name}_src").c[0].label("old_unit_id"))
        .distinct()
        .subquery(f"{name}_seed")
    )
    chain = sa.select(
        seed.c.old_unit_id,
        seed.c.old_unit_id.label("unit_id"),
        sa.literal(0, sa.Integer).label("via_partial"),
    ).cte(f"{name}_chain", recursive=True)
    step = (
        sa.select(
            chain.c.old_unit_id,
            line.c.new_unit_id,
            sa.case((line.c.change_type == "partial_transfer", 1), else_=chain.c.via_partial),
        )
        .join(line, line.c.old_unit_id == chain.c.unit_id)
        .join(unit, unit.c.id == chain.c.unit_id)
        .where(sa.not_(_valid_on(day, unit)), line.c.effective_date <= day)
    )
    chain = chain.union(step)
    reached = (
        sa.select(
            chain.c.old_unit_id,
            chain.c.unit_id,
            sa.func.min(chain.c.via_partial).label("via_partial"),
        )
        .join(unit, unit.c.id == chain.c.unit_id)
        .where(_valid_on(day, unit))
        .group_by(chain.c.old_unit_id, chain.c.unit_id)
        .subquery(f"{name}_reached")
    )
    count = (
        sa.select(reached.c.old_unit_id, sa.func.count().label("n_successors"))
        .group_by(reached.c.old_unit_id)
        .subquery(f"{name}_count")
    )
    split = sa.or_(count.c.n_successors > 1, reached.c.via_partial == 1)
    return (
        sa.select(
            reached.c.old_unit_id,
            reached.c.unit_id,
            count.c.n_successors,
            sa.case((split, 1), else_=0).label("partial"),
        )
        .join(count, count.c.old_unit_id == reached.c.old_unit_id)
        .subquery(name)
    )


def map_units(session: Session, unit_ids: list[int], day: dt.date) -> dict[int, list[int]]:
    """``{old unit id: [ids of units valid on day holding it]}``, in one query; unknown → []."""
    if not unit_ids:
        return {}
    source = sa.select(AdminUnit.id).where(AdminUnit.id.in_(unit_ids))
    mapping = unit_map(source, day)
    result: dict[int, list[int]] = {i: [] for i in unit_ids}
    for old_id, new_id, *_ in session.execute(
        sa.select(mapping).order_by(mapping.c.old_unit_id, mapping.c.unit_id)
    ):
        result[old_id].append(new_id)
    return result


# --- roll-up of activities ----------------------------------------------------------------


@dataclass(frozen=True)
class CommuneActivityCount:
    """Activities of a period counted for one commune valid on the roll-up day.

    ``by_geometry``: drawn activities that fall in it (through ``activity_commune``);
    ``by_lineage``: activities with no geometry reported in a unit it wholly holds;
    ``split``: activities reported in a unit it holds only a part of (not in
    ``total``: they may belong to a neighbour).
    """

    unit_id: int
    code: str | None
    name: str
    kind: str
    by_geometry: int
    by_lineage: int
    split: int

    @property
    def total(self) -> int:
        return self.by_geometry + self.by_lineage


@dataclass(frozen=True)
class ActivityRollup:
    communes: list[CommuneActivityCount]
    #: activities with no geometry whose reported unit has no known successor on the day
    unplaced: int


def _in_period(start: dt.date, end: dt.date) -> sa.ColumnElement:

    return sa.and_(Activity.deleted_at.is_(None), Activity.activity_date.between(start, end))


def _geometry_counts(session: Session, day: dt.date, start, end) -> dict[int, int]:

    joined = sa.select(ActivityCommune.unit_id).join(Activity).where(_in_period(start, end))
    mapping = unit_map(joined, day, "geo_map")
    rows = session.execute(
        sa.select(mapping.c.unit_id, sa.func.count(sa.distinct(Activity.id)))
        .select_from(ActivityCommune)
        .join(Activity, Activity.id == ActivityCommune.activity_id)
        .join(mapping, mapping.c.old_unit_id == ActivityCommune.unit_id)
        .where(_in_period(start, end))
        .group_by(mapping.c.unit_id)
    )
    return dict(rows.all())


def _lineage_counts(session: Session, day: dt.date, start, end):

    reported = sa.and_(
        _in_period(start, end), Activity.geom.is_(None), Activity.reported_unit_id.isnot(None)
    )
    mapping = unit_map(sa.select(Activity.reported_unit_id).where(reported), day, "rep_map")
    rows = session.execute(
        sa.select(mapping.c.unit_id, mapping.c.partial, sa.func.count(Activity.id))
        .join(mapping, mapping.c.old_unit_id == Activity.reported_unit_id)
        .where(reported)
        .group_by(mapping.c.unit_id, mapping.c.partial)
    ).all()
    placed = session.scalar(
        sa.select(sa.func.count(sa.distinct(Activity.id)))
        .join(mapping, mapping.c.old_unit_id == Activity.reported_unit_id)
        .where(reported)
    )
    total = session.scalar(sa.select(sa.func.count(Activity.id)).where(reported))
    whole: dict[int, int] = {}
    split: dict[int, int] = {}
    for unit_id, partial, count in rows:
        target = split if partial else whole
        target[unit_id] = target.get(unit_id, 0) + count
    return whole, split, (total or 0) - (placed or 0)


def activities_by_commune(
    session: Session, day: dt.date, start: dt.date, end: dt.date
) -> ActivityRollup:
    """For each commune valid on ``day``, the activities between ``start`` and ``end`` (inclusive).

    Drawn activities count where their geometry falls; activities with no
    geometry count, through lineage, for the commune that holds their reported unit.
    Lineage only runs forward: on a day before a unit existed (e.g. today's
    communes on a 2024 day), what is attached to it is not counted, since a
    merged commune cannot be split back into the old ones.
    """
    by_geometry = _geometry_counts(session, day, start, end)
    by_lineage, split, unplaced = _lineage_counts(session, day, start, end)
    unit = AdminUnit.__table__
    communes = session.execute(
        sa.select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.kind)
        .where(AdminUnit.level == "commune", _valid_on(day, unit))
        .order_by(AdminUnit.name, AdminUnit.id)
    ).all()
    rows = [
        CommuneActivityCount(
            unit_id=c.id,
            code=c.code,
            name=c.name,
            kind=c.kind,
            by_geometry=by_geometry.get(c.id, 0),
            by_lineage=by_lineage.get(c.id, 0),
            split=split.get(c.id, 0),
        )
        for c in communes
    ]
    return ActivityRollup(rows, unplaced)
