"""The database checks of an Excel import, for all rows at once.

Names (organisers, communes, criteria, activity types) are looked up in dictionaries
built with one query each; the place checks run as a few SQL statements over a
temporary table of the rows' geometries, joined to ``unit_geometry`` with the spatial
index (``geo.spatial.index_filter`` on SpatiaLite, GiST on PostGIS). The SQL is the same
as the single-activity path's (``geo.spatial.communes_for_geometry``,
``distance_to_province_m``, ``services.activities.find_duplicate``), so a row gets the
same answer either way, on either database.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo import spatial
from geo.models import (
    METRIC_SRID,
    STORAGE_SRID,
    Activity,
    ActivityType,
    AdminUnit,
    Criterion,
    Organisation,
    UnitGeometry,
)
from services.activities import within_duplicate_radius
from services.communes import valid_on
from services.facts import criteria_set_on

ORGANISER_KINDS = ("department", "working_group")
_ROWS = sa.Table(
    "ntm_import_rows",
    sa.MetaData(),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("organiser_id", sa.Integer),
    sa.Column("activity_date", sa.Date),
    sa.Column("join_day", sa.Date),
    sa.Column("wkt", sa.Text),
    *(sa.Column(name, sa.Float) for name in ("minx", "miny", "maxx", "maxy")),
    # for the likely duplicates within the file (a self-join)
    sa.Index("ix_ntm_import_rows_organiser_date", "organiser_id", "activity_date"),
    prefixes=["TEMPORARY"],
)
_GEOM = sa.func.ST_GeomFromText(_ROWS.c.wkt, STORAGE_SRID)
_BOX = (_ROWS.c.minx, _ROWS.c.miny, _ROWS.c.maxx, _ROWS.c.maxy)
#: degrees that hold the duplicate radius (50 m) with room to spare anywhere in the province
#: (1° is 106–111 km there): a box test on the rows, before any geometry is read
NEAR_DEG = 0.001


def plain(text) -> str:
    """Lower case without diacritics, single spaces: ``"Toạ độ"`` → ``"toa do"``."""
    return _plain(str(text or ""))


@functools.lru_cache(maxsize=65_536)  # a file repeats its organisers, types, communes, dates
def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "d")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def named_elsewhere_message(names: list[str], named: str) -> str:
    """The refusal of coordinates that fall in other communes than the one named."""
    return f"Xã: toạ độ nằm ở {', '.join(names)}, không phải {named} như ghi ở cột Xã."


class Lookups:
    """Organisers, communes and criteria by name or code, one query per date and kind."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict = {}

    def _index(self, key, query, names) -> dict[str, set[int]]:
        """``{plain name or code: {id…}}`` of the rows of ``query(day)`` (built once per key)."""
        if key not in self.cache:
            index: dict[str, set[int]] = {}
            for row in self.session.execute(query(key[1])):
                for name in names(row):
                    index.setdefault(plain(name), set()).add(row.id)
            self.cache[key] = index
        return self.cache[key]

    def organiser(self, text: str, day: dt.date) -> int:
        index = self._index(
            ("org", day),
            lambda day: sa.select(
                Organisation.id, Organisation.code, Organisation.name, Organisation.short_name
            ).where(Organisation.kind.in_(ORGANISER_KINDS), valid_on(Organisation, day)),
            lambda r: (r.code, r.name, r.short_name),
        )
        found = index.get(plain(text), set())
        if len(found) != 1:
            raise ValueError(
                f"Đơn vị tổ chức: không có đơn vị «{text}» có hiệu lực vào ngày {day:%d/%m/%Y}."
            )
        return next(iter(found))

    def commune(self, text: str, day: dt.date) -> int:
        def query(day):
            return sa.select(AdminUnit.id, AdminUnit.code, AdminUnit.name).where(
                AdminUnit.level == "commune", valid_on(AdminUnit, day)
            )

        wanted = plain(text)
        found = self._index(("unit", day), query, lambda r: (r.code, r.name)).get(wanted)
        # "Cam Lộ" finds "Xã Cam Lộ": the name without its first word ("Xã", "Phường")
        bare = self._index(("bare", day), query, lambda r: (plain(r.name).split(" ", 1)[-1],))
        found = found or bare.get(wanted, set())
        if len(found) != 1:
            problem = "có nhiều xã trùng tên" if found else "không có xã"
            raise ValueError(f"Xã: {problem} «{text}» vào ngày {day:%d/%m/%Y}; hãy ghi mã xã.")
        return next(iter(found))

    def criteria(self, text: str, day: dt.date) -> list[int]:
        if ("criteria", day) not in self.cache:
            cset = criteria_set_on(self.session, day)
            by_number = {str(c.number): c.id for c in (cset.criteria if cset else [])}
            self.cache["criteria", day] = by_number
        by_number = self.cache["criteria", day]
        numbers = [n.strip() for n in str(text).replace(",", ";").split(";") if n.strip()]
        unknown = [n for n in numbers if n not in by_number]
        if unknown:
            raise ValueError(
                f"Tiêu chí: không có tiêu chí số {', '.join(unknown)} trong bộ tiêu chí áp dụng."
            )
        return [by_number[n] for n in numbers]


