"""Vector tiles of the whole country: build once, then serve a z5–z14 mix to 16 clients.

    .venv/bin/python bench/bench_tiles.py --postgis postgresql+psycopg://postgres@127.0.0.1:5432/ntm_bench \
        [--requests 800] [--clients 16]

Makes its own PostGIS database with the reference data and the 3,321 real communes of
``boundaries-raw/vnprovdb-2025-national`` (the 3,243 outside Quảng Trị inserted straight into
``admin_unit``/``unit_geometry`` as bench rows: the product's boundary import does not take other
provinces yet, issue 17), then measures, in the same run:

- the build of the generalised levels (``services.vector_tiles.ensure_build``): time and peak
  memory of the process;
- ``/tiles/communes/{z}/{x}/{y}.mvt`` served over loopback by the app in its own process
  (gunicorn with 4 workers when installed, else Werkzeug threaded), 16 concurrent clients, the
  same list of tiles twice: cold (first request of each tile since the build) and warm;
- the baseline: ``ST_AsMVT`` called directly on the full-resolution ``unit_geometry`` (reprojected
  and clipped per request, as a plain tile server would), by 16 threads with their own
  connections, same tiles. (Martin and pg_tileserv are not offered by the registries this
  machine reaches.)

Results: a Markdown table on stdout, to paste in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mercantile
import pyogrio
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

from bench.common import drop_databases, seeded_engines, versions  # noqa: E402
from geo.models import AdminUnit, UnitGeometry  # noqa: E402
from geo.spatial import to_db_geometry  # noqa: E402
from services import vector_tiles  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = "boundaries-raw/vnprovdb-2025-national/vn_communes_2025.gpkg.zip"
LAYER_PATH = "vn_communes_2025_full.gpkg"
BENCH_DB = "ntm_bench_tiles"
SEED = 20261205
KINDS = {"Phường": "phuong", "Xã": "xa", "Đặc khu": "dac_khu"}


def data_dir() -> Path:
    env = os.environ.get("NTM_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def load_national(engine: sa.Engine) -> int:
    """Insert the communes of every other province as current bench units; how many."""
    path = f"/vsizip/{data_dir() / NATIONAL}/{LAYER_PATH}"
    frame = pyogrio.read_dataframe(path)
    frame = frame[~frame["province_dir"].str.startswith("44_")]
    valid_from = dt.date(2025, 7, 1)
    with Session(engine) as session:
        for row in frame.itertuples():
            geom = shapely.force_2d(row.geometry)
            if geom.geom_type == "Polygon":
                geom = shapely.MultiPolygon([geom])
            kind = next((k for p, k in KINDS.items() if row.fullName.startswith(p)), "xa")
            unit = AdminUnit(
                code=f"N{row.code}",
                name=row.fullName,
                level="commune",
                kind=kind,
                valid_from=valid_from,
                source="bench: vnprovdb-2025-national",
            )
            unit.geometries.append(
                UnitGeometry(
                    geom=to_db_geometry(geom),
                    area_km2=float(row.areaKm2 or 0),
                    official_area_km2=row.areaKm2,
                    source="bench: vnprovdb-2025-national",
                    status="provisional",
                )
            )
            session.add(unit)
        session.commit()
    return len(frame)


def tile_mix(engine: sa.Engine, n: int) -> list[tuple[int, int, int]]:
    """``n`` tiles at z5–z14 under random communes' interior points (fixed seed)."""
    with engine.connect() as conn:
        points = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p "
                "FROM unit_geometry WHERE is_current) s"
            )
        ).all()
    rng = random.Random(SEED)
    tiles = []
    for _ in range(n):
        lon, lat = rng.choice(points)
        z = rng.randint(5, 14)
        t = mercantile.tile(lon, lat, z)
        tiles.append((t.z, t.x, t.y))
    return tiles


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, folder: Path) -> tuple[subprocess.Popen, int, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "NTM_AUTH": "public-read",
        "NTM_SECRET_KEY": "bench-only-secret-key-0123456789",
        "PYTHONPATH": str(ROOT),
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn:
        cmd = [gunicorn, "-w", "4", "-b", f"127.0.0.1:{port}", "webmap.wsgi:app"]
        kind = "gunicorn, 4 workers"
    else:
        code = (
            "from werkzeug.serving import run_simple; from webmap.app import create_app; "
            f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)"
        )
        cmd = [sys.executable, "-c", code]
        kind = "Werkzeug, threaded"
    log = open(folder / "server.log", "w")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port, kind
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start; see {folder / 'server.log'}")


