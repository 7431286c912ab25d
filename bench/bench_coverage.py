"""Coverage of a quarter in the database vs a pure GeoPandas baseline, in the same run.

Synthetic data made with set-based SQL (``generate_series``) in its own schema of
the bench database (dropped at the end unless ``--keep``): a grid of square
communes over 1°×1° near Quảng Trị, old communes linked to them by lineage,
activities over 2025–2026 (95 % points with ``activity_commune`` rows, 5 %
without geometry reported in a unit, old units before 01/07/2025), 30 % with a
criterion. The SQL path is ``services.coverage.commune_coverage`` (the code the
app runs); the baseline loads the same tables into GeoDataFrames and computes the
same figures with ``sjoin`` and ``groupby``. Both results are compared.

    .venv/bin/python bench/bench_coverage.py                 # 10,000 communes, 1,000,000 activities
    .venv/bin/python bench/bench_coverage.py --communes 2500 --activities 100000
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.db import backend_name, make_engine  # noqa: E402
from geo.models import Base  # noqa: E402
from services import coverage, coverage_sql  # noqa: E402
from services.periods import Period  # noqa: E402

SCHEMA = "h7_coverage_bench"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ntm_bench"
QUARTER = Period.quarter(2026, 2)
REORG = "2025-07-01"


class Dialect:
    """The few SQL spellings that differ between PostGIS and SpatiaLite."""

    def __init__(self, backend: str) -> None:
        self.pg = backend == "postgis"

    def series(self, n: str) -> str:
        if self.pg:
            return f"generate_series(1, {n}) g"
        return f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) SELECT g FROM s)"

    def rand(self) -> str:
        return "random()" if self.pg else "(random() / 18446744073709551616.0 + 0.5)"

    def int(self, expr: str) -> str:  # expr is never negative here
        return f"floor({expr})::int" if self.pg else f"CAST({expr} AS INTEGER)"

    def day(self, text: str, plus: str | None = None) -> str:
        if self.pg:
            return f"DATE '{text}'" + (f" + {plus}" if plus else "")
        return f"date('{text}', '+' || ({plus}) || ' days')" if plus else f"'{text}'"

    def box(self, x0, y0, x1, y1) -> str:
        if self.pg:
            return f"ST_Multi(ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326))"
        return f"CastToMultiPolygon(BuildMbr({x0}, {y0}, {x1}, {y1}, 4326))"

    def point(self, x: str, y: str) -> str:
        return (
            f"ST_SetSRID(ST_MakePoint({x}, {y}), 4326)" if self.pg else f"MakePoint({x}, {y}, 4326)"
        )

    def pad(self, expr: str, width: int) -> str:
        return f"lpad({expr}::text, {width}, '0')" if self.pg else f"printf('%0{width}d', {expr})"

    def round2(self, expr: str) -> str:
        return f"round(({expr})::numeric, 2)" if self.pg else f"round({expr}, 2)"


def generate(engine: sa.Engine, backend: str, communes: int, activities: int) -> None:
    """Fill the schema with set-based SQL (``generate_series``; a recursive series on SQLite)."""
    d = Dialect(backend)
    side = int(math.isqrt(communes))
    cell = 1.0 / side
    n = side * side
    n_old = max(n // 10, 1)
    params = {"n": n, "side": side, "cell": cell, "n_old": n_old, "m": activities}
    x0, y0 = "106 + ((g - 1) / :side) * :cell", "16 + ((g - 1) % :side) * :cell"
    x1, y1 = "106 + ((g - 1) / :side + 1) * :cell", "16 + ((g - 1) % :side + 1) * :cell"
    day = d.day("2025-01-01", d.int("t * 730"))
    statements = [
        f"""INSERT INTO admin_unit (id, code, name, level, kind, valid_from, valid_to)
        SELECT g, {d.pad("g", 5)}, 'Xã ' || g, 'commune', 'xa', {d.day(REORG)}, NULL FROM {d.series(":n")}""",
        f"""INSERT INTO admin_unit (id, code, name, level, kind, valid_from, valid_to)
        SELECT :n + g, NULL, 'Xã cũ ' || g, 'commune', 'xa', NULL, {d.day(REORG)} FROM {d.series(":n_old")}""",
        f"""INSERT INTO unit_lineage (old_unit_id, new_unit_id, effective_date, change_type)
        SELECT :n + g, ((g - 1) * 10) % :n + 1, {d.day(REORG)}, 'merge_new' FROM {d.series(":n_old")}""",
        f"""INSERT INTO unit_geometry (unit_id, geom, area_km2, source, status, is_current, loaded_at)
        SELECT g, {d.box(x0, y0, x1, y1)}, 1.0, 'bench', 'derived', TRUE, CURRENT_TIMESTAMP
        FROM {d.series(":n")}""",
        f"""INSERT INTO activity_type (code, name_vi, name_en, unit_of_measure, colour)
        SELECT 'T' || g, 'Loại ' || g, 'Type ' || g, CASE WHEN g % 2 = 0 THEN 'km' ELSE 'tấn' END,
               '#555555' FROM {d.series("5")}""",
        f"""INSERT INTO criteria_set (id, code, name, legal_basis, valid_from)
        VALUES (1, 'B', 'Bộ', 'bench', {d.day("2022-01-01")})""",
        f"""INSERT INTO criterion (id, criteria_set_id, number, code, name_vi)
        SELECT g, 1, g, 'TC' || {d.pad("g", 2)}, 'Tiêu chí ' || g FROM {d.series("10")}""",
        # ids and rows in date order, as activities are recorded; in 2026 nothing reaches the
        # eastern tenth of the grid, so those communes need the history for "days since last"
        f"""CREATE TEMP TABLE r AS SELECT row_number() OVER (ORDER BY t) AS id,
               CASE WHEN t >= 0.5 THEN x * 0.9 ELSE x END AS x, y, t, k, p
        FROM (SELECT {d.rand()} AS x, {d.rand()} AS y, {d.rand()} AS t, {d.rand()} AS k,
                     {d.rand()} AS p FROM {d.series(":m")}) s""",
        f"""INSERT INTO activity (id, activity_date, type_code, geom, reported_unit_id, participants,
               workdays, quantity, funds_vnd, is_demo, created_by, created_at, version)
        SELECT id, {day}, 'T' || (1 + {d.int("k * 5")}),
               CASE WHEN p < 0.95 THEN {d.point("106 + x", "16 + y")} END,
               CASE WHEN p < 0.95 THEN NULL
                    WHEN {d.int("t * 730")} < 181 THEN :n + 1 + {d.int("x * :n_old")}
                    ELSE 1 + {d.int("x * :n")} END,
               CASE WHEN p BETWEEN 0.90 AND 0.92 THEN NULL ELSE 5 + {d.int("k * 997")} % 60 END,
               (5 + {d.int("k * 997")} % 60) / 2.0, {d.round2("y * 10")},
               CASE WHEN p < 0.5 THEN {d.int("y * 5000000")} END, FALSE, 'bench', CURRENT_TIMESTAMP, 1
        FROM r ORDER BY id""",
        f"""INSERT INTO activity_commune (activity_id, unit_id, activity_date)
        SELECT id, {d.int("x / :cell")} * :side + {d.int("y / :cell")} + 1, {day} FROM r
        WHERE p < 0.95 ORDER BY id""",
        f"""INSERT INTO activity_criterion (activity_id, criterion_id)
        SELECT id, 1 + {d.int("k * 7919")} % 10 FROM r WHERE t * 1000 - {d.int("t * 1000")} < 0.3""",
        "DROP TABLE r",
    ]
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(sa.text(sql), params)
    if d.pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def check_join(engine: sa.Engine) -> int:
    """Rows of a 2,000-activity sample whose stored commune differs from ST_Intersects (must be 0)."""
    sql = """SELECT count(*) FROM (SELECT ac.activity_id, ac.unit_id FROM activity_commune ac
             ORDER BY ac.activity_id LIMIT 2000) s JOIN activity a ON a.id = s.activity_id
             JOIN unit_geometry g ON g.unit_id = s.unit_id WHERE NOT ST_Intersects(g.geom, a.geom)"""
    with engine.connect() as conn:
        return conn.scalar(sa.text(sql))


def explain(engine: sa.Engine, backend: str) -> str:
    """The plan of the one-pass summary statement of the quarter (EXPLAIN ANALYZE on PostGIS)."""
    attr = coverage_sql.attribution(QUARTER.start, QUARTER.end)
    rows = coverage_sql.counted(attr)
    query = coverage_sql.summary(rows, rows.c.unit_id, attr)
    dialect = postgresql.dialect() if backend == "postgis" else sqlite.dialect()
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if backend == "postgis" else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        result = conn.execute(sa.text(prefix + sql)).all()
    return "\n".join(str(r[0]) if len(r) == 1 else str(r[-1]) for r in result)


def sql_path(engine: sa.Engine, runs: int) -> tuple[list[float], list[float], list]:
    """Run ``commune_coverage`` ``runs`` times (after one warm-up); total and in-database times."""
    in_db = [0.0]
    started_at: list[float] = []

    def before(*_args) -> None:
        started_at.append(time.perf_counter())

    def after(*_args) -> None:
        in_db[0] += time.perf_counter() - started_at.pop()

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    times, db_times, rows = [], [], []
    try:
        for _ in range(runs + 1):  # the first run warms the cache and is not counted
            in_db[0] = 0.0
            with Session(engine) as session:
                started = time.perf_counter()
                rows = coverage.commune_coverage(session, QUARTER)
                times.append(time.perf_counter() - started)
                db_times.append(in_db[0])
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    return times[1:], db_times[1:], rows


def _frame(engine: sa.Engine, sql: str) -> gpd.GeoDataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(sa.text(sql), conn)
    wkb = frame.pop("wkb")
    geoms = shapely.from_wkb([None if w is None else bytes(w) for w in wkb])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326).rename_geometry("geom")


def load_frames(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    """What a GeoPandas-only app would read: communes, activities, lineage, criteria links."""
    end = QUARTER.end.isoformat()
    frames = {
        "communes": _frame(
            engine,
            f"""SELECT u.id AS unit_id, u.name, ST_AsBinary(g.geom) AS wkb FROM admin_unit u
            JOIN unit_geometry g ON g.unit_id = u.id
            WHERE u.valid_from <= '{end}' AND (u.valid_to IS NULL OR u.valid_to > '{end}')""",
        ),
        "activities": _frame(
            engine,
            """SELECT id, activity_date, type_code, ST_AsBinary(geom) AS wkb, reported_unit_id,
            participants, workdays, quantity, funds_vnd FROM activity WHERE deleted_at IS NULL""",
        ),
    }
    with engine.connect() as conn:
        frames["lineage"] = pd.read_sql(
            sa.text("SELECT old_unit_id, new_unit_id FROM unit_lineage"), conn
        )
        frames["criteria"] = pd.read_sql(
            sa.text("SELECT activity_id, criterion_id FROM activity_criterion"), conn
        )
        frames["types"] = pd.read_sql(
            sa.text("SELECT code AS type_code, unit_of_measure FROM activity_type"), conn
        )
    return frames


def geopandas_path(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same figures with sjoin/groupby: per commune, per commune and type, criteria, last date."""
    acts = frames["activities"]
    acts = acts[pd.to_datetime(acts["activity_date"]) <= pd.Timestamp(QUARTER.end)]
    located = acts[acts.geometry.notna()]
    joined = gpd.sjoin(located, frames["communes"][["unit_id", "geom"]], predicate="intersects")
    pairs = [joined[["id", "unit_id"]]]
    reported = acts[acts.geometry.isna()][["id", "reported_unit_id"]]
    mapped = reported.merge(
        frames["lineage"], left_on="reported_unit_id", right_on="old_unit_id", how="left"
    )
    mapped["unit_id"] = mapped["new_unit_id"].fillna(mapped["reported_unit_id"]).astype("int64")
    pairs.append(mapped[["id", "unit_id"]])
    pairs = pd.concat(pairs).drop_duplicates()
    facts = pd.DataFrame(acts.drop(columns="geom"))
    full = pairs.merge(facts, on="id")
    full["activity_date"] = pd.to_datetime(full["activity_date"])
    last = full.groupby("unit_id")["activity_date"].max()
    quarter = full[full["activity_date"] >= pd.Timestamp(QUARTER.start)]
    figures = quarter.groupby("unit_id").agg(
        activities=("id", "size"),
        participants=("participants", "sum"),
        workdays=("workdays", "sum"),
        funds_vnd=("funds_vnd", "sum"),
    )
    with_unit = quarter.merge(frames["types"], on="type_code")
    quantities = with_unit.groupby(["unit_id", "type_code", "unit_of_measure"])["quantity"].sum()
    criteria = quarter.merge(frames["criteria"], left_on="id", right_on="activity_id")
    addressed = criteria.groupby("unit_id")["criterion_id"].nunique()
    return {"figures": figures, "last": last, "quantities": quantities, "criteria": addressed}


