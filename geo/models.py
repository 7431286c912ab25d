"""GeoAlchemy2 models shared by SpatiaLite and PostGIS.

The model is time-aware (DESIGN.md §3): administrative units carry a surrogate
id, their official code and a validity period; codes and names repeat across
periods and are never keys over time. Facts attach to the unit valid at their
date and roll up to today's units through ``UnitLineage``.

Geometry is stored in EPSG:4326; lengths and areas are measured in
``METRIC_SRID`` and named with their unit (``area_km2``, ``length_m``).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STORAGE_SRID = 4326
#: WGS 84 / UTM zone 48N: metres over all of Quảng Trị (lon 105.6°–107.4°).
METRIC_SRID = 32648

UNIT_LEVELS = ("province", "district", "commune")
UNIT_KINDS = ("tinh", "huyen", "thi_xa", "thanh_pho", "xa", "phuong", "thi_tran", "dac_khu")
LINEAGE_TYPES = (
    "merge_new",
    "absorbed_into",
    "renamed",
    "partial_transfer",
    "abolished_merged",
    "district_to_special_zone",
)
ASSESSMENT_STATUSES = ("met", "unmet", "unknown")
NTM_LEVELS = ("none", "registered", "standard", "advanced", "model", "not_applicable")
CLASSIFICATION_FLAGS = (
    "mountainous",
    "coastal_sandy",
    "island",
    "extremely_difficult",
    "commune_group",
)
CONFIDENCES = ("verified", "derived", "unverified", "demo")
ORGANISATION_KINDS = ("department", "working_group", "commune", "other")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{column}_allowed")


class Base(DeclarativeBase):
    pass


class Recorded:
    """Who recorded a fact, when, and whether it is made-up demo data."""

    recorded_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=_now)
    is_demo: Mapped[bool] = mapped_column(default=False)


class AdminUnit(Base):
    """A province, district or commune as it existed between two dates."""

    __tablename__ = "admin_unit"
    __table_args__ = (
        _in("level", UNIT_LEVELS),
        _in("kind", UNIT_KINDS),
        sa.Index("ix_admin_unit_code_valid", "code", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    level: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_unit.id"))
    #: first day of existence; NULL when it began before our records do
    valid_from: Mapped[dt.date | None]
    #: first day the unit no longer exists (exclusive); NULL while it exists
    valid_to: Mapped[dt.date | None]
    source: Mapped[str | None] = mapped_column(sa.Text)

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id])
    geometries: Mapped[list[UnitGeometry]] = relationship(back_populates="unit")

    def valid_on(self, day: dt.date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day < self.valid_to)


class UnitGeometry(Base):
    """One version of a unit's boundary, with its provenance."""

    __tablename__ = "unit_geometry"
    __table_args__ = (
        sa.Index("ix_unit_geometry_unit", "unit_id"),
        _in("status", ("official", "provisional", "derived", "imported")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))
    area_km2: Mapped[float] = mapped_column(doc="measured in METRIC_SRID")
    official_area_km2: Mapped[float | None] = mapped_column(doc="as published by the source")
    source: Mapped[str] = mapped_column(sa.Text)
    licence: Mapped[str | None] = mapped_column(sa.String(200))
    attribution: Mapped[str | None] = mapped_column(sa.Text)
    source_date: Mapped[dt.date | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="provisional")
    is_current: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=_now)

    unit: Mapped[AdminUnit] = relationship(back_populates="geometries")


class UnitLineage(Base):
    """An old unit that became (part of) a new unit on a date."""

    __tablename__ = "unit_lineage"
    __table_args__ = (
        _in("change_type", LINEAGE_TYPES),
        sa.UniqueConstraint("old_unit_id", "new_unit_id", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    old_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), index=True)
    new_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), index=True)
    effective_date: Mapped[dt.date]
    change_type: Mapped[str] = mapped_column(sa.String(32))
    #: share of the old unit's area that went to the new unit, when known
    fraction: Mapped[float | None]
    legal_basis: Mapped[str | None] = mapped_column(sa.String(200))
    confidence: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str | None] = mapped_column(sa.Text)

    old_unit: Mapped[AdminUnit] = relationship(foreign_keys=[old_unit_id])
    new_unit: Mapped[AdminUnit] = relationship(foreign_keys=[new_unit_id])


class CriteriaSet(Base):
    """A national set of NTM commune criteria (QĐ 1980, QĐ 318, QĐ 51/2025...)."""

    __tablename__ = "criteria_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    legal_basis: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    source: Mapped[str | None] = mapped_column(sa.Text)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="criteria_set", order_by="Criterion.number"
    )


