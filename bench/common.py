"""What the benches share: fresh databases with the reference data, and the software versions.

Each bench makes its own databases and drops them: a SpatiaLite file in a temporary
directory, and (given the URL of an existing PostGIS database) a database of its own
created next to it.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import schema  # noqa: E402
from geo.db import make_engine  # noqa: E402
from services import reference_data  # noqa: E402


def _recreate(postgis_url: str, bench_db: str, create: bool) -> None:
    admin = sa.create_engine(postgis_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {bench_db}"))
            if create:
                conn.execute(sa.text(f"CREATE DATABASE {bench_db}"))
    finally:
        admin.dispose()


def seeded_engines(
    data_dir: Path, postgis_url: str | None, bench_db: str, folder: Path
) -> dict[str, sa.Engine]:
    """``{backend: engine}`` of fresh migrated databases loaded with the reference data."""
    engines = {"spatialite": make_engine(f"sqlite:///{folder / 'bench.sqlite'}")}
    if postgis_url:
        _recreate(postgis_url, bench_db, create=True)
        engines["postgis"] = make_engine(postgis_url.rsplit("/", 1)[0] + f"/{bench_db}")
    for engine in engines.values():
        schema.upgrade(engine)
        with Session(engine) as session:
            reference_data.load_all(session, data_dir)
            session.commit()
    return engines


def drop_databases(engines: dict[str, sa.Engine], postgis_url: str | None, bench_db: str) -> None:
    """Dispose the engines and drop the PostGIS bench database."""
    for engine in engines.values():
        engine.dispose()
    if postgis_url:
        _recreate(postgis_url, bench_db, create=False)


def versions(engines: dict[str, sa.Engine]) -> list[str]:
    """The machine and the versions of what is measured, one line each."""
    lines = [
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"GEOS {shapely.geos_version_string}, GDAL {pyogrio.__gdal_version_string__}, "
        f"geopandas {gpd.__version__}, SQLAlchemy {sa.__version__}",
    ]
    with engines["spatialite"].connect() as conn:
        sqlite, spatialite = conn.execute(
            sa.text("SELECT sqlite_version(), spatialite_version()")
        ).one()
        lines.append(f"SQLite {sqlite}, SpatiaLite {spatialite}")
    if "postgis" in engines:
        with engines["postgis"].connect() as conn:
            pg = conn.scalar(sa.text("SHOW server_version"))
            postgis = conn.scalar(sa.text("SELECT postgis_lib_version()"))
            lines.append(f"PostgreSQL {pg}, PostGIS {postgis}")
    return lines
