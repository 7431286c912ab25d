"""Exports (issue 6): a province snapshot (PNG at 300 dpi, vector PDF) and a meeting pack of
20 priority communes, through the app's export queue (headless Chromium), against a static
GeoPandas + matplotlib rendering of the same map in the same run (the baseline).

Data: the real 78 communes (reference data) in a fresh SpatiaLite file, a priority list of the
first 20 communes by name, and ``--activities`` random activities inside them in the last 90
days. The exports go through the web layer as a signed-in admin (POST /api/exports, then the
queue's worker renders): the time is the job's (data + page build + Chromium), per page for
the pack. The first export of a run also starts the browser: reported apart ("cold").

    .venv/bin/python bench/bench_exports.py [--repeat 5] [--activities 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import schema  # noqa: E402
from geo.db import make_engine  # noqa: E402
from geo.models import (  # noqa: E402
    Activity,
    ActivityCommune,
    AdminUnit,
    PriorityList,
    PriorityListItem,
    UnitGeometry,
)
from geo.spatial import to_db_geometry  # noqa: E402
from services import reference_data  # noqa: E402
from tests.web.auth_fixtures import app_config, login  # noqa: E402
from webmap.app import create_app  # noqa: E402
from webmap.export_worker import start_inline, wait_for  # noqa: E402

#: the boundary sources: NTM_DATA_DIR, else ../shared/data beside the checkout (as the Makefile)
DATA = Path(
    os.environ.get("NTM_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def seed(path: Path, activities: int) -> tuple[sa.Engine, int]:
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    rng = random.Random(6)
    with Session(engine) as session:
        reference_data.load_all(session, DATA)
        session.flush()
        units = session.scalars(
            sa.select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None)).order_by(AdminUnit.name)
        ).all()  # fmt: skip
        plist = PriorityList(name="20 xã ưu tiên – đo hiệu năng")
        plist.items.extend(PriorityListItem(unit_id=u.id, added_by="bench") for u in units[:20])
        session.add(plist)
        every = current_shapes(session)
        shapes = {u.id: every[u.id] for u in units[:20]}
        today = dt.date.today()
        for i in range(activities):
            unit_id = list(shapes)[i % len(shapes)]
            point = shapely.point_on_surface(shapes[unit_id])
            a = Activity(activity_date=today - dt.timedelta(days=rng.randrange(90)), type_code="ROAD_REPAIR",
                         participants=rng.randrange(5, 60), geom=to_db_geometry(point))  # fmt: skip
            a.communes.append(ActivityCommune(unit_id=unit_id))
            session.add(a)
        session.commit()
        return engine, plist.id


def current_shapes(session: Session) -> dict[int, object]:
    rows = session.execute(
        sa.select(UnitGeometry.unit_id, sa.func.ST_AsBinary(UnitGeometry.geom)).where(
            UnitGeometry.is_current
        )
    ).all()
    return {u: shapely.from_wkb(bytes(g)) for u, g in rows}


def export(client, app, body: dict) -> tuple[float, float, int]:
    """(job seconds, wall seconds, bytes)."""
    start = time.perf_counter()
    with client.post("/api/exports", json=body) as response:
        job_id = response.get_json()["id"]
    job = wait_for(app, job_id, 600)
    wall = time.perf_counter() - start
    assert job is not None and job.status == "done", job and job.error
    return job.seconds, wall, Path(job.file_path).stat().st_size


def baseline(engine: sa.Engine, fmt: str) -> tuple[float, int]:
    """GeoPandas + matplotlib: the same communes, the difficulty colours, title, legend."""
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from services.map_data import MapQuery, commune_rows
    from services.map_themes import classify
    from webmap.maps import DIFFICULTY_COLOURS

    start = time.perf_counter()
    with Session(engine) as session:
        rows = commune_rows(session, MapQuery(day=dt.date.today()))
        shapes = current_shapes(session)
    theme = classify(rows, "difficulty")
    gdf = gpd.GeoDataFrame(
        {"key": [theme["assign"][r["id"]] for r in rows], "name": [r["name"] for r in rows]},
        geometry=[shapes.get(r["id"]) for r in rows], crs=4326,
    ).to_crs(3857)  # fmt: skip
    fig, ax = plt.subplots(figsize=(11.69, 8.27))
    colours = {**DIFFICULTY_COLOURS, "no_data": "#ffffff"}
    gdf.plot(
        ax=ax,
        color=[colours.get(k, "#cccccc") for k in gdf["key"]],
        edgecolor="#4a4a4a",
        linewidth=0.5,
    )
    for _, r in gdf.iterrows():
        p = r.geometry.representative_point()
        ax.annotate(r["name"].removeprefix("Xã "), (p.x, p.y), fontsize=5, ha="center")
    ax.set_title("Bản đồ phong trào Ngày thứ 7 vì nông thôn mới")
    ax.set_axis_off()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=300 if fmt == "png" else 72)
    plt.close(fig)
    return time.perf_counter() - start, len(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--activities", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine, list_id = seed(Path(folder) / "bench.sqlite", args.activities)
        app = create_app(app_config(engine, "required", NTM_EXPORT_USER_LIMIT="100"))
        worker, stop = start_inline(app)  # the `ntm worker` code, in a thread
        client = login(app.test_client(), "admin")
        province = "theme=difficulty&act=1"
        cold = export(client, app, {"kind": "png", "size": "screen", "query": province})
        print(f"cold start (browser launch + first PNG): {cold[1]:.2f} s")
        results: dict[str, list[tuple[float, float, int]]] = {"png300": [], "pdf": [], "pack": []}
        for _ in range(args.repeat):
            results["png300"].append(
                export(client, app, {"kind": "png", "size": "print", "dpi": 300, "query": province})
            )
            results["pdf"].append(
                export(client, app, {"kind": "pdf", "paper": "A4", "query": province})
            )
        for _ in range(max(1, args.repeat // 2)):
            results["pack"].append(
                export(client, app, {"kind": "pack", "query": f"theme=unmet&list={list_id}"})
            )
        base = {fmt: [baseline(engine, fmt) for _ in range(args.repeat)] for fmt in ("png", "pdf")}
        stop.set()
        worker.join(60)
        app.extensions["ntm_engine"].dispose()
        engine.dispose()
    pages = 1 + 20 + 1
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for name, runs in results.items():
        job = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        size = statistics.median(r[2] for r in runs)
        extra = f", {job / pages * 1000:.0f} ms per page ({pages} pages)" if name == "pack" else ""
        print(f"{name:7s} median job {job:.2f} s, wall {wall:.2f} s, {size / 1e6:.2f} MB{extra}")
    for fmt, runs in base.items():
        print(f"baseline {fmt}: median {statistics.median(r[0] for r in runs):.2f} s, "
              f"{statistics.median(r[1] for r in runs) / 1e6:.2f} MB (GeoPandas+matplotlib, static)")  # fmt: skip


if __name__ == "__main__":
    main()