def compare(rows: list[coverage.CommuneCoverage], base: dict[str, pd.DataFrame]) -> list[str]:
    """Differences between the SQL and GeoPandas results (empty when they agree)."""
    problems = []
    figures = base["figures"]
    for row in rows:
        got = (
            row.activities,
            row.participants or 0,
            round(row.workdays or 0, 2),
            row.funds_vnd or 0,
        )
        if row.unit_id in figures.index:
            f = figures.loc[row.unit_id]
            want = (
                int(f.activities),
                int(f.participants),
                round(float(f.workdays), 2),
                int(f.funds_vnd),
            )
        else:
            want = (0, 0, 0, 0)
        last = base["last"].get(row.unit_id)
        if got != want or (last is not None and last.date() != row.last_activity_date):
            problems.append(
                f"unit {row.unit_id}: sql {got} {row.last_activity_date} vs geopandas {want} {last}"
            )
        n_criteria = int(base["criteria"].get(row.unit_id, 0))
        if n_criteria != len(row.criteria):
            problems.append(f"unit {row.unit_id}: criteria {len(row.criteria)} vs {n_criteria}")
    quantity_sql = sum(q.quantity or 0 for r in rows for q in r.quantities)
    if not math.isclose(quantity_sql, float(base["quantities"].sum()), rel_tol=1e-9):
        problems.append(f"total quantity {quantity_sql} vs {float(base['quantities'].sum())}")
    return problems