class Criterion(Base):
    __tablename__ = "criterion"
    __table_args__ = (sa.UniqueConstraint("criteria_set_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_set.id"))
    number: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(16))
    name_vi: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str | None] = mapped_column(sa.String(300))
    responsible_department: Mapped[str | None] = mapped_column(sa.String(300))
    source: Mapped[str | None] = mapped_column(sa.Text)

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")
    indicators: Mapped[list[Indicator]] = relationship(back_populates="criterion")


class Indicator(Base):
    """A chỉ tiêu of a criterion, with thresholds where they are known."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criterion.id"), index=True)
    code: Mapped[str | None] = mapped_column(sa.String(16))
    name_vi: Mapped[str] = mapped_column(sa.Text)
    unit: Mapped[str | None] = mapped_column(sa.String(40))
    threshold_general: Mapped[str | None] = mapped_column(sa.String(200))
    threshold_region: Mapped[str | None] = mapped_column(sa.String(200))
    threshold_group1: Mapped[str | None] = mapped_column(sa.String(200))
    threshold_group2: Mapped[str | None] = mapped_column(sa.String(200))
    threshold_group3: Mapped[str | None] = mapped_column(sa.String(200))
    confidence: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str | None] = mapped_column(sa.Text)

    criterion: Mapped[Criterion] = relationship(back_populates="indicators")


class CriterionAssessment(Recorded, Base):
    """Whether a commune met a criterion on a date. Rows are never overwritten:
    the latest assessment is the current one, older ones are its history."""

    __tablename__ = "criterion_assessment"
    __table_args__ = (
        _in("status", ASSESSMENT_STATUSES),
        sa.Index("ix_assessment_unit_criterion", "unit_id", "criterion_id", "assessed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criterion.id"))
    status: Mapped[str] = mapped_column(sa.String(8))
    assessed_on: Mapped[dt.date]
    source: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)

    criterion: Mapped[Criterion] = relationship()
    unit: Mapped[AdminUnit] = relationship()


class NtmLevel(Recorded, Base):
    """A commune's new-rural level in a year (or its registration to reach one)."""

    __tablename__ = "ntm_level"
    __table_args__ = (_in("level", NTM_LEVELS), sa.Index("ix_ntm_level_unit", "unit_id", "year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"))
    year: Mapped[int]
    level: Mapped[str] = mapped_column(sa.String(16))
    #: for ``registered``: the level it registered for and the target year
    target_level: Mapped[str | None] = mapped_column(sa.String(16))
    target_year: Mapped[int | None]
    confidence: Mapped[str | None] = mapped_column(sa.String(16))
    rule: Mapped[str | None] = mapped_column(sa.Text, doc="how a derived level was derived")
    source: Mapped[str | None] = mapped_column(sa.Text)

    unit: Mapped[AdminUnit] = relationship()


class Classification(Recorded, Base):
    """A difficulty flag or commune group with its legal basis and period.

    ``value`` NULL records that the fact is unknown (with ``rule`` saying why);
    no row at all means nobody has looked.
    """

    __tablename__ = "classification"
    __table_args__ = (
        _in("flag", CLASSIFICATION_FLAGS),
        sa.Index("ix_classification_unit_flag", "unit_id", "flag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"))
    flag: Mapped[str] = mapped_column(sa.String(24))
    value: Mapped[str | None] = mapped_column(sa.String(16))
    period_from: Mapped[dt.date]
    period_to: Mapped[dt.date | None]
    legal_basis: Mapped[str | None] = mapped_column(sa.Text)
    confidence: Mapped[str | None] = mapped_column(sa.String(16))
    rule: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str | None] = mapped_column(sa.Text)
    #: a newer row for the same unit, flag and period replaces this one
    superseded_at: Mapped[dt.datetime | None]

    unit: Mapped[AdminUnit] = relationship()


class Organisation(Base):
    """A unit that organises Saturday work: a department (Sở, Ban, ngành) or a
    working group (Tổ công tác), each valid for a period."""

    __tablename__ = "organisation"
    __table_args__ = (_in("kind", ORGANISATION_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    short_name: Mapped[str | None] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(16))
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    #: working groups: the area they cover, as text and as a shape
    area_description: Mapped[str | None] = mapped_column(sa.Text)
    area_geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=True
    )
    source: Mapped[str | None] = mapped_column(sa.Text)
    is_demo: Mapped[bool] = mapped_column(default=False)

    successor: Mapped[Organisation | None] = relationship(remote_side=[id])


class WorkingGroupUnit(Base):
    """A commune in the area of a working group."""

    __tablename__ = "working_group_unit"

    working_group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), primary_key=True)


