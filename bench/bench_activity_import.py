"""Excel import of 10,000 activities with the spatial join, against baselines in the same run.

Data (seed 42): 10,000 rows in the import template's layout — a Saturday of 2026, an
activity type, a department valid on that date, a point drawn uniformly inside a random
commune of today's Quảng Trị (as decimal lat/lon), participants, workdays, quantity and
money. Every row is valid. Written to a real .xlsx with openpyxl.

Measured on SpatiaLite (file) and PostGIS, each a fresh database with the reference data:

- ``import``: ``services.activity_import.import_activities`` — read the workbook, check
  every row (type, organiser, date, numbers, province, likely duplicate within 50 m),
  join each point to its commune in SQL with the spatial index, write the activity, its
  commune row and its history event, all in one transaction, then commit;
- baseline ``plain insert``: the same rows read from the same workbook and inserted with
  one bulk INSERT (no checks, no spatial join, no history), then commit;
- baseline ``GeoPandas sjoin``: the point-in-commune join alone, in memory (no database).

    .venv/bin/python bench/bench_activity_import.py [--rows 10000] [--postgis URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import schema  # noqa: E402
from geo.db import make_engine  # noqa: E402
from geo.models import Activity, ActivityType, Organisation  # noqa: E402
from geo.spatial import to_db_geometry  # noqa: E402
from services import reference_data  # noqa: E402
from services.activity_import import HEADERS, import_activities  # noqa: E402
from services.communes import communes_on, valid_on  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "ntm_h5_bench"
TODAY = dt.date(2026, 11, 26)
SATURDAYS = [dt.date(2026, 2, 21) + dt.timedelta(weeks=k) for k in range(40)]


def random_points_in(polygons, n: int, rng) -> list:
    """``n`` points, each uniform inside a polygon picked at random (rejection sampling)."""
    points = []
    picks = rng.integers(0, len(polygons), n)
    for index in picks:
        polygon = polygons[index]
        x0, y0, x1, y1 = polygon.bounds
        while True:
            p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if polygon.contains(p):
                points.append(p)
                break
    return points


def make_rows(session: Session, n: int, seed: int = 42) -> tuple[list[dict], gpd.GeoDataFrame]:
    """The rows to import (template fields) and today's communes."""
    rng = np.random.default_rng(seed)
    communes = communes_on(session, TODAY)
    types = session.scalars(sa.select(ActivityType.code).order_by(ActivityType.code)).all()
    organisers = session.scalars(
        sa.select(Organisation.name)
        .where(Organisation.kind == "department", valid_on(Organisation, TODAY))
        .order_by(Organisation.code)
    ).all()
    points = random_points_in(communes.geometry.values, n, rng)
    rows = []
    for i, point in enumerate(points):
        participants = int(rng.integers(10, 300))
        rows.append(
            {
                "activity_date": dt.datetime.combine(SATURDAYS[i % len(SATURDAYS)], dt.time()),
                "type": types[int(rng.integers(len(types)))],
                "organiser": organisers[int(rng.integers(len(organisers)))],
                "lat": round(point.y, 6),
                "lon": round(point.x, 6),
                "participants": participants,
                "workdays": participants,
                "quantity": round(float(rng.uniform(0.1, 5)), 2),
                "funds_vnd": int(rng.integers(0, 200)) * 100_000,
                "description": f"Hoạt động thử nghiệm số {i + 1}",
            }
        )
    return rows, communes


