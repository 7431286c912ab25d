"""Demo Saturday activities: where, when, who and how much, drawn reproducibly inside real communes.

Activity ``i`` of a seed comes from its own random stream (``"activity:{seed}:{i}"``), so
the first 60 activities are the same whether 60 or 2,000 are generated. Shapes are
built in metres (``METRIC_SRID``) and stored in EPSG:4326.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass, field

import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo import spatial
from geo.models import (
    METRIC_SRID,
    Activity,
    ActivityType,
    AdminUnit,
    CriteriaSet,
    Criterion,
    Organisation,
    Sponsorship,
    UnitLineage,
    WorkingGroupUnit,
)

#: type code: (shape, length or size in m, quantity unit, participants, funds in million VND)
PROFILES = {
    "ROAD_REPAIR": ("line", (300, 3000), "km", (30, 150), (50, 800)),
    "ROAD_HARDEN": ("line", (200, 2000), "km", (40, 200), (100, 1500)),
    "CANAL_SOLIDIFY": ("line", (150, 1500), "m", (30, 120), (50, 600)),
    "CANAL_DREDGE": ("line", (200, 2500), "m", (20, 150), (0, 30)),
    "ENV_SANITATION": ("line", (300, 4000), "km", (30, 300), (0, 10)),
    "WASTE_COLLECTION": ("polygon", (80, 400), "tấn", (20, 200), (0, 15)),
    "LANE_TIDY": ("line", (200, 1500), "km", (20, 100), (5, 80)),
    "ROAD_LIGHTING": ("line", (300, 2500), "km chiếu sáng", (10, 60), (30, 300)),
    "TREE_FLOWER_ROAD": ("line", (200, 2000), "km", (20, 150), (5, 60)),
    "MURAL_ROAD": ("line", (100, 600), "km", (10, 50), (10, 120)),
    "CULTURAL_HOUSE": ("point_or_polygon", (30, 90), "công trình", (20, 80), (100, 1200)),
    "SANITATION_FACILITY": ("point", (0, 0), "công trình", (5, 30), (8, 60)),
    "HOUSING_SUPPORT": ("point", (0, 0), "nhà", (10, 50), (40, 120)),
    "LEGAL_OUTREACH": ("point", (0, 0), "buổi", (30, 200), (0, 5)),
    "SUPPORT_VISIT": ("point", (0, 0), "buổi", (3, 15), None),
}
OTHER_PROFILE = ("point", (0, 0), None, (10, 60), (0, 20))
#: how often each type occurs (types added later by users weigh 2)
WEIGHTS = {"ENV_SANITATION": 14, "ROAD_REPAIR": 8, "ROAD_HARDEN": 8, "LANE_TIDY": 8}
WEIGHTS |= {"WASTE_COLLECTION": 8, "TREE_FLOWER_ROAD": 7, "CANAL_DREDGE": 6, "ROAD_LIGHTING": 6}
WEIGHTS |= {"SUPPORT_VISIT": 6, "CANAL_SOLIDIFY": 5, "LEGAL_OUTREACH": 5, "CULTURAL_HOUSE": 4}
WEIGHTS |= {"SANITATION_FACILITY": 4, "HOUSING_SUPPORT": 4, "MURAL_ROAD": 3}
#: demo heuristic only: which QĐ 51/2025 criterion takes over a QĐ 318 criterion's field
CRITERION_318_TO_51 = {1: 1, 2: 2, 3: 2, 4: 2, 5: 5, 6: 5, 7: 2, 8: 7, 9: 6, 10: 3}
CRITERION_318_TO_51 |= {11: 6, 12: 4, 13: 3, 14: 5, 15: 5, 16: 5, 17: 8, 18: 10, 19: 10}
CROSSING_SHARE = 0.2
NO_GEOMETRY_SHARE = 0.35


@functools.cache
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _to_metric(geom: BaseGeometry) -> BaseGeometry:
    return _reproject(geom, _transformer(4326, METRIC_SRID))


def _to_storage(geom: BaseGeometry) -> BaseGeometry:
    return _reproject(geom, _transformer(METRIC_SRID, 4326))


def _reproject(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


@dataclass(frozen=True)
class Scenario:
    """The dates, criteria sets and label of a demo scenario."""

    seed: int
    label: str
    first_day: dt.date
    last_day: dt.date
    #: today's communes (with polygons) begin on this day
    new_units_day: dt.date
    #: (set code before, set code after, first day of the later set)
    criteria_sets: tuple[str, str, dt.date]


@dataclass
class Context:
    """What the generator chooses from, each list sorted by code (never by database id)."""

    communes: list  # services.demo.Commune, today's
    province: BaseGeometry
    old_units: dict[int, list[tuple[int, str, dt.date | None, dt.date | None]]]
    departments: list[tuple[int, str, dt.date | None, dt.date | None]]
    #: commune id → (department id, valid from, valid to)
    sponsors: dict[int, list[tuple[int, dt.date, dt.date | None]]]
    groups: dict[int, list[int]]
    types: list[ActivityType]
    criteria: dict[str, dict[int, Criterion]]
    weights: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedActivity:
    import_key: str
    activity_date: dt.date
    type_code: str
    commune_code: str
    shape: BaseGeometry | None
    reported_unit_id: int | None
    organiser_id: int | None
    village: str
    participants: int
    workdays: float
    quantity: float | None
    quantity_unit: str | None
    funds_vnd: int | None
    criterion_ids: tuple[int, ...]
    description: str


def build_context(session: Session, communes: list, new_units_day: dt.date) -> Context:
    for commune in communes:
        shapely.prepare(commune.geometry)
    province = shapely.union_all([c.geometry for c in communes])
    shapely.prepare(province)
    types = list(session.scalars(sa.select(ActivityType).order_by(ActivityType.code)))
    return Context(
        communes=communes,
        province=province,
        old_units=_old_units(session, new_units_day),
        departments=[
            tuple(r)
            for r in session.execute(
                sa.select(Organisation.id, Organisation.code, Organisation.valid_from)
                .add_columns(Organisation.valid_to)
                .where(Organisation.kind == "department")
                .order_by(Organisation.code)
            )
        ],
        sponsors=_grouped(
            session,
            sa.select(Sponsorship.unit_id, Sponsorship.department_id)
            .add_columns(Sponsorship.valid_from, Sponsorship.valid_to)
            .join(Organisation, Organisation.id == Sponsorship.department_id)
            .order_by(Organisation.code, Sponsorship.valid_from),
        ),
        groups=_grouped(
            session,
            sa.select(WorkingGroupUnit.unit_id, WorkingGroupUnit.working_group_id)
            .join(Organisation, Organisation.id == WorkingGroupUnit.working_group_id)
            .order_by(Organisation.code),
        ),
        types=types,
        criteria={
            s.code: {c.number: c for c in s.criteria}
            for s in session.scalars(sa.select(CriteriaSet))
        },
        weights=[WEIGHTS.get(t.code, 2) for t in types],
    )


def _grouped(session: Session, query) -> dict[int, list]:
    """``{first column: [the rest, as one value or a tuple]}``."""
    out: dict[int, list] = {}
    for key, *rest in session.execute(query):
        out.setdefault(key, []).append(rest[0] if len(rest) == 1 else tuple(rest))
    return out


def _old_units(session: Session, day: dt.date) -> dict[int, list]:
    """Today's commune id → the units that merged into it on ``day`` (id, name, validity)."""
    rows = session.execute(
        sa.select(UnitLineage.new_unit_id, AdminUnit.id, AdminUnit.name)
        .add_columns(AdminUnit.valid_from, AdminUnit.valid_to)
        .join(AdminUnit, AdminUnit.id == UnitLineage.old_unit_id)
        .where(UnitLineage.effective_date == day, AdminUnit.level == "commune")
        .order_by(AdminUnit.code, AdminUnit.name, AdminUnit.valid_from)
    )
    out: dict[int, list] = {}
    for new_id, *old in rows:
        out.setdefault(new_id, []).append(tuple(old))
    return out