class Sponsorship(Recorded, Base):
    """A department sponsoring (đỡ đầu) a commune for a period."""

    __tablename__ = "sponsorship"
    __table_args__ = (sa.Index("ix_sponsorship_unit", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str | None] = mapped_column(sa.Text)
    ended_by: Mapped[str | None] = mapped_column(sa.String(120))
    version: Mapped[int] = mapped_column(default=1)
    #: optimistic lock: every UPDATE carries ``WHERE version = <the version read>``
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    department: Mapped[Organisation] = relationship()
    unit: Mapped[AdminUnit] = relationship()


class ActivityType(Base):
    __tablename__ = "activity_type"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    unit_of_measure: Mapped[str] = mapped_column(sa.String(60))
    #: criterion numbers of QĐ 1980/318, e.g. "3;17"
    related_criterion_numbers: Mapped[str | None] = mapped_column(sa.String(60))
    colour: Mapped[str] = mapped_column(sa.String(7), default="#555555")


activity_criterion = sa.Table(
    "activity_criterion",
    Base.metadata,
    sa.Column("activity_id", sa.ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("criterion_id", sa.ForeignKey("criterion.id"), primary_key=True),
)


class Activity(Base):
    """A piece of Saturday work: where, when, by whom, how much."""

    __tablename__ = "activity"
    __allow_unmapped__ = True  # for ``notes`` below, which is no column
    #: what was fixed or noticed on input (set by ``create_activity``; not stored)
    notes: list[str]
    __table_args__ = (
        sa.Index("ix_activity_date", "activity_date"),
        sa.Index("ix_activity_reported_unit_date", "reported_unit_id", "activity_date"),
        sa.CheckConstraint("participants IS NULL OR participants >= 0", name="ck_participants"),
        sa.CheckConstraint("workdays IS NULL OR workdays >= 0", name="ck_workdays"),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name="ck_quantity"),
        sa.CheckConstraint("funds_vnd IS NULL OR funds_vnd >= 0", name="ck_funds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_date: Mapped[dt.date]
    type_code: Mapped[str] = mapped_column(sa.ForeignKey("activity_type.code"), index=True)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=True), nullable=True)
    #: the unit it was reported in, when it has no geometry (e.g. an old commune)
    reported_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_unit.id"))
    organiser_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    village: Mapped[str | None] = mapped_column(sa.String(200))
    participants: Mapped[int | None]
    workdays: Mapped[float | None]
    quantity: Mapped[float | None]
    quantity_unit: Mapped[str | None] = mapped_column(sa.String(60))
    funds_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: fingerprint of the imported row, so a re-import does not duplicate
    import_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    #: optimistic lock: every UPDATE carries ``WHERE version = <the version read>``
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    activity_type: Mapped[ActivityType] = relationship()
    organiser: Mapped[Organisation | None] = relationship()
    reported_unit: Mapped[AdminUnit | None] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(secondary=activity_criterion)
    communes: Mapped[list[ActivityCommune]] = relationship(
        back_populates="activity", cascade="all, delete-orphan"
    )


class ActivityCommune(Base):
    """A commune an activity falls in, found by spatial join, with the part in it.

    ``activity_date`` repeats the activity's date so that a period's rows are read by
    ``ix_activity_commune_date`` and "the last activity in this commune" is one lookup in
    ``ix_activity_commune_unit_date``. The listeners below keep it equal to
    ``Activity.activity_date`` for ORM writes; ``geo.spatial.join_activities_to_communes``
    copies it in its ``INSERT … SELECT``.
    """

    __tablename__ = "activity_commune"
    __table_args__ = (
        sa.Index("ix_activity_commune_unit_date", "unit_id", "activity_date", "activity_id"),
        sa.Index("ix_activity_commune_date", "activity_date"),
    )

    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), primary_key=True)
    activity_date: Mapped[dt.date]
    length_m: Mapped[float | None]
    area_m2: Mapped[float | None]

    activity: Mapped[Activity] = relationship(back_populates="communes")
    unit: Mapped[AdminUnit] = relationship()


@sa.event.listens_for(ActivityCommune, "before_insert")
def _copy_activity_date(_mapper, connection: sa.Connection, part: ActivityCommune) -> None:
    if part.activity_date is not None:
        return
    if part.activity is not None:
        part.activity_date = part.activity.activity_date
    else:
        day = sa.select(Activity.activity_date).where(Activity.id == part.activity_id)
        part.activity_date = connection.scalar(day)


