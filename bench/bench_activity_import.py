"""Excel import of 10,000 activities with the spatial join, against baselines in the same run.

Data (seed 42): 10,000 rows in the import template's layout — a Saturday of 2026, an
activity type, a department valid on that date, a point drawn uniformly inside a random
commune of today's Quảng Trị (as decimal lat/lon), participants, workdays, quantity and
money. Every row is valid. Written to a real .xlsx with openpyxl.

Measured on SpatiaLite (file) and PostGIS, each a fresh database with the reference data:

- ``import (bulk)``: ``services.activity_import.import_activities`` — read the workbook,
  check every row (type, organiser, date, numbers, province, likely duplicate within 50 m),
  with the place checks as a few SQL statements over all rows, insert the activities in
  one flush, fill their communes with one spatial ``INSERT … SELECT`` per 1,000 and write
  one history event each, all in one transaction, then commit;
- ``import (per row)``: the same call with ``method="per_row"`` — each row through
  ``create_activity`` in its own savepoint (the path the bulk one replaced; its baseline);
- baseline ``plain insert``: the same rows read from the same workbook and inserted with
  one bulk INSERT (no checks, no spatial join, no history), then commit;
- baseline ``GeoPandas sjoin``: the point-in-commune join alone, in memory (no database).

Both imports must give the same result: the table shows the accepted rows, the commune
rows and the history events each wrote.

    .venv/bin/python bench/bench_activity_import.py [--rows 10000] [--postgis URL] [--no-per-row]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
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

from bench.common import drop_databases, seeded_engines, versions  # noqa: E402
from geo.models import Activity, ActivityCommune, ActivityType, AuditEvent, Organisation  # noqa: E402
from geo.spatial import to_db_geometry  # noqa: E402
from services.activity_import import HEADERS, import_activities  # noqa: E402
from services.communes import communes_on, valid_on  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "ntm_bench_activity_import"
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


def clear_activities(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in ("activity_criterion", "activity_commune", "audit_event", "activity"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.text("DELETE FROM dataset_load WHERE dataset = 'activities_excel'"))


def time_import(engine: sa.Engine, content: bytes, method: str) -> tuple[float, str]:
    """Seconds of one committed import, and what it wrote."""
    with Session(engine) as session:
        start = time.perf_counter()
        report = import_activities(
            session, content, "bench", mode="valid_only", today=TODAY, method=method
        )
        session.commit()
        seconds = time.perf_counter() - start
        links = session.scalar(sa.select(sa.func.count()).select_from(ActivityCommune))
        events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("accepted", "refused", "skipped"))
    return seconds, f"{counts}; {links} commune rows, {events} history events"


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


def line(backend: str, method: str, seconds: float, rows: int, result: str) -> None:
    print(f"| {backend} | {method} | {seconds:.2f} | {rows / seconds:,.0f} | {result} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgis", default=os.environ.get("NTM_BENCH_POSTGIS_URL", DEFAULT_URL),
                        help="URL of an existing PostGIS database used to create the bench one; '' to skip")  # fmt: skip
    parser.add_argument("--no-per-row", action="store_true", help="skip the per-row import")
    parser.add_argument("--data-dir", default=os.environ.get("NTM_DATA_DIR", "../shared/data"))
    args = parser.parse_args()
    postgis = args.postgis or None
    load_before = os.getloadavg()
    methods = ["bulk"] + ([] if args.no_per_row else ["per_row"])
    with tempfile.TemporaryDirectory() as folder:
        engines = seeded_engines(Path(args.data_dir), postgis, BENCH_DB, Path(folder))
        try:
            print("\n".join(versions(engines)))
            with Session(engines["spatialite"]) as session:
                rows, communes = make_rows(session, args.rows)
            content = workbook(rows)
            print(f"{args.rows} rows, workbook {len(content) / 1e6:.2f} MB\n")
            print("| backend | method | seconds | rows/s | result |\n|---|---|--:|--:|---|")
            line("(memory)", "GeoPandas sjoin", time_sjoin(rows, communes), len(rows), "join only")
            for name, engine in engines.items():
                seconds = time_plain_insert(engine, content)
                line(name, "plain insert", seconds, len(rows), "no checks, no join")
                clear_activities(engine)
                for method in methods:
                    seconds, result = time_import(engine, content, method)
                    line(name, f"import ({method.replace('_', ' ')})", seconds, len(rows), result)
                    clear_activities(engine)
        finally:
            drop_databases(engines, postgis, BENCH_DB)
    load_after = os.getloadavg()
    print(f"\nload average (1 min) before/after: {load_before[0]:.1f} / {load_after[0]:.1f}")


if __name__ == "__main__":
    main()
