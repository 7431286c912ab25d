"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from geo import schema
from geo.models import Base

#: tables SpatiaLite itself keeps (virtual tables and its metadata), not ours
SPATIALITE_OWN = {
    "SpatialIndex",
    "ElementaryGeometries",
    "KNN",
    "KNN2",
    "data_licenses",
    "sql_statements_log",
}


def _ours(diff) -> bool:
    return not (diff[0] == "remove_table" and diff[1].name in SPATIALITE_OWN)


def test_database_is_at_the_newest_revision(empty_engine):
    assert schema.current_revision(empty_engine) == schema.head_revision()


def test_migrations_match_models(empty_engine):
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": alembic_helpers.include_object}
        )
        assert [d for d in compare_metadata(context, Base.metadata) if _ours(d)] == []