@sa.event.listens_for(Activity, "after_update")
def _move_activity_date(_mapper, connection: sa.Connection, activity: Activity) -> None:
    if sa.inspect(activity).attrs.activity_date.history.has_changes():
        connection.execute(
            sa.update(ActivityCommune)
            .where(ActivityCommune.activity_id == activity.id)
            .values(activity_date=activity.activity_date)
        )


class PriorityList(Base):
    """A named list of priority communes for a period."""

    __tablename__ = "priority_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    period_from: Mapped[dt.date | None]
    period_to: Mapped[dt.date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[dt.datetime | None]

    items: Mapped[list[PriorityListItem]] = relationship(
        back_populates="priority_list", cascade="all, delete-orphan"
    )


class PriorityListItem(Base):
    __tablename__ = "priority_list_item"

    priority_list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("priority_list.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), primary_key=True)
    added_by: Mapped[str] = mapped_column(sa.String(120))
    added_at: Mapped[dt.datetime] = mapped_column(default=_now)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    priority_list: Mapped[PriorityList] = relationship(back_populates="items")
    unit: Mapped[AdminUnit] = relationship()


class PriorityListEvent(Base):
    """Every addition to and removal from a priority list: who, when, why."""

    __tablename__ = "priority_list_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("priority_list.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"))
    action: Mapped[str] = mapped_column(sa.String(8))
    by: Mapped[str] = mapped_column(sa.String(120))
    at: Mapped[dt.datetime] = mapped_column(default=_now)
    reason: Mapped[str | None] = mapped_column(sa.Text)


class AuditEvent(Base):
    """Before and after of every create, update and delete of a recorded fact."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(16))
    by: Mapped[str] = mapped_column(sa.String(120))
    at: Mapped[dt.datetime] = mapped_column(default=_now)
    #: the commune it concerns, so a commune page can show its history
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_unit.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)


class DatasetLoad(Base):
    """A record of each data load: what file, what checksum, how many rows."""

    __tablename__ = "dataset_load"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(sa.String(80))
    source: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    rows: Mapped[int]
    loaded_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    loaded_at: Mapped[dt.datetime] = mapped_column(default=_now)
    report: Mapped[dict | None] = mapped_column(sa.JSON)


USER_ROLES = ("admin", "planner", "department_officer", "working_group_officer", "viewer")


class UserAccount(Base):
    """Someone who signs in: a role, and the unit (organisation) they belong to."""

    __tablename__ = "user_account"
    __table_args__ = (_in("role", USER_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(32))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    last_login_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation | None] = relationship()


PLAN_KINDS = ("unit", "province")
PLAN_ITEM_STATUSES = ("planned", "done", "missed", "moved")


class UnitPlan(Base):
    """A unit's plan for the Saturday movement over a period (``province``: the coordination
    office's plan that sets each department's tasks)."""

    __tablename__ = "unit_plan"
    __table_args__ = (
        _in("kind", PLAN_KINDS),
        sa.Index("ix_unit_plan_org_period", "organisation_id", "period_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    period_from: Mapped[dt.date]
    period_to: Mapped[dt.date]
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(16), default="unit")
    created_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    version: Mapped[int] = mapped_column(default=1)
    #: optimistic lock: every UPDATE carries ``WHERE version = <the version read>``
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    organisation: Mapped[Organisation] = relationship()
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", foreign_keys="PlanItem.plan_id"
    )


plan_item_criterion = sa.Table(
    "plan_item_criterion",
    Base.metadata,
    sa.Column("plan_item_id", sa.ForeignKey("plan_item.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("criterion_id", sa.ForeignKey("criterion.id"), primary_key=True),
)


class PlanItem(Base):
    """One planned piece of Saturday work: when, where, what, how much, who leads."""

    __tablename__ = "plan_item"
    __table_args__ = (
        _in("status", PLAN_ITEM_STATUSES),
        sa.CheckConstraint(
            "planned_quantity IS NULL OR planned_quantity >= 0", name="ck_planned_qty"
        ),
        sa.Index("ix_plan_item_plan_date", "plan_id", "planned_date"),
        sa.Index("ix_plan_item_date", "planned_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("unit_plan.id", ondelete="CASCADE"))
    planned_date: Mapped[dt.date]
    #: the unit that does the work (a province plan's department; else the plan's unit)
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), index=True)
    village: Mapped[str | None] = mapped_column(sa.String(200))
    type_code: Mapped[str] = mapped_column(sa.ForeignKey("activity_type.code"))
    planned_quantity: Mapped[float | None]
    quantity_unit: Mapped[str | None] = mapped_column(sa.String(60))
    lead_person: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=True), nullable=True)
    #: province-plan tasks: the day the department must have done it by
    deadline: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    missed_reason: Mapped[str | None] = mapped_column(sa.Text)
    moved_to_date: Mapped[dt.date | None]
    moved_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_item.id"))
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activity.id"), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_by: Mapped[str | None] = mapped_column(sa.String(120))
    updated_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    #: optimistic lock: every UPDATE carries ``WHERE version = <the version read>``
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    plan: Mapped[UnitPlan] = relationship(back_populates="items", foreign_keys=[plan_id])
    assignee: Mapped[Organisation] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    activity_type: Mapped[ActivityType] = relationship()
    activity: Mapped[Activity | None] = relationship()
    moved_to: Mapped[PlanItem | None] = relationship(remote_side=[id])
    criteria: Mapped[list[Criterion]] = relationship(secondary=plan_item_criterion)


class PlanFeedToken(Base):
    """A revocable secret that lets a phone read one unit's (or one user's) plan calendar."""

    __tablename__ = "plan_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the token; the token itself is shown once and never stored
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    revoked_at: Mapped[dt.datetime | None]


# --- sign-in throttle ---
class SignInThrottle(Base):
    """Failed sign-ins, shared by every web process: per client address, and per user name
    typed from that address (whether or not the account exists, so a lock tells nothing)."""

    __tablename__ = "sign_in_throttle"

    #: sha256 of ``addr:<address>`` or ``name:<name>|<address>``: no name or address stored
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[dt.datetime]
    locked_until: Mapped[dt.datetime | None]


class UserSession(Base):
    """A signed-in browser session, kept on the server so that it can be ended: by signing out,
    and (every session of the account) by disabling the account or changing its password."""

    __tablename__ = "user_session"
    __table_args__ = (sa.Index("ix_user_session_user", "user_id"),)

    #: sha256 of the random id the browser's (signed) session cookie carries
    id_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    ended_at: Mapped[dt.datetime | None]


# --- export jobs ---
EXPORT_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class ExportJob(Base):
    """An export (map PNG/PDF, meeting pack, report PDF) waiting for, or made by, an ``ntm worker``.

    The queue is this table: any web process answers a job's status and file, and a job
    survives the restart of the web process and of the worker. The file is kept on disk
    (``file_path``) until ``NTM_EXPORT_KEEP_HOURS`` after the job ended.
    """

    __tablename__ = "export_job"
    __table_args__ = (
        _in("status", EXPORT_STATUSES),
        sa.Index("ix_export_job_status_created", "status", "created_at"),
        sa.Index("ix_export_job_owner_status", "owner", "status"),
    )

    #: unguessable: it names a download
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    owner: Mapped[str] = mapped_column(sa.String(80))
    language: Mapped[str] = mapped_column(sa.String(5), default="vi")
    #: what the worker renders: path of the app, paper, size, file name (JSON)
    plan: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=1)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    error: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    mimetype: Mapped[str | None] = mapped_column(sa.String(100))
    file_path: Mapped[str | None] = mapped_column(sa.Text)
    worker: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    started_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    seconds: Mapped[float | None] = mapped_column(sa.Double)


# --- tiles ---
class BoundaryLevelBuild(Base):
    """One generalised build of the commune boundaries, keyed by the boundary version.

    A row here means every feature of that version is in ``boundary_level_feature``:
    the build is written in one transaction, so readers never see half of it.
    """

    __tablename__ = "boundary_level_build"

    version: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    feature_count: Mapped[int]
    bounds: Mapped[str] = mapped_column(sa.String(120))  # "west,south,east,north" in degrees
    built_at: Mapped[dt.datetime] = mapped_column(default=_now)


class BoundaryLevelFeature(Base):
    """A commune's generalised geometry at one level, in Web Mercator (EPSG:3857), as WKB.

    The box columns let both databases find a tile's features with a B-tree index.
    """

    __tablename__ = "boundary_level_feature"
    __table_args__ = (
        sa.Index("ix_boundary_level_feature_box", "version", "level", "min_x", "max_x"),
    )

    version: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_unit.id"), primary_key=True)
    min_x: Mapped[float] = mapped_column(sa.Double)
    min_y: Mapped[float] = mapped_column(sa.Double)
    max_x: Mapped[float] = mapped_column(sa.Double)
    max_y: Mapped[float] = mapped_column(sa.Double)
    wkb: Mapped[bytes] = mapped_column(sa.LargeBinary)


class VectorTile(Base):
    """A Mapbox vector tile made once per layer and boundary version (SpatiaLite's cache)."""

    __tablename__ = "vector_tile"

    layer: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    z: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(primary_key=True)
    y: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