def workbook(rows: list[dict]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Hoạt động")
    sheet.append(list(HEADERS.values()))
    for row in rows:
        sheet.append([row.get(f) for f in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fresh_engines(postgis_url: str | None, folder: Path, data_dir: Path) -> dict[str, sa.Engine]:
    engines = {"spatialite": make_engine(f"sqlite:///{folder / 'bench.sqlite'}")}
    if postgis_url:
        admin = sa.create_engine(postgis_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
            conn.execute(sa.text(f"CREATE DATABASE {BENCH_DB}"))
        admin.dispose()
        engines["postgis"] = make_engine(postgis_url.rsplit("/", 1)[0] + f"/{BENCH_DB}")
    for engine in engines.values():
        schema.upgrade(engine)
        with Session(engine) as session:
            reference_data.load_all(session, data_dir)
            session.commit()
    return engines


def drop_postgis(postgis_url: str | None) -> None:
    if postgis_url:
        admin = sa.create_engine(postgis_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
        admin.dispose()


def clear_activities(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in ("activity_criterion", "activity_commune", "audit_event", "activity"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.text("DELETE FROM dataset_load WHERE dataset = 'activities_excel'"))


def time_import(engine: sa.Engine, content: bytes) -> tuple[float, dict]:
    with Session(engine) as session:
        start = time.perf_counter()
        report = import_activities(session, content, "bench", mode="valid_only", today=TODAY)
        session.commit()
        seconds = time.perf_counter() - start
    return seconds, {s: report.count(s) for s in ("accepted", "refused", "skipped")}


def time_plain_insert(engine: sa.Engine, content: bytes) -> float:
    """The baseline: read the same workbook, one bulk INSERT, no checks, no join."""
    with Session(engine) as session:
        start = time.perf_counter()
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
        book.close()
        names = {o.name: o.id for o in session.scalars(sa.select(Organisation))}
        fields = list(HEADERS)
        values = []
        for row in rows:
            r = dict(zip(fields, row, strict=False))
            values.append(
                {
                    "activity_date": r["activity_date"].date(), "type_code": r["type"],
                    "organiser_id": names[r["organiser"]], "participants": r["participants"],
                    "workdays": r["workdays"], "quantity": r["quantity"], "funds_vnd": r["funds_vnd"],
                    "description": r["description"],
                    "geom": to_db_geometry(shapely.Point(r["lon"], r["lat"])),
                }
            )  # fmt: skip
        session.execute(sa.insert(Activity), values)
        session.commit()
        return time.perf_counter() - start


def time_sjoin(rows: list[dict], communes: gpd.GeoDataFrame) -> float:
    start = time.perf_counter()
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]), crs=4326
    )
    joined = gpd.sjoin(points, communes[["id", "geometry"]], predicate="within")
    assert len(joined) == len(rows)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgis", default=os.environ.get("NTM_BENCH_POSTGIS_URL", DEFAULT_URL),
                        help="URL of an existing PostGIS database used to create the bench one; '' to skip")  # fmt: skip
    parser.add_argument("--data-dir", default=os.environ.get("NTM_DATA_DIR", "../shared/data"))
    args = parser.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        engines = fresh_engines(args.postgis or None, Path(folder), Path(args.data_dir))
        try:
            with Session(engines["spatialite"]) as session:
                rows, communes = make_rows(session, args.rows)
            content = workbook(rows)
            print(f"{args.rows} rows, workbook {len(content) / 1e6:.2f} MB\n")
            print(f"{'backend':<11} {'method':<18} {'seconds':>8} {'rows/s':>8}  result")
            seconds = time_sjoin(rows, communes)
            print(
                f"{'(memory)':<11} {'GeoPandas sjoin':<18} {seconds:8.2f} {len(rows) / seconds:8.0f}  join only"
            )
            for name, engine in engines.items():
                seconds = time_plain_insert(engine, content)
                print(
                    f"{name:<11} {'plain insert':<18} {seconds:8.2f} {len(rows) / seconds:8.0f}  no checks, no join"
                )
                clear_activities(engine)
                seconds, counts = time_import(engine, content)
                print(
                    f"{name:<11} {'import (checked)':<18} {seconds:8.2f} {len(rows) / seconds:8.0f}  {counts}"
                )
                clear_activities(engine)
        finally:
            for engine in engines.values():
                engine.dispose()
            drop_postgis(args.postgis or None)


if __name__ == "__main__":
    main()