def versions(engine: sa.Engine, backend: str) -> str:
    with engine.connect() as conn:
        if backend == "postgis":
            pg = conn.scalar(sa.text("SHOW server_version"))
            db = f"PostgreSQL {pg}, PostGIS {conn.scalar(sa.text('SELECT postgis_lib_version()'))}"
        else:
            db = (
                f"SQLite {conn.scalar(sa.text('SELECT sqlite_version()'))}, "
                f"SpatiaLite {conn.scalar(sa.text('SELECT spatialite_version()'))}"
            )
    return (
        f"Python {platform.python_version()}, {db}, SQLAlchemy {sa.__version__}, "
        f"GeoPandas {gpd.__version__}, pandas {pd.__version__}, "
        f"Shapely {shapely.__version__} (GEOS {shapely.geos_version_string})"
    )


def _engines(url: str, backend: str, reuse: bool) -> tuple[sa.Engine, Callable[[], None]]:
    """An engine on a fresh bench schema (PostGIS) or file (SpatiaLite), and its clean-up."""
    if backend == "spatialite":
        path = Path(url.removeprefix("sqlite:///"))
        if not reuse:
            path.unlink(missing_ok=True)
        return make_engine(url), lambda: path.unlink(missing_ok=True)
    admin = make_engine(url)

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()

    if not reuse:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    return make_engine(url, connect_args={"options": f"-c search_path={SCHEMA},public"}), drop


