"""The SQL of coverage: which activities count for which commune, and their sums in one pass.

``attribution`` gives every (activity, commune valid on the day, unit it was
found in) row; ``counted`` removes the duplicates lineage can create (two old
units of one activity now in one commune) without hashing the common case;
``summary`` computes, in a single statement over the materialised rows, the
figures per commune and activity type, the criteria addressed and the old units
seen, so the period's activities are read once.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from geo.models import Activity, ActivityCommune, ActivityType, AdminUnit, activity_criterion
from services.communes import valid_on
from services.lineage import unit_map

ACTIVITY = Activity.__table__
PART = ActivityCommune.__table__
FACT_COLUMNS = (
    "activity_date",
    "type_code",
    "participants",
    "workdays",
    "quantity",
    "quantity_unit",
    "funds_vnd",
)


def _raw(start: dt.date, end: dt.date) -> sa.CompoundSelect:
    """Every activity dated ``start``..``end`` once per commune it was joined to, or once where
    it was reported: the period's ``activity_commune`` rows (``ix_activity_commune_date``)
    joined to their activities, then the activities without any such row."""
    live = [
        ACTIVITY.c.deleted_at.is_(None),
        ACTIVITY.c.activity_date >= start,
        ACTIVITY.c.activity_date <= end,
    ]
    facts = [ACTIVITY.c[c] for c in FACT_COLUMNS]
    # the date on both tables lets the database read only the period's rows of each
    spatial = (
        sa.select(PART.c.activity_id, PART.c.unit_id.label("source_unit_id"), *facts)
        .join(ACTIVITY, ACTIVITY.c.id == PART.c.activity_id)
        .where(PART.c.activity_date >= start, PART.c.activity_date <= end, *live)
    )
    has_part = sa.exists().where(PART.c.activity_id == ACTIVITY.c.id)
    reported = sa.select(
        ACTIVITY.c.id.label("activity_id"),
        ACTIVITY.c.reported_unit_id.label("source_unit_id"),
        *facts,
    ).where(*live, ACTIVITY.c.reported_unit_id.is_not(None), ~has_part)
    return sa.union_all(spatial, reported)


def attribution(start: dt.date, end: dt.date, name: str = "attr") -> sa.CTE:
    """CTE ``(activity_id, unit_id, source_unit_id, *FACT_COLUMNS)``: activities dated in
    ``start``..``end`` and the communes valid on ``end`` they count for."""
    raw = _raw(start, end).subquery(f"{name}_raw")
    # only units that ended need lineage: the walk runs over units, not over activities;
    # a unit that ended without a known successor keeps its own id and falls out of scope
    ended = sa.select(AdminUnit.id).where(
        AdminUnit.level == "commune", sa.not_(valid_on(AdminUnit, end))
    )
    later = unit_map(ended, end, name=f"{name}_map")
    return (
        sa.select(
            raw.c.activity_id,
            sa.func.coalesce(later.c.unit_id, raw.c.source_unit_id).label("unit_id"),
            raw.c.source_unit_id,
            *[raw.c[c] for c in FACT_COLUMNS],
        )
        .outerjoin(later, later.c.old_unit_id == raw.c.source_unit_id)
        .cte(name)
        # read three times below: SQLite would otherwise run it three times (3.7 s against
        # 2.1 s in bench/bench_coverage.py); PostgreSQL materialises it either way
        .prefix_with("MATERIALIZED")
    )


def counted(attr: sa.CTE, name: str = "counted") -> sa.CTE:
    """CTE of distinct (activity, commune) rows with their facts.

    Rows found directly in a valid commune are unique already (the key of
    ``activity_commune``; a reported activity has one unit). Only rows carried by
    lineage are de-duplicated, among themselves and against a direct row.
    """
    columns = [attr.c.activity_id, attr.c.unit_id, *[attr.c[c] for c in FACT_COLUMNS]]
    direct = sa.select(*columns).where(attr.c.source_unit_id == attr.c.unit_id)
    also_direct = sa.exists().where(
        PART.c.activity_id == attr.c.activity_id, PART.c.unit_id == attr.c.unit_id
    )
    carried = (
        sa.select(*columns).where(attr.c.source_unit_id != attr.c.unit_id, ~also_direct).distinct()
    )
    return sa.union_all(direct, carried).cte(name)


def _null(type_) -> sa.ColumnElement:
    return sa.cast(sa.null(), type_)


def summary(rows: sa.CTE, key, attr: sa.CTE | None = None) -> sa.CompoundSelect:
    """One statement: ``kind`` "figures" rows per (key, type, unit of measure), "criterion" rows
    per key with the ids of the criteria addressed (comma-separated) and, given ``attr``, "old_unit" rows per (key, former unit)."""
    uom = sa.func.coalesce(rows.c.quantity_unit, ActivityType.unit_of_measure)
    figures = (
        sa.select(
            sa.literal("figures").label("kind"),
            key.label("key"),
            rows.c.type_code.label("type_code"),
            uom.label("uom"),
            sa.func.count().label("activities"),
            sa.func.sum(rows.c.participants).label("participants"),
            sa.func.sum(rows.c.workdays).label("workdays"),
            sa.func.sum(rows.c.funds_vnd).label("funds_vnd"),
            sa.func.sum(rows.c.quantity).label("quantity"),
            sa.func.max(rows.c.activity_date).label("last_date"),
            _null(sa.Integer).label("ref_id"),
            _null(sa.Text).label("refs"),
        )
        .select_from(rows)
        .join(ActivityType, ActivityType.code == rows.c.type_code)
        .group_by(key, rows.c.type_code, uom)
    )
    blanks = [
        _null(sa.String),
        _null(sa.String),
        _null(sa.Integer),
        _null(sa.BigInteger),
        _null(sa.Float),
        _null(sa.BigInteger),
        _null(sa.Float),
        _null(sa.Date),
    ]
    pairs = (
        sa.select(key.label("key"), activity_criterion.c.criterion_id)
        .select_from(rows)
        .join(activity_criterion, activity_criterion.c.activity_id == rows.c.activity_id)
        .distinct()
        .subquery("criteria_pairs")
    )
    ids = sa.func.aggregate_strings(sa.cast(pairs.c.criterion_id, sa.Text), ",")
    criteria = sa.select(
        sa.literal("criteria"), pairs.c.key, *blanks, _null(sa.Integer), ids
    ).group_by(pairs.c.key)
    parts = [figures, criteria]
    if attr is not None:
        n = sa.func.count(sa.distinct(attr.c.activity_id))
        parts.append(
            sa.select(
                sa.literal("old_unit"),
                attr.c.unit_id,
                *blanks[:2],
                n,
                *blanks[3:],
                attr.c.source_unit_id,
                _null(sa.Text),
            )
            .where(attr.c.source_unit_id != attr.c.unit_id)
            .group_by(attr.c.unit_id, attr.c.source_unit_id)
        )
    return sa.union_all(*parts)


def id_list(ids: list[int]) -> sa.BindParameter:
    """Integer ids rendered inline: thousands of bound parameters cost more to send than to run."""
    return sa.bindparam("ids", [int(i) for i in ids], expanding=True, literal_execute=True)


def last_dates(end: dt.date, unit_ids: list[int] | None = None) -> sa.Select:
    """``(unit_id, max date)`` of activities on or before ``end`` for the communes valid on it,
    or only ``unit_ids``.

    Each commune and each former unit it holds through lineage is looked up on its own: the
    newest ``activity_commune`` row by ``ix_activity_commune_unit_date`` and the newest reported
    activity (no geometry) by ``ix_activity_reported_unit_date``, both read backwards until the
    first activity that is not deleted. So the cost grows with the number of communes asked
    about, not with the activities before ``end``.
    """
    if unit_ids is None:
        wanted = sa.and_(AdminUnit.level == "commune", valid_on(AdminUnit, end))
    else:
        wanted = AdminUnit.id.in_(id_list(unit_ids))
    scope = sa.select(AdminUnit.id).where(wanted).subquery("hist_scope")
    ended = sa.select(AdminUnit.id).where(sa.not_(valid_on(AdminUnit, end)))
    later = unit_map(ended, end, name="hist_back")
    sources = sa.union_all(
        sa.select(scope.c.id.label("source_id"), scope.c.id.label("unit_id")),
        sa.select(later.c.old_unit_id, later.c.unit_id).where(
            later.c.unit_id.in_(sa.select(scope.c.id))
        ),
    ).subquery("hist_sources")
    not_deleted = ACTIVITY.c.deleted_at.is_(None)
    newest_part = (
        sa.select(PART.c.activity_date)
        .join(ACTIVITY, ACTIVITY.c.id == PART.c.activity_id)
        .where(PART.c.unit_id == sources.c.source_id, PART.c.activity_date <= end, not_deleted)
        .order_by(PART.c.activity_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    has_part = sa.exists().where(PART.c.activity_id == ACTIVITY.c.id)
    newest_reported = (
        sa.select(ACTIVITY.c.activity_date)
        .where(
            ACTIVITY.c.reported_unit_id == sources.c.source_id,
            ACTIVITY.c.activity_date <= end,
            not_deleted,
            ~has_part,
        )
        .order_by(ACTIVITY.c.activity_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    days = sa.union_all(
        sa.select(sources.c.unit_id, newest_part.label("day")),
        sa.select(sources.c.unit_id, newest_reported.label("day")),
    ).subquery("hist_days")
    last = sa.func.max(days.c.day)
    # HAVING, not WHERE: a filter on ``day`` would be pushed down and run each lookup twice
    return sa.select(days.c.unit_id, last).group_by(days.c.unit_id).having(last.is_not(None))
