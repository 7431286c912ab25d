"""The real reference data, loaded on both databases."""

from __future__ import annotations

import datetime as dt
import statistics

import sqlalchemy as sa

from geo.models import AdminUnit, Classification, UnitGeometry, UnitLineage
from services import reference_data
from services.communes import classifications_on, communes_on, difficulty
from tests.conftest import data_dir

TODAY = dt.date(2026, 11, 26)


def _count(session, *where):
    return session.scalar(sa.select(sa.func.count()).select_from(AdminUnit).where(*where))


def test_units_of_each_era(seeded):
    commune = AdminUnit.level == "commune"
    assert len(communes_on(seeded, TODAY)) == 78
    on_2020 = dt.date(2020, 6, 15)
    assert (
        _count(
            seeded,
            commune,
            sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= on_2020),
            AdminUnit.valid_to > on_2020,
        )
        == 125
    )
    on_2025 = dt.date(2025, 3, 1)
    assert (
        _count(
            seeded,
            commune,
            sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= on_2025),
            AdminUnit.valid_to > on_2025,
        )
        == 119
    )
    assert _count(seeded, AdminUnit.level == "district") == 10


def test_kinds_of_today(seeded):
    kinds = communes_on(seeded, TODAY)["kind"].value_counts().to_dict()
    assert kinds == {"xa": 69, "phuong": 8, "dac_khu": 1}


def test_areas_measured_in_metres_match_official(seeded):
    frame = communes_on(seeded, TODAY)
    total, official = frame["area_km2"].sum(), frame["official_area_km2"].sum()
    assert abs(total - official) / official < 0.01
    ratios = frame["area_km2"] / frame["official_area_km2"]
    assert abs(statistics.median(ratios) - 1) < 0.01


def test_old_communes_have_no_polygon_but_lineage(seeded):
    old = seeded.scalars(
        sa.select(AdminUnit).where(
            AdminUnit.code == "19336", AdminUnit.valid_to == dt.date(2025, 7, 1)
        )
    ).one()
    assert old.name == "Phường Đông Lễ"
    assert not seeded.scalar(
        sa.select(sa.func.count()).select_from(UnitGeometry).where(UnitGeometry.unit_id == old.id)
    )
    link = seeded.scalars(sa.select(UnitLineage).where(UnitLineage.old_unit_id == old.id)).one()
    assert link.new_unit.name == "Phường Nam Đông Hà"
    assert link.change_type == "merge_new"


def test_unknown_stays_unknown(seeded):
    flags = classifications_on(seeded, TODAY)
    frame = communes_on(seeded, TODAY)
    by_code = dict(zip(frame["code"], frame["id"], strict=True))
    assert difficulty(flags[by_code["19742"]]) == "several"  # Cồn Cỏ: island + coastal sandy
    assert flags[by_code["18880"]]["mountainous"].value is None  # Đồng Hới: not known
    assert difficulty(flags[by_code["18880"]]) == "no_data"
    unknown = seeded.scalar(
        sa.select(sa.func.count())
        .select_from(Classification)
        .where(Classification.value.is_(None), Classification.period_from == dt.date(2025, 7, 1))
    )
    assert unknown == 29 + 33 + 0 + 35  # DESIGN's counts of empty flags for the 78 units


def test_loading_twice_changes_nothing(seeded):
    counts = reference_data.load_all(seeded, data_dir())
    assert counts["lineage"] == counts["classifications"] == counts["boundaries"] == 0