class Reference:
    """Activity types, organisers, communes and criteria loaded once for ``check_row``.

    The loaded objects are kept here, so ``session.get`` on them is answered from the
    identity map without a query (``services.activities`` uses ``session.get``).
    """

    def __init__(self, session: Session):
        self.types = list(session.scalars(sa.select(ActivityType)))
        self.type_by_code = {t.code: t for t in self.types}
        self.type_by_name = {}
        for t in sorted(self.types, key=lambda t: t.code, reverse=True):
            self.type_by_name[t.name_vi.lower()] = t
        self.organisers = list(session.scalars(sa.select(Organisation)))
        self.units = list(session.scalars(sa.select(AdminUnit).where(AdminUnit.level == "commune")))
        self.criteria = {c.id: c for c in session.scalars(sa.select(Criterion))}
        self.mapped_periods = list(
            session.execute(
                sa.select(AdminUnit.valid_from, AdminUnit.valid_to)
                .join(UnitGeometry, UnitGeometry.unit_id == AdminUnit.id)
                .where(AdminUnit.level == "commune", UnitGeometry.is_current)
                .distinct()
            )
        )

    def activity_type(self, text: str) -> ActivityType | None:
        """By code, else by name ignoring case (as ``services.activities`` looks it up)."""
        return self.type_by_code.get(text) or self.type_by_name.get(text.lower())

    def has_boundaries_on(self, day: dt.date) -> bool:
        """Whether a commune valid on ``day`` has a current boundary."""
        return any(
            (start is None or start <= day) and (end is None or day < end)
            for start, end in self.mapped_periods
        )


def load_rows(session: Session, rows: list[tuple]) -> None:
    """The temporary table of ``(n, organiser id, date, join day, shape)`` for the place checks."""
    bind = session.connection()
    _ROWS.drop(bind, checkfirst=True)
    _ROWS.create(bind)
    keys = [c.name for c in _ROWS.columns]
    if rows:
        values = [(*r[:4], r[4].wkt, *r[4].bounds) for r in rows]
        session.execute(_ROWS.insert(), [dict(zip(keys, v, strict=True)) for v in values])


def drop_rows(session: Session) -> None:
    _ROWS.drop(session.connection(), checkfirst=True)


def communes_of_rows(session: Session) -> dict[int, list[tuple[int, str]]]:
    """``{row: [(unit id, name)…]}`` of the communes each row's geometry meets on its join day.

    Rows outside every commune are absent. Same predicate as ``communes_for_geometry``.
    """
    pairs = spatial.polygons_then_shapes(
        session, spatial.current_communes(), _ROWS, _GEOM, shape_box=_BOX
    )
    query = (
        sa.select(_ROWS.c.n, AdminUnit.id, AdminUnit.name)
        .select_from(pairs)
        .where(UnitGeometry.is_current, AdminUnit.level == "commune", _valid_on_join_day())
        .order_by(_ROWS.c.n, AdminUnit.name)
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for n, unit_id, name in session.execute(query):
        found.setdefault(n, []).append((unit_id, name))
    return found


def _valid_on_join_day() -> sa.ColumnElement:
    day = _ROWS.c.join_day
    return sa.and_(
        sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= day),
        sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > day),
    )


