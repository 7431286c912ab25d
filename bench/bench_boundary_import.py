"""Import time of commune boundaries, against plain writes of the same rows, in the same run.

Data: the 78 real communes of Quảng Trị (GeoJSON, 175k vertices) and a synthetic set of
10,000 Voronoi communes (STACK-NOTES §6 recipe, placed over the province in UTM 48N,
written to a GeoPackage in EPSG:4326, unique codes). Each is imported with
``services.boundary_import.import_boundaries`` (read, CRS, checks, write, commit) on
SpatiaLite and PostGIS, phase by phase. Baselines on the same data, same run:

- ``plain insert``: the same UnitGeometry rows (and AdminUnits for the synthetic set)
  inserted with the same bulk statements, no reading, no CRS, no checks;
- ``to_postgis`` (PostGIS) / ``GPKG write`` (no database): what a GIS tool's raw write costs.

The bench makes its own databases and drops them: a SpatiaLite file in a temporary
directory, and a database created next to ``ntm_bench`` on PostGIS.

    .venv/bin/python bench/bench_boundary_import.py [--communes 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_databases, seeded_engines, versions  # noqa: E402
from geo.measure import area_km2, to_multipolygons  # noqa: E402
from geo.models import METRIC_SRID, AdminUnit, UnitGeometry  # noqa: E402
from services.boundary_import import import_boundaries  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ntm_bench"
BENCH_DB = "ntm_bench_h1_boundaries"
DAY = dt.date(2025, 7, 1)
#: the synthetic communes are imported as of a date when no commune polygons are current,
#: so the real 78 (valid from 01/07/2025) do not show up as 10,000 overlaps
SYNTHETIC_DAY = dt.date(2024, 1, 1)
REAL = "boundaries-raw/vnprovdb-2025-wards/quang_tri_communes_2025.geojson"


def synthetic_communes(n: int, seed: int = 42) -> gpd.GeoDataFrame:
    """``n`` Voronoi communes over a 100 × 100 km square of the province (STACK-NOTES §6)."""
    rng = np.random.default_rng(seed)
    x0, y0, side = 640_000.0, 1_820_000.0, 100_000.0  # UTM 48N, lon ~106.3–107.3, lat ~16.5–17.4
    square = shapely.box(x0, y0, x0 + side, y0 + side)
    points = shapely.MultiPoint(rng.uniform((x0, y0), (x0 + side, y0 + side), (n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=square))
    cells = shapely.segmentize(shapely.intersection(cells, square), max_segment_length=100)

    def wiggle(xy: np.ndarray) -> np.ndarray:
        dx = 25 * np.sin(xy[:, 1] / 700.0)
        dy = 25 * np.cos(xy[:, 0] / 900.0)
        return xy + np.column_stack([dx, dy])

    cells = shapely.set_precision(shapely.transform(cells, wiggle), 0.01)
    frame = gpd.GeoDataFrame(
        {
            "ma_xa": [f"B{i:05d}" for i in range(1, len(cells) + 1)],
            "ten_xa": [f"Xã Thử Nghiệm {i:05d}" for i in range(1, len(cells) + 1)],
        },
        geometry=cells,
        crs=METRIC_SRID,
    )
    return frame.to_crs(4326)


def timed_import(engine, path: Path, day: dt.date = DAY, **kwargs) -> dict[str, float]:
    """One committed import; seconds per phase and in total."""
    marks = [("start", time.perf_counter())]

    def progress(label: str, n: int) -> None:
        if label in ("read", "crs", "checks"):
            marks.append((label, time.perf_counter()))

    with Session(engine) as session:
        import_boundaries(
            session, path, day, source="bench", progress=progress, loaded_by="bench", **kwargs
        )
        session.commit()
    marks.append(("write", time.perf_counter()))
    phases = {label: t - marks[i][1] for i, (label, t) in enumerate(marks[1:])}
    phases["total"] = marks[-1][1] - marks[0][1]
    return phases


def remove_units(engine, code_prefix: str) -> None:
    """Delete the units (and their geometries) a synthetic run created; not timed."""
    units = sa.select(AdminUnit.id).where(AdminUnit.code.startswith(code_prefix))
    with Session(engine) as session:
        session.execute(sa.delete(UnitGeometry).where(UnitGeometry.unit_id.in_(units)))
        session.execute(sa.delete(AdminUnit).where(AdminUnit.code.startswith(code_prefix)))
        session.commit()


def plain_insert(engine, frame: gpd.GeoDataFrame, with_units: bool) -> float:
    """The same rows written with the same bulk statements, without reading or checking."""
    start = time.perf_counter()
    geoms = to_multipolygons(frame.geometry)
    areas = area_km2(geoms)
    with Session(engine) as session:
        if with_units:
            rows = [
                dict(
                    code=f"P{c}", name=n, level="commune", kind="xa", valid_from=DAY, source="bench"
                )
                for c, n in zip(frame["code"], frame["name"], strict=True)
            ]
            unit_ids: list[int] = []
            for i in range(0, len(rows), 500):
                result = session.execute(
                    sa.insert(AdminUnit).returning(AdminUnit.id, sort_by_parameter_order=True),
                    rows[i : i + 500],
                )
                unit_ids += list(result.scalars())
        else:
            by_code = dict(
                session.execute(
                    sa.select(AdminUnit.code, AdminUnit.id).where(
                        AdminUnit.level == "commune", AdminUnit.valid_from == DAY
                    )
                ).all()
            )
            unit_ids = [by_code[c] for c in frame["code"]]
        rows = [
            dict(unit_id=u, geom=from_shape(g, srid=4326), area_km2=float(a), source="bench")
            for u, g, a in zip(unit_ids, geoms.values, areas, strict=True)
        ]
        for i in range(0, len(rows), 500):
            session.execute(sa.insert(UnitGeometry), rows[i : i + 500])
        session.commit()
    return time.perf_counter() - start


def to_postgis_time(engine, frame: gpd.GeoDataFrame) -> float:
    start = time.perf_counter()
    frame.to_postgis("bench_plain_boundaries", engine, if_exists="replace", index=False)
    return time.perf_counter() - start


def gpkg_time(frame: gpd.GeoDataFrame, tmp: Path) -> float:
    start = time.perf_counter()
    pyogrio.write_dataframe(frame, tmp / "plain.gpkg", driver="GPKG")
    return time.perf_counter() - start


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}"


def bench_backend(backend: str, engine, real: gpd.GeoDataFrame, real_path: Path, synth: dict, args):
    """Import and baseline rows for one database."""
    label = f"{len(synth['frame'])} synthetic"
    runs = [timed_import(engine, real_path) for _ in range(args.repeat)]
    plain = [plain_insert(engine, real, with_units=False) for _ in range(args.repeat)]
    rows = [(backend, "78 real", "import (all phases)", runs, plain)]
    first = []
    for run, path in enumerate(synth["paths"]):
        if run:  # each first import starts from a database without the previous run's cells
            remove_units(engine, f"R{run - 1}")
        first.append(timed_import(engine, path, SYNTHETIC_DAY, create_missing=True))
    again = [timed_import(engine, synth["paths"][-1], SYNTHETIC_DAY) for _ in synth["paths"]]
    plain = [plain_insert(engine, synth["plain"], with_units=True) for _ in synth["paths"]]
    rows.append((backend, label, "first import (creates units)", first, plain))
    rows.append((backend, label, "re-import (new versions)", again, None))
    if backend == "postgis":
        rows.append((backend, "78 real", "to_postgis", None, [to_postgis_time(engine, real)]))
        to_pg = [to_postgis_time(engine, synth["frame"]) for _ in synth["paths"]]
        rows.append((backend, label, "to_postgis", None, to_pg))
    return rows


def synthetic_files(n: int, runs: int, tmp: Path) -> dict:
    """The synthetic set, and one GeoPackage per run with its own codes (first imports)."""
    start = time.perf_counter()
    frame = synthetic_communes(n)
    made_s = time.perf_counter() - start
    paths = []
    for run in range(runs):
        copy = frame.copy()
        copy["ma_xa"] = [f"R{run}{code}" for code in frame["ma_xa"]]
        paths.append(tmp / f"synthetic_{run}.gpkg")
        pyogrio.write_dataframe(copy, paths[-1], driver="GPKG")
    vertices = int(shapely.get_num_coordinates(frame.geometry.values).sum())
    print(f"synthetic set: {len(frame)} cells, {vertices} vertices, made in {made_s:.2f} s")
    plain = frame.rename(columns={"ma_xa": "code", "ten_xa": "name"})
    return {"frame": frame, "paths": paths, "plain": plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_000, help="size of the synthetic set")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the 78-commune import")
    parser.add_argument("--synthetic-repeat", type=int, default=3, help="runs of the synthetic set")
    parser.add_argument(
        "--postgis-url", default=os.environ.get("NTM_BENCH_POSTGIS_URL", DEFAULT_URL)
    )
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--data-dir", default=os.environ.get("NTM_DATA_DIR", "../shared/data"))
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    postgis = None if args.no_postgis else args.postgis_url
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="ntm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        synth = synthetic_files(args.communes, args.synthetic_repeat, tmp)
        real = gpd.read_file(data_dir / REAL).drop(columns="name")
        real = real.rename(columns={"fullName": "name"})
        engines = seeded_engines(data_dir, postgis, BENCH_DB, tmp)
        rows = []
        try:
            for backend, engine in engines.items():
                rows += bench_backend(backend, engine, real, data_dir / REAL, synth, args)
            rows.append(("(file)", "78 real", "GPKG write", None, [gpkg_time(real, tmp)]))
            gpkg = [gpkg_time(synth["frame"], tmp) for _ in synth["paths"]]
            rows.append(("(file)", f"{len(synth['frame'])} synthetic", "GPKG write", None, gpkg))
            facts = versions(engines)
        finally:
            drop_databases(engines, postgis, BENCH_DB)

    print("\n".join(facts))
    load_after = os.getloadavg()
    print(f"load average (1 min) before/after: {load_before[0]:.1f} / {load_after[0]:.1f}")
    print_table(rows, args.repeat, args.synthetic_repeat)


def print_table(rows: list, repeat: int, synthetic_repeat: int) -> None:
    """Import rows with their phases and the plain insert of the same rows beside them."""
    print()
    print(
        "| backend | data | what | read s | CRS s | checks s | match + write + commit s | total s "
        "| plain insert s | total ÷ plain |"
    )
    print("|---|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for backend, data, what, runs, plain in rows:
        if runs:
            phases = [
                median([r[k] for r in runs]) for k in ("read", "crs", "checks", "write", "total")
            ]
            total = statistics.median(r["total"] for r in runs)
        else:
            phases, total = ["–"] * 4 + [median(plain)], None
            plain = None
        base = median(plain) if plain else "–"
        ratio = f"{total / statistics.median(plain):.1f}×" if plain and total else "–"
        print(f"| {backend} | {data} | {what} | " + " | ".join(phases) + f" | {base} | {ratio} |")
    print(
        f"\nMedians: {repeat} runs for the 78 communes, {synthetic_repeat} for the synthetic set."
    )


if __name__ == "__main__":
    main()