# --- one activity ---------------------------------------------------------------------------


def _saturdays(first: dt.date, last: dt.date) -> list[dt.date]:
    day = first + dt.timedelta(days=(5 - first.weekday()) % 7)
    return [day + dt.timedelta(weeks=k) for k in range((last - day).days // 7 + 1)]


def _date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    if rng.random() < 0.92:
        return rng.choice(_saturdays(first, last))
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _point_in(rng: random.Random, geom: BaseGeometry) -> tuple[float, float]:
    x0, y0, x1, y1 = geom.bounds
    for _ in range(2000):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(geom, x, y):
            return x, y
    point = geom.representative_point()
    return point.x, point.y


def _line_m(rng: random.Random, start, length_m: float) -> shapely.LineString:
    heading, points = rng.uniform(0, 2 * math.pi), [start]
    segments = rng.randint(1, 3)
    for _ in range(segments):
        heading += rng.uniform(-0.4, 0.4)
        x, y = points[-1]
        step = length_m / segments
        points.append((x + step * math.cos(heading), y + step * math.sin(heading)))
    return shapely.LineString(points)


def _polygon_m(rng: random.Random, centre, size_m: float) -> shapely.Polygon:
    n, phase = rng.randint(5, 8), rng.uniform(0, 2 * math.pi)
    ring = []
    for k in range(n):
        angle, radius = phase + 2 * math.pi * k / n, size_m / 2 * rng.uniform(0.7, 1.0)
        ring.append((centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle)))
    return shapely.Polygon(ring)


def _shape(rng: random.Random, ctx: Context, commune, kind: str, size) -> BaseGeometry:
    """A shape of ``kind`` inside the commune; some lines cross into a neighbour."""
    if kind == "point_or_polygon":
        kind = "polygon" if rng.random() < 0.4 else "point"
    if kind == "point":
        return shapely.Point(_point_in(rng, commune.geometry))
    crossing = kind == "line" and rng.random() < CROSSING_SHARE
    scale = 1.0
    for attempt in range(80):
        if attempt and attempt % 20 == 0:
            crossing, scale = False, scale / 2
        start = _transformer(4326, METRIC_SRID).transform(*_point_in(rng, commune.geometry))
        length = rng.uniform(*size) * scale * (2 if crossing else 1)
        built = _line_m(rng, start, length) if kind == "line" else _polygon_m(rng, start, length)
        shape = _to_storage(built)
        if crossing and ctx.province.covers(shape) and not commune.geometry.contains(shape):
            return shape
        if not crossing and commune.geometry.contains(shape):
            return shape
    return shapely.Point(_point_in(rng, commune.geometry))


def _organiser(rng: random.Random, ctx: Context, commune, day, new_units_day) -> int | None:
    sponsors = [d for d, start, end in ctx.sponsors.get(commune.id, []) if _valid(start, end, day)]
    if sponsors and rng.random() < 0.45:
        return rng.choice(sponsors)
    if day >= new_units_day and ctx.groups.get(commune.id) and rng.random() < 0.55:
        return rng.choice(ctx.groups[commune.id])
    valid = [d[0] for d in ctx.departments if _valid(d[2], d[3], day)]
    return rng.choice(valid) if valid else None


def _valid(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    return (start is None or start <= day) and (end is None or day < end)


def _criteria(rng, ctx: Context, activity_type: ActivityType, day, sets) -> tuple[int, ...]:
    set_code = sets[1] if day >= sets[2] else sets[0]
    numbers = [int(n) for n in (activity_type.related_criterion_numbers or "").split(";") if n]
    if set_code == sets[1]:
        numbers = [CRITERION_318_TO_51[n] for n in numbers if n in CRITERION_318_TO_51]
    available = ctx.criteria.get(set_code, {})
    if not numbers and available:
        numbers = [rng.choice(sorted(available))]
    return tuple(sorted({available[n].id for n in numbers if n in available}))


def _quantity(rng, unit: str | None, line_length_m: float) -> float | None:
    """The drawn length for line work; a plausible count or weight otherwise."""
    if unit in ("km", "km chiếu sáng") and line_length_m:
        return round(line_length_m / 1000, 2)
    if unit == "m" and line_length_m:
        return float(round(line_length_m))
    choices: dict[str | None, float] = {
        "tấn": round(rng.uniform(0.5, 12), 1),
        "công trình": float(rng.randint(1, 3)),
    }
    choices |= {"nhà": float(rng.randint(1, 2)), "buổi": 1.0}
    return choices.get(unit)


def plan_activity(ctx: Context, settings: Scenario, i: int) -> PlannedActivity:
    """Activity ``i`` of the scenario: the same for the same seed, whatever the number asked."""
    rng = random.Random(f"activity:{settings.seed}:{i}")
    day = _date(rng, settings.first_day, settings.last_day)
    activity_type = rng.choices(ctx.types, weights=ctx.weights)[0]
    kind, size, unit, people, funds = PROFILES.get(activity_type.code, OTHER_PROFILE)
    commune = rng.choices(ctx.communes, [1.0 if c.kind == "xa" else 0.4 for c in ctx.communes])[0]
    shape, reported, reported_name = None, None, None
    olds = [o for o in ctx.old_units.get(commune.id, []) if _valid(o[2], o[3], day)]
    if day < settings.new_units_day and olds and rng.random() < NO_GEOMETRY_SHARE:
        reported, reported_name = rng.choice(olds)[:2]
    else:
        shape = _shape(rng, ctx, commune, kind, size)
    is_line = shape is not None and shape.geom_type == "LineString"
    line_length_m = _to_metric(shape).length if is_line else 0.0
    participants = rng.randint(*people)
    village = f"{'Khu phố' if commune.kind == 'phuong' else 'Thôn'} {rng.randint(1, 12)}"
    where = reported_name or commune.name
    return PlannedActivity(
        import_key=f"demo:{settings.seed}:{i}",
        activity_date=day,
        type_code=activity_type.code,
        commune_code=commune.code,
        shape=shape,
        reported_unit_id=reported,
        organiser_id=_organiser(rng, ctx, commune, day, settings.new_units_day),
        village=village,
        participants=participants,
        workdays=round(participants * rng.choice((0.5, 1.0)), 1),
        quantity=_quantity(rng, unit, line_length_m),
        quantity_unit=unit,
        funds_vnd=None
        if funds is None or rng.random() < 0.15
        else int(round(rng.uniform(*funds) * 10)) * 100_000,
        criterion_ids=_criteria(rng, ctx, activity_type, day, settings.criteria_sets),
        description=f"{activity_type.name_vi} – {village}, {where}. {settings.label}.",
    )


# --- writing ----------------------------------------------------------------------------


def insert_activities(
    session: Session, ctx: Context, plans: list[PlannedActivity], progress, new_units_day: dt.date
) -> tuple[int, int]:
    """Write the planned activities not already there, then their communes by spatial join."""
    keys = [p.import_key for p in plans]
    existing = set(
        session.scalars(sa.select(Activity.import_key).where(Activity.import_key.in_(keys)))
    )
    criteria = {c.id: c for set_ in ctx.criteria.values() for c in set_.values()}
    added = 0
    for plan in plans:
        progress("activities", 1)
        if plan.import_key in existing:
            continue
        activity = Activity(
            activity_date=plan.activity_date,
            type_code=plan.type_code,
            geom=None if plan.shape is None else spatial.to_db_geometry(plan.shape),
            reported_unit_id=plan.reported_unit_id,
            organiser_id=plan.organiser_id,
            village=plan.village,
            participants=plan.participants,
            workdays=plan.workdays,
            quantity=plan.quantity,
            quantity_unit=plan.quantity_unit,
            funds_vnd=plan.funds_vnd,
            description=plan.description,
            import_key=plan.import_key,
            is_demo=True,
            created_by="demo",
            criteria=[criteria[c] for c in plan.criterion_ids],
        )
        session.add(activity)
        added += 1
    session.flush()
    ids = list(session.scalars(sa.select(Activity.id).where(Activity.import_key.in_(keys))))
    first_day = sa.case(
        (Activity.activity_date < new_units_day, new_units_day), else_=Activity.activity_date
    )
    # older units have no polygons and today's hold them: earlier activities take today's
    links = spatial.join_activities_to_communes(session, ids, first_day)
    progress("activity_communes", len(plans))
    return added, links