def all_last_dates(engine: sa.Engine, runs: int, rows) -> tuple[list[float], int]:
    """Time ``last_activity_dates`` for every commune (what the ranking reads), after a warm-up;
    and count the communes where it differs from the coverage's last date (must be 0)."""
    times = []
    with Session(engine) as session:
        for _ in range(runs + 1):
            started = time.perf_counter()
            lasts = coverage.last_activity_dates(session, QUARTER.end)
            times.append(time.perf_counter() - started)
    differ = sum(1 for r in rows if lasts.get(r.unit_id) != r.last_activity_date)
    return times[1:], differ


def report(args, rows, times, db_times, t_load: float, t_compute: float, problems) -> None:
    attributions = sum(r.activities for r in rows)
    print(f"\n{QUARTER.label}, {len(rows):,} communes, {attributions:,} attributions")
    print("| path | time |\n|---|---|")
    print(
        f"| SQL (services.coverage), median of {args.runs} | {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}) |"
    )
    print(
        f"| … of which executing statements (to the cursor) | {statistics.median(db_times):.3f} s |"
    )
    print(f"| GeoPandas: load tables | {t_load:.3f} s |")
    print(f"| GeoPandas: sjoin + groupby | {t_compute:.3f} s |")
    print(f"| GeoPandas: total | {t_load + t_compute:.3f} s |")
    print("results agree:", "yes" if not problems else f"NO ({len(problems)}): {problems[:5]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=DEFAULT_URL, help="postgresql+psycopg://… or sqlite:///file"
    )
    parser.add_argument("--communes", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the data a --keep run left")
    args = parser.parse_args(argv)
    backend = backend_name(args.url)
    engine, clean_up = _engines(args.url, backend, args.reuse)
    try:
        started = time.perf_counter()
        if not args.reuse:
            Base.metadata.create_all(engine)
            generate(engine, backend, args.communes, args.activities)
        took = time.perf_counter() - started
        print(
            f"{backend}: {args.communes:,} communes, {args.activities:,} activities, made in {took:.1f} s"
        )
        print(
            f"stored joins disagreeing with ST_Intersects in a 2,000-row sample: {check_join(engine)}"
        )
        plan = explain(engine, backend)
        print(plan)
        for index in ("ix_activity_date", "ix_activity_commune_date"):
            print(f"uses {index}:", index in plan)
        times, db_times, rows = sql_path(engine, args.runs)
        last_times, differ = all_last_dates(engine, args.runs, rows)
        t0 = time.perf_counter()
        frames = load_frames(engine)
        t1 = time.perf_counter()
        base = geopandas_path(frames)
        t2 = time.perf_counter()
        problems = compare(rows, base)
        report(args, rows, times, db_times, t1 - t0, t2 - t1, problems)
        print(
            f"last activity date of every commune (the ranking's input), median of {args.runs}: "
            f"{statistics.median(last_times):.3f} s (min {min(last_times):.3f}, "
            f"max {max(last_times):.3f}); differs from the coverage for {differ} communes"
        )
        print(versions(engine, backend))
        return 0 if not problems and not differ else 1
    finally:
        engine.dispose()
        if not args.keep:
            clean_up()


if __name__ == "__main__":
    raise SystemExit(main())
