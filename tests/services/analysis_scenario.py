"""A small hand-computed scenario for coverage, ranking and sponsorship balance.

Everything the tests assert is computed by hand from this text.

Units (2025 reorganisation on 01/07/2025)::

    old (until 01/07/2025):  O1 "Phường Đông Lễ" ──lineage──> A
                             O2 "Xã Hải Thọ"     ──lineage──> B
    today (from 01/07/2025): A "Xã An"   box(106.9, 16.7, 107.0, 16.8)
                             B "Xã Bình" box(107.0, 16.7, 107.1, 16.8)
                             C "Xã Cồn"  box(107.1, 16.7, 107.2, 16.8)
                             D "Xã Đồng" box(107.2, 16.7, 107.3, 16.8)   <- missing data

Criteria set S (from 15/02/2026), three criteria and who is responsible::

    K1 "Giao thông"   "Sở Xây dựng; Sở Giao thông vận tải"     (GTVT ended 01/03/2025)
    K2 "Môi trường"   "Sở Nông nghiệp và Môi trường; Sở Y tế (bảo trợ xã hội)"  (no Sở Y tế here)
    K3 "Văn hóa"      "Sở Văn hóa, Thể thao và Du lịch"

Departments from 01/07/2025: X "Sở Xây dựng", N "Sở Nông nghiệp và Môi trường",
V "Sở Văn hóa, Thể thao và Du lịch"; G "Sở Giao thông vận tải" ended 01/03/2025.

Latest assessments on 30/09/2026::

    A: K1 unmet, K2 met (unmet 01/03, met 01/06 -> latest met), K3 met   -> 1 unmet, complete
    B: K1 unmet, K2 unmet, K3 unmet (K1 met on 15/10/2026 is after the day) -> 3 unmet, complete
    C: K1 met, K2 unmet, K3 unknown                                       -> 1 unmet, incomplete
    D: nothing

Difficulty (from 01/07/2025): A mountainous true, other three false; B all four false
(an older mountainous=true row is superseded); C island true, the other three unknown (NULL);
D no rows. NTM level: A 2025 registered for standard in 2026; B 2025 none; C 2025
registered for 2028; D none.

Sponsorships on 30/09/2026: X->A (from 01/08/2025), X->B (01/08/2025), N->A (01/01/2026),
V->C ended 01/06/2026. Priority list L = {B, C, D}.

Activities (types ROAD "km", WASTE "tấn")::

    a1 04/07/2026 ROAD  line across A|B  40 people  40 wd   1.2 km  50.000.000  K1
    a2 11/07/2026 WASTE point in A       25         12.5    3 tấn    2.000.000  K2
    a3 01/08/2026 ROAD  point in A       30         15      0.5 km   (empty)    K1
    a4 15/08/2026 WASTE point in A       10         5       2 tấn    1.000.000
    a5 05/09/2026 WASTE point in B       (empty)    8       1.5 tấn  0
    a6 20/06/2026 ROAD  point in C       12         6       0.3 km   500.000
    a7 07/05/2022 WASTE no geometry, reported in O1 "Phường Đông Lễ"  50  25  4 tấn  3.000.000
    a8 18/07/2026 ROAD  point in D, deleted (never counts)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
from shapely import LineString, Point, box
from sqlalchemy.orm import Session

from geo.measure import area_km2, to_multipolygons
from geo.models import (
    Activity,
    ActivityCommune,
    ActivityType,
    AdminUnit,
    Classification,
    CriteriaSet,
    Criterion,
    CriterionAssessment,
    NtmLevel,
    Organisation,
    PriorityList,
    PriorityListItem,
    Sponsorship,
    UnitGeometry,
    UnitLineage,
)
from geo.spatial import communes_for_geometry, to_db_geometry

D = dt.date
REORG = D(2025, 7, 1)
DAY = D(2026, 9, 30)
FLAGS = ("mountainous", "coastal_sandy", "island", "extremely_difficult")


@dataclass
class Scenario:
    units: dict[str, int]
    criteria: dict[str, int]
    departments: dict[str, int]
    activities: dict[str, int]
    list_id: int


def _unit(session, name, kind, valid_from, valid_to, shape=None) -> int:
    unit = AdminUnit(
        name=name, level="commune", kind=kind, valid_from=valid_from, valid_to=valid_to, code=None
    )
    session.add(unit)
    session.flush()
    if shape is not None:
        multi = to_multipolygons(gpd.GeoSeries([shape], crs=4326))
        session.add(
            UnitGeometry(
                unit_id=unit.id,
                geom=to_db_geometry(multi.iloc[0]),
                area_km2=float(area_km2(multi)[0]),
                source="test scenario",
            )
        )
    return unit.id


def _units(session) -> dict[str, int]:
    units = {
        "O1": _unit(session, "Phường Đông Lễ", "phuong", None, REORG),
        "O2": _unit(session, "Xã Hải Thọ", "xa", None, REORG),
    }
    for key, name, x in (
        ("A", "Xã An", 106.9),
        ("B", "Xã Bình", 107.0),
        ("C", "Xã Cồn", 107.1),
        ("D", "Xã Đồng", 107.2),
    ):
        units[key] = _unit(session, name, "xa", REORG, None, box(x, 16.7, x + 0.1, 16.8))
    for old, new in (("O1", "A"), ("O2", "B")):
        session.add(
            UnitLineage(
                old_unit_id=units[old],
                new_unit_id=units[new],
                effective_date=REORG,
                change_type="merge_new",
            )
        )
    return units


def _criteria(session) -> dict[str, int]:
    cset = CriteriaSet(
        code="S", name="Bộ S", legal_basis="test", valid_from=D(2026, 2, 15), valid_to=None
    )
    session.add(cset)
    session.flush()
    rows = {
        "K1": ("Giao thông", "Sở Xây dựng; Sở Giao thông vận tải"),
        "K2": ("Môi trường", "Sở Nông nghiệp và Môi trường; Sở Y tế (bảo trợ xã hội)"),
        "K3": ("Văn hóa", "Sở Văn hóa, Thể thao và Du lịch"),
    }
    ids = {}
    for number, (code, (name, responsible)) in enumerate(rows.items(), start=1):
        criterion = Criterion(
            criteria_set_id=cset.id,
            number=number,
            code=code,
            name_vi=name,
            responsible_department=responsible,
        )
        session.add(criterion)
        session.flush()
        ids[code] = criterion.id
    return ids


def _departments(session) -> dict[str, int]:
    rows = {
        "X": ("Sở Xây dựng", REORG, None),
        "N": ("Sở Nông nghiệp và Môi trường", REORG, None),
        "V": ("Sở Văn hóa, Thể thao và Du lịch", REORG, None),
        "G": ("Sở Giao thông vận tải", None, D(2025, 3, 1)),
    }
    ids = {}
    for key, (name, start, end) in rows.items():
        org = Organisation(
            code=f"T-{key}", name=name, kind="department", valid_from=start, valid_to=end
        )
        session.add(org)
        session.flush()
        ids[key] = org.id
    return ids


def _facts(session, u, k, dep) -> None:
    def assess(unit, crit, status, day):
        session.add(
            CriterionAssessment(
                unit_id=u[unit], criterion_id=k[crit], status=status, assessed_on=day
            )
        )

    march, june = D(2026, 3, 1), D(2026, 6, 1)
    for unit, crit, status, day in (
        ("A", "K1", "unmet", march), ("A", "K2", "unmet", march), ("A", "K2", "met", june),
        ("A", "K3", "met", march), ("B", "K1", "unmet", march), ("B", "K2", "unmet", march),
        ("B", "K3", "unmet", march), ("B", "K1", "met", D(2026, 10, 15)),
        ("C", "K1", "met", march), ("C", "K2", "unmet", march), ("C", "K3", "unknown", march),
    ):  # fmt: skip
        assess(unit, crit, status, day)

    def flag(unit, name, value, superseded=None):
        session.add(
            Classification(
                unit_id=u[unit],
                flag=name,
                value=value,
                period_from=REORG,
                period_to=None,
                superseded_at=superseded,
            )
        )

    flag("B", "mountainous", "true", superseded=dt.datetime(2025, 8, 1))
    for name in FLAGS:
        flag("A", name, "true" if name == "mountainous" else "false")
        flag("B", name, "false")
        flag("C", name, "true" if name == "island" else None)
    session.add_all(
        [
            NtmLevel(
                unit_id=u["A"],
                year=2025,
                level="registered",
                target_level="standard",
                target_year=2026,
            ),
            NtmLevel(unit_id=u["B"], year=2025, level="none"),
            NtmLevel(
                unit_id=u["C"],
                year=2025,
                level="registered",
                target_level="standard",
                target_year=2028,
            ),
        ]
    )
    for d, unit, start, end in (
        ("X", "A", D(2025, 8, 1), None), ("X", "B", D(2025, 8, 1), None),
        ("N", "A", D(2026, 1, 1), None), ("V", "C", D(2025, 8, 1), D(2026, 6, 1)),
    ):  # fmt: skip
        session.add(
            Sponsorship(department_id=dep[d], unit_id=u[unit], valid_from=start, valid_to=end)
        )


ACTIVITIES = {
    # key: (date, type, shape or reported unit key, participants, workdays, quantity, unit, funds, criteria)
    "a1": (D(2026, 7, 4), "ROAD", LineString([(106.95, 16.75), (107.05, 16.75)]), 40, 40, 1.2, "km", 50_000_000, ["K1"]),
    "a2": (D(2026, 7, 11), "WASTE", Point(106.95, 16.72), 25, 12.5, 3, None, 2_000_000, ["K2"]),
    "a3": (D(2026, 8, 1), "ROAD", Point(106.93, 16.78), 30, 15, 0.5, None, None, ["K1"]),
    "a4": (D(2026, 8, 15), "WASTE", Point(106.97, 16.76), 10, 5, 2, None, 1_000_000, []),
    "a5": (D(2026, 9, 5), "WASTE", Point(107.05, 16.72), None, 8, 1.5, None, 0, []),
    "a6": (D(2026, 6, 20), "ROAD", Point(107.15, 16.75), 12, 6, 0.3, None, 500_000, []),
    "a7": (D(2022, 5, 7), "WASTE", "O1", 50, 25, 4, None, 3_000_000, []),
    "a8": (D(2026, 7, 18), "ROAD", Point(107.25, 16.75), 99, 99, 9, None, 9_000_000, []),
}  # fmt: skip


def _activities(session, u, k) -> dict[str, int]:
    session.add_all(
        [
            ActivityType(code="ROAD", name_vi="Sửa đường", name_en="Road", unit_of_measure="km"),
            ActivityType(
                code="WASTE", name_vi="Thu gom rác", name_en="Waste", unit_of_measure="tấn"
            ),
        ]
    )
    session.flush()
    ids = {}
    for key, (day, kind, where, people, wd, qty, qunit, funds, crits) in ACTIVITIES.items():
        activity = Activity(
            activity_date=day, type_code=kind, participants=people, workdays=wd, quantity=qty,
            quantity_unit=qunit, funds_vnd=funds, description=key,
            geom=None if isinstance(where, str) else to_db_geometry(where),
            reported_unit_id=u[where] if isinstance(where, str) else None,
            deleted_at=dt.datetime(2026, 7, 20) if key == "a8" else None,
        )  # fmt: skip
        activity.criteria = [session.get(Criterion, k[c]) for c in crits]
        session.add(activity)
        session.flush()
        if not isinstance(where, str):
            for part in communes_for_geometry(session, where, day):
                session.add(
                    ActivityCommune(
                        activity_id=activity.id, unit_id=part.unit_id, length_m=part.length_m
                    )
                )
        ids[key] = activity.id
    return ids


def build(session: Session) -> Scenario:
    """Write the scenario into an empty database (the test's transaction rolls it back)."""
    units = _units(session)
    criteria = _criteria(session)
    departments = _departments(session)
    _facts(session, units, criteria, departments)
    activities = _activities(session, units, criteria)
    plist = PriorityList(name="Danh sách L", period_from=D(2026, 1, 1), period_to=D(2026, 12, 31))
    session.add(plist)
    session.flush()
    for key in ("B", "C", "D"):
        session.add(
            PriorityListItem(priority_list_id=plist.id, unit_id=units[key], added_by="test")
        )
    session.flush()
    return Scenario(units, criteria, departments, activities, plist.id)
