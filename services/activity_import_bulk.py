"""The set-based path of the Excel import: every row checked, then all written at once.

Gives each row the same answer as recording it alone with
``services.activities.create_activity`` (same checks, same Vietnamese messages, same
communes, same history), with a few statements for the whole file instead of about
eleven a row:

1. each row is parsed and checked in Python against reference data loaded once
   (``activity_import_checks.Reference``, ``Lookups``);
2. the rows' geometries go into a temporary table; one statement finds the communes
   each meets, one the distance to the province of those outside, and two the likely
   duplicates (already recorded, and earlier rows of the file);
3. the likely duplicates are settled in row order (a row refused does not count as a
   twin of a later one, as when the rows are recorded one by one);
4. the accepted activities are inserted in one flush, their communes filled by
   ``geo.spatial.join_activities_to_communes`` (one ``INSERT … SELECT``), and one
   ``AuditEvent`` each is written, as ``create_activity`` does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from geo import spatial
from geo.errors import NtmError
from geo.models import Activity, ActivityCommune, AdminUnit, AuditEvent, activity_criterion
from services import activity_import_checks as checks
from services.activities import (
    _apply,
    _by,
    _check_date,
    _check_organiser,
    _confirm,
    _now,
    audit_event,
    check_place,
    duplicate_warning,
    no_boundaries_note,
    outside_province_message,
)
from services.activity_input import ActivityInput, Problems, check_numbers, parse_input


@dataclass
class Row:
    """One row on its way through the checks."""

    number: int
    key: str
    data: dict
    values: ActivityInput = field(default_factory=ActivityInput)
    problems: Problems = field(default_factory=Problems)
    activity_type: object = None
    join_day: dt.date | None = None
    #: communes of the geometry, ``[(unit id, name)]`` ordered by name
    communes: list = field(default_factory=list)
    parts: list = field(default_factory=list)
    criteria: list = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: the earlier row or recorded activity id this one likely duplicates (a list of
    #: candidate earlier rows until they are settled)
    twin: Row | int | list[Row] | None = None
    activity: Activity | None = None

    @property
    def drawn(self) -> bool:
        return self.join_day is not None


def check_rows(session: Session, rows: list[Row], options: dict) -> list[Row]:
    """Check every row; returns the accepted ones. Refused rows get their ``messages``."""
    ref = checks.Reference(session)
    try:
        _by(options["by"])
    except NtmError as exc:
        for row in rows:
            row.messages = [d["message"] for d in exc.details]
        return []
    for row in rows:
        _check_alone(session, row, ref, options["today"] or dt.date.today())
    drawn = [r for r in rows if r.drawn]
    checks.load_rows(
        session,
        [
            (i, r.values.organiser_id, r.values.activity_date, r.join_day, r.values.geometry)
            for i, r in enumerate(rows) if r.drawn
        ],
    )  # fmt: skip
    # no try/finally: after a database error the transaction is rolled back, table and all
    communes = checks.communes_of_rows(session)
    outside = [i for i, r in enumerate(rows) if r.drawn and i not in communes]
    distances = checks.distances_to_province_m(session, outside) if outside else {}
    for i, row in enumerate(rows):
        _check_place(session, row, communes.get(i), distances.get(i), ref)
    passed = [r for r in rows if not r.messages and _saturday_ok(session, r, options)]
    if drawn and not options["accept_duplicates"]:
        _find_twins(session, rows, passed)
    checks.drop_rows(session)
    return _settle(session, passed, options)


def _check_alone(session: Session, row: Row, ref: checks.Reference, today: dt.date) -> None:
    """The checks that need no other row: fields, date, type, organiser, the join day."""
    values = row.values = parse_input(row.data, row.problems)
    _check_date(values, row.problems, today)
    row.activity_type = _check_type(ref, values, row.problems)
    _check_organiser(session, values, row.problems)
    if values.geometry is not None and not row.problems.has("geometry"):
        day = values.activity_date or dt.date.today()
        row.join_day = day
        if not ref.has_boundaries_on(day):
            values.notes.append(no_boundaries_note(day))
            row.join_day = dt.date.today()


def _check_type(ref: checks.Reference, values: ActivityInput, problems: Problems):
    if not values.type_code:
        problems.add("type_code", "chưa chọn loại hoạt động.")
        return None
    found = ref.activity_type(values.type_code)
    if found is None:
        problems.add("type_code", f"không có loại hoạt động «{values.type_code}».")
        return None
    values.type_code = found.code
    return found


def _check_place(session, row: Row, communes, distance_m, ref: checks.Reference) -> None:
    """Place, numbers and criteria, in the order ``check_activity`` adds their problems."""
    values, problems = row.values, row.problems
    if row.drawn:
        row.communes = communes or []
        if not row.communes:
            problems.add("geometry", outside_province_message(distance_m))
    else:
        row.parts = check_place(session, values, problems)
    check_numbers(values, row.activity_type, len(row.communes or row.parts), problems)
    # ``Lookups.criteria`` refused any number outside the day's criteria set already
    row.criteria = [ref.criteria[i] for i in values.criteria_ids]
    if problems and not row.messages:
        row.messages = [p["message"] for p in problems]


def _saturday_ok(session: Session, row: Row, options: dict) -> bool:
    try:
        flags = {"confirm_not_saturday": options["accept_not_saturday"], "confirm_duplicate": True}
        _confirm(session, row.values, flags)
    except NtmError as exc:
        row.messages = [exc.user_msg]
        return False
    return True


def _find_twins(session: Session, rows: list[Row], passed: list[Row]) -> None:
    """Each passed row's recorded twin, or its earlier rows of the file that may be twins."""
    recorded = checks.recorded_twins(session)
    in_file = checks.twins_in_file(session)
    index = {id(r): i for i, r in enumerate(rows)}
    for row in (r for r in passed if r.drawn):
        i = index[id(row)]
        row.twin = recorded.get(i) or [rows[j] for j in in_file.get(i, [])]


