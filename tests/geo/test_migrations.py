"""Upgrading a database that already holds activities keeps them whole, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from geo import schema
from tests.conftest import _fresh_engine


@pytest.fixture
def scratch_engine(backend, tmp_path_factory):
    """An empty database that has never been migrated (PostGIS: ``…_migrate``)."""
    engine = _fresh_engine(backend, "migrate", tmp_path_factory)
    yield engine
    engine.dispose()


OLD_ROWS = [
    "INSERT INTO admin_unit (id, name, level, kind) VALUES (1, 'Xã A', 'commune', 'xa')",
    "INSERT INTO admin_unit (id, name, level, kind) VALUES (2, 'Xã B', 'commune', 'xa')",
    """INSERT INTO activity_type (code, name_vi, name_en, unit_of_measure, colour)
       VALUES ('ROAD', 'Sửa đường', 'Road', 'km', '#555555')""",
    """INSERT INTO activity (id, activity_date, type_code, is_demo, created_by, created_at,
       version) VALUES (10, '2024-06-01', 'ROAD', FALSE, 't', CURRENT_TIMESTAMP, 1),
                       (11, '2026-03-07', 'ROAD', FALSE, 't', CURRENT_TIMESTAMP, 1)""",
    """INSERT INTO activity_commune (activity_id, unit_id, length_m)
       VALUES (10, 1, 120.5), (10, 2, 30.0), (11, 2, NULL)""",
]


def test_0005_copies_each_activity_date_into_its_communes(scratch_engine):
    schema.upgrade(scratch_engine, "0004")
    with scratch_engine.begin() as conn:
        for sql in OLD_ROWS:
            conn.execute(sa.text(sql))
    schema.upgrade(scratch_engine)
    rows = (
        "SELECT activity_id, unit_id, activity_date, length_m FROM activity_commune ORDER BY 1, 2"
    )
    with scratch_engine.connect() as conn:
        got = [(a, u, str(d), m) for a, u, d, m in conn.execute(sa.text(rows))]
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("activity_commune")}
    assert got == [
        (10, 1, str(dt.date(2024, 6, 1)), 120.5),
        (10, 2, str(dt.date(2024, 6, 1)), 30.0),
        (11, 2, str(dt.date(2026, 3, 7)), None),
    ]
    assert {"ix_activity_commune_date", "ix_activity_commune_unit_date"} <= indexes
    schema.downgrade(scratch_engine, "0004")
    with scratch_engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("activity_commune")}
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("activity_commune")}
        count = conn.scalar(sa.text("SELECT count(*) FROM activity_commune"))
    assert "activity_date" not in columns and count == 3
    assert indexes == {"ix_activity_commune_unit"}