_local = threading.local()


def fetch(port: int, path: str) -> tuple[float, int, int]:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return time.perf_counter() - started, response.status, len(body)


def run_http(port: int, tiles, version: str, clients: int) -> dict:
    paths = [f"/tiles/communes/{z}/{x}/{y}.mvt?v={version}" for z, x, y in tiles]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda p: fetch(port, p), paths))
    return summary(results, time.perf_counter() - started)


BASELINE_SQL = sa.text(
    """
    WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS m),
    t AS (
      SELECT u.id, u.name, u.kind,
             ST_AsMVTGeom(ST_Transform(g.geom, 3857), env.m, 4096, 64, true) AS geom
      FROM unit_geometry g JOIN admin_unit u ON u.id = g.unit_id, env
      WHERE g.is_current AND u.level = 'commune' AND u.valid_to IS NULL
        AND g.geom && ST_Transform(env.m, 4326)
    )
    SELECT ST_AsMVT(t, 'communes', 4096, 'geom', 'id') FROM t
    """
)


def run_direct(url: str, tiles, clients: int) -> dict:
    engine = sa.create_engine(url, pool_size=clients, max_overflow=0, pool_timeout=600)

    def one(tile):
        z, x, y = tile
        with engine.connect() as conn:
            started = time.perf_counter()
            data = conn.execute(BASELINE_SQL, {"z": z, "x": x, "y": y}).scalar_one()
            return time.perf_counter() - started, 200, len(data or b"")

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(one, tiles))
    finally:
        engine.dispose()
    return summary(results, time.perf_counter() - started)


def summary(results, wall_s: float) -> dict:
    times = sorted(r[0] for r in results)
    q = statistics.quantiles(times, n=100)
    return {
        "n": len(results),
        "errors": sum(1 for r in results if r[1] != 200),
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "rps": len(results) / wall_s,
        "kb_mean": statistics.mean(r[2] for r in results) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgis", required=True, help="URL of an existing PostGIS database")
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engines = seeded_engines(data_dir(), args.postgis, BENCH_DB, folder)
        engines.pop("spatialite").dispose()
        engine = engines["postgis"]
        proc = None
        try:
            started = time.perf_counter()
            added = load_national(engine)
            load_s = time.perf_counter() - started
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            with Session(engine) as session:
                build = vector_tiles.ensure_build(session, dt.date.today())
            build_s = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            tiles = tile_mix(engine, args.requests)
            db_url = engine.url.render_as_string(hide_password=False)
            proc, port, server_kind = start_server(db_url, folder)
            fetch(port, "/tiles/communes/0/0/0.mvt")  # the workers' first connection
            cold = run_http(port, tiles, build.version, args.clients)
            warm = run_http(port, tiles, build.version, args.clients)
            direct = run_direct(db_url, tiles, args.clients)
            print_report(engines, added, build, load_s, build_s, rss_before, rss_after,
                         server_kind, args, cold, warm, direct)  # fmt: skip
        finally:
            if proc:
                proc.terminate()
                proc.wait(10)
            drop_databases(engines, args.postgis, BENCH_DB)


def print_report(engines, added, build, load_s, build_s, rss_before, rss_after, server_kind,
                 args, cold, warm, direct) -> None:  # fmt: skip
    print("\n".join(f"- {line}" for line in versions({"spatialite": _sqlite(), **engines})))
    print(f"- communes: {build.feature_count:,} current ({added:,} added to Quảng Trị's 78)")
    print(f"- bench rows inserted in {load_s:.1f} s")
    print(
        f"- levels built once (3 levels, shared edges kept): {build_s:.1f} s, "
        f"peak RSS {rss_before:,.0f} → {rss_after:,.0f} MB"
    )
    print(f"- {args.requests} tiles z5–z14, {args.clients} concurrent clients, {server_kind}\n")
    print("| | p50 ms | p95 ms | p99 ms | tiles/s | mean kB | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, r in (
        ("ntm-map `/tiles`, cold", cold),
        ("ntm-map `/tiles`, warm", warm),
        ("baseline: `ST_AsMVT` direct on full geometry", direct),
    ):
        print(
            f"| {label} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['rps']:.0f} | {r['kb_mean']:.1f} | {r['errors']} |"
        )


def _sqlite() -> sa.Engine:
    from geo.db import make_engine

    return make_engine("sqlite://")


if __name__ == "__main__":
    main()