def _settle(session: Session, passed: list[Row], options: dict) -> list[Row]:
    """Duplicates and the named commune, in row order; returns the accepted rows."""
    accepted: list[Row] = []
    check_twins = not options["accept_duplicates"]
    keys = {r.number: _unplaced_key(r) for r in passed if not r.drawn}
    recorded = checks.recorded_twins_without_place(session, list(keys.values()))
    earlier: dict[tuple, Row] = {}
    for row in passed:
        if isinstance(row.twin, list):  # the first earlier row of the file that was accepted
            row.twin = next((t for t in row.twin if t.activity is not None), None)
        elif not row.drawn and check_twins:
            row.twin = recorded.get(keys[row.number]) or earlier.get(keys[row.number])
        if row.twin is not None:
            continue  # refused as a likely duplicate, worded once the twin has its id
        if _named_elsewhere(session, row):
            continue
        row.activity = Activity(created_by=_by(options["by"]), import_key=row.key)
        accepted.append(row)
        if not row.drawn:
            earlier.setdefault(keys[row.number], row)
    return accepted


def _unplaced_key(row: Row) -> tuple:
    values = row.values
    return (values.organiser_id, values.activity_date, values.reported_unit_id)


def _named_elsewhere(session: Session, row: Row) -> bool:
    named = row.data.get("named_unit_id")
    if not (named and row.drawn) or named in {u for u, _ in row.communes}:
        return False
    unit = session.get(AdminUnit, named)
    named_name = unit.name if unit else str(named)
    row.messages = [checks.named_elsewhere_message([n for _, n in row.communes], named_name)]
    return True


def write_rows(session: Session, accepted: list[Row], refused: list[Row], by: str) -> None:
    """Insert the accepted activities, their communes and history; word the duplicates.

    The activities are built by ``create_activity``'s own ``_apply`` but never added to
    the session: their columns go out in one executemany (the ORM would insert them one
    by one on SQLite to learn each id), and the ids come back by import key.
    """
    now = _now()
    made = [(row, row.activity) for row in accepted if row.activity is not None]
    for row, activity in made:
        activity.created_at, activity.version, activity.is_demo = now, 1, False
        _apply(session, activity, row.values, row.activity_type, [], row.criteria)
    _insert_activities(session, [a for _, a in made])
    links = [
        {"activity_id": a.id, "unit_id": p.unit_id, "activity_date": a.activity_date}
        for r, a in made
        for p in r.parts
    ]
    if links:
        session.execute(sa.insert(ActivityCommune), links)
    drawn = [a.id for r, a in made if r.drawn]
    spatial.join_activities_to_communes(session, drawn, _day_rule(accepted))
    _load_communes(session, [a for _, a in made])
    events = [_columns(audit_event(a, "create", by, None)) for _, a in made]
    if events:
        session.execute(sa.insert(AuditEvent), [e | {"at": now} for e in events])
    for row in refused:
        twin_id = _twin_id(row)
        if twin_id is not None and row.values.activity_date and not row.messages:
            row.messages = [duplicate_warning(row.values.activity_date, twin_id).user_msg]


def _twin_id(row: Row) -> int | None:
    if isinstance(row.twin, Row):
        return row.twin.activity.id if row.twin.activity is not None else None
    return row.twin if isinstance(row.twin, int) else None


def _columns(row) -> dict:
    """An unsaved model object's column values, without its id."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}


def _insert_activities(session: Session, activities: list[Activity]) -> None:
    if not activities:
        return
    session.execute(sa.insert(Activity), [_columns(a) for a in activities])
    by_key = {a.import_key: a for a in activities}
    keys = list(by_key)
    for start in range(0, len(keys), 1000):
        query = sa.select(Activity.import_key, Activity.id).where(
            Activity.import_key.in_(keys[start : start + 1000])
        )
        for key, activity_id in session.execute(query):
            by_key[key].id = activity_id
    served = [{"activity_id": a.id, "criterion_id": c.id} for a in activities for c in a.criteria]
    if served:
        session.execute(activity_criterion.insert(), served)


def _day_rule(accepted: list[Row]) -> sa.ColumnElement | None:
    """Dates without commune boundaries take today's communes (as ``check_place`` does)."""
    unmapped = {r.values.activity_date for r in accepted if r.drawn}
    unmapped -= {r.join_day for r in accepted if r.drawn}
    if not unmapped:
        return None
    return sa.case(
        (Activity.activity_date.in_(sorted(unmapped)), dt.date.today()),
        else_=Activity.activity_date,
    )


def _load_communes(session: Session, activities: list[Activity]) -> None:
    """Set each activity's communes (ordered by name, as ``create_activity`` leaves them)."""
    by_id: dict[int, list[ActivityCommune]] = {a.id: [] for a in activities}
    ids = list(by_id)
    for start in range(0, len(ids), 1000):
        query = (
            sa.select(ActivityCommune)
            .join(AdminUnit, AdminUnit.id == ActivityCommune.unit_id)
            .where(ActivityCommune.activity_id.in_(ids[start : start + 1000]))
            .order_by(ActivityCommune.activity_id, AdminUnit.name)
        )
        for link in session.scalars(query):
            by_id[link.activity_id].append(link)
    for activity in activities:
        set_committed_value(activity, "communes", by_id[activity.id])