def distances_to_province_m(session: Session, numbers: list[int]) -> dict[int, float | None]:
    """``{row: metres}`` to the nearest commune valid on the row's join day (rows ``numbers``)."""
    found: dict[int, float | None] = {}
    for start in range(0, len(numbers), 500):
        query = (
            sa.select(
                _ROWS.c.n,
                sa.func.min(
                    sa.func.ST_Distance(
                        sa.func.ST_Transform(UnitGeometry.geom, METRIC_SRID),
                        sa.func.ST_Transform(_GEOM, METRIC_SRID),
                    )
                ),
            )
            .select_from(_ROWS)
            .join(UnitGeometry, sa.and_(UnitGeometry.is_current, _ROWS.c.wkt.is_not(None)))
            .join(AdminUnit, AdminUnit.id == UnitGeometry.unit_id)
            .where(_ROWS.c.n.in_(numbers[start : start + 500]))
            .where(AdminUnit.level == "commune", _valid_on_join_day())
            .group_by(_ROWS.c.n)
        )
        found.update((n, None if d is None else float(d)) for n, d in session.execute(query))
    return found


def recorded_twins(session: Session) -> dict[int, int]:
    """``{row: activity id}``: the lowest-numbered activity already recorded by the row's
    organiser on its date within the duplicate radius (``find_duplicate``'s test)."""
    query = (
        sa.select(_ROWS.c.n, sa.func.min(Activity.id))
        .select_from(_ROWS)
        .join(
            Activity,
            sa.and_(
                Activity.organiser_id == _ROWS.c.organiser_id,
                Activity.activity_date == _ROWS.c.activity_date,
            ),
        )
        .where(Activity.deleted_at.is_(None), Activity.geom.is_not(None))
        .where(within_duplicate_radius(session, Activity.geom, _GEOM))
        .group_by(_ROWS.c.n)
    )
    return dict(session.execute(query).all())


def twins_in_file(session: Session) -> dict[int, list[int]]:
    """``{row: [earlier rows…]}`` of the same organiser and date within the duplicate radius."""
    other = _ROWS.alias("other")
    query = (
        sa.select(_ROWS.c.n, other.c.n)
        .join(
            other,
            sa.and_(
                other.c.organiser_id == _ROWS.c.organiser_id,
                other.c.activity_date == _ROWS.c.activity_date,
                other.c.n < _ROWS.c.n,
            ),
        )
        .where(
            # CASE: SQLite would otherwise measure before testing the boxes
            sa.case(
                (
                    sa.and_(
                        other.c.minx <= _ROWS.c.maxx + NEAR_DEG,
                        other.c.maxx >= _ROWS.c.minx - NEAR_DEG,
                        other.c.miny <= _ROWS.c.maxy + NEAR_DEG,
                        other.c.maxy >= _ROWS.c.miny - NEAR_DEG,
                    ),
                    within_duplicate_radius(
                        session, sa.func.ST_GeomFromText(other.c.wkt, STORAGE_SRID), _GEOM
                    ),
                ),
                else_=False,
            )
        )
        .order_by(_ROWS.c.n, other.c.n)
    )
    found: dict[int, list[int]] = {}
    for n, earlier in session.execute(query):
        found.setdefault(n, []).append(earlier)
    return found


def recorded_twins_without_place(session: Session, rows: list[tuple]) -> dict[tuple, int]:
    """``{(organiser, date, commune): activity id}`` of activities without geometry."""
    keys = set(rows)
    if not keys:
        return {}
    query = (
        sa.select(
            Activity.organiser_id,
            Activity.activity_date,
            Activity.reported_unit_id,
            sa.func.min(Activity.id),
        )
        .where(Activity.deleted_at.is_(None), Activity.geom.is_(None))
        .where(Activity.organiser_id.in_({k[0] for k in keys}))
        .where(Activity.activity_date.in_({k[1] for k in keys}))
        .group_by(Activity.organiser_id, Activity.activity_date, Activity.reported_unit_id)
    )
    return {tuple(r[:3]): r[3] for r in session.execute(query) if tuple(r[:3]) in keys}
