"""Planner map speed in headless Chromium, against a plain Folium map of the same data.

    .venv/bin/python bench/bench_map.py [--activities 5000] [--runs 5]

Builds a temporary SpatiaLite database with the 78 real communes and N activities
generated inside them (fixed seed, all in the map's default 90-day period), serves
the app from a thread, and measures with Debian's Chromium:

- navigation → interactive: the planner's own signal (``window.ntmReadyAt``, boundaries
  themed and clickable) and when its activity layer is drawn; for the baseline, the
  ``load`` event (Folium's inline script has drawn everything by then);
- bytes transferred: the sum of encoded response bodies and headers, fresh browser context;
- theme, filter and period changes (the baseline can only reload a page for that).

Results go to stdout as a Markdown table (and bench/results/, git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import folium
import shapely
import sqlalchemy as sa
from shapely.prepared import prep
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

from geo import schema  # noqa: E402
from geo.db import make_engine  # noqa: E402
from geo.models import Activity, ActivityCommune, ActivityType  # noqa: E402
from geo.spatial import to_db_geometry  # noqa: E402
from services import reference_data  # noqa: E402
from services.communes import communes_on  # noqa: E402
from webmap.app import create_app  # noqa: E402
from webmap.maps import offline_map  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261126
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
LINE_TYPES = ("ROAD_REPAIR", "ROAD_HARDEN", "CANAL_SOLIDIFY", "CANAL_DREDGE")


def random_point_in(rng: random.Random, shape, prepared) -> shapely.Point:
    x0, y0, x1, y1 = shape.bounds
    while True:
        p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if prepared.contains(p):
            return p


def generate_activities(session: Session, n: int, today: dt.date) -> int:
    """``n`` activities inside today's communes: 70 % points, 30 % short roads and canals."""
    rng = random.Random(SEED)
    communes = communes_on(session, today).sort_values("code")
    shapes = [(int(r.id), r.geometry, prep(r.geometry)) for r in communes.itertuples()]
    types = sorted(session.scalars(sa.select(ActivityType.code)))
    for i in range(n):
        unit_id, shape, prepared = shapes[rng.randrange(len(shapes))]
        start = random_point_in(rng, shape, prepared)
        if rng.random() < 0.3:
            angle, length_deg = rng.uniform(0, 2 * math.pi), rng.uniform(0.003, 0.015)
            end = (start.x + length_deg * math.cos(angle), start.y + length_deg * math.sin(angle))
            geom, kind = (
                shapely.LineString([start, end]).intersection(shape),
                rng.choice(LINE_TYPES),
            )
            if geom.is_empty or geom.geom_type != "LineString":
                geom = start
        else:
            geom, kind = start, rng.choice(types)
        activity = Activity(
            activity_date=today - dt.timedelta(days=rng.randrange(90)),
            type_code=kind,
            geom=to_db_geometry(geom),
            participants=rng.randrange(5, 200),
            description=f"bench activity {i}",
            is_demo=True,
        )
        activity.communes.append(ActivityCommune(unit_id=unit_id))
        session.add(activity)
    session.flush()
    return n


def build_database(path: Path, n_activities: int, today: dt.date) -> sa.Engine:
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    with Session(engine) as session:
        reference_data.load_all(session, data_dir())
        generate_activities(session, n_activities, today)
        session.commit()
    return engine


def data_dir() -> Path | None:
    env = os.environ.get("NTM_DATA_DIR")
    shared = ROOT.parent / "shared" / "data"
    return Path(env) if env else shared if shared.exists() else None


def baseline_html(engine: sa.Engine, today: dt.date) -> str:
    """A plain Folium map: raw boundaries as GeoJson, every activity as a marker or a line."""
    with Session(engine) as session:
        communes = communes_on(session, today)
        rows = session.execute(
            sa.select(Activity.type_code, sa.func.ST_AsBinary(Activity.geom))
        ).all()
        colours = dict(session.execute(sa.select(ActivityType.code, ActivityType.colour)).all())
    west, south, east, north = communes.total_bounds
    m = offline_map("none", location=[(south + north) / 2, (west + east) / 2], zoom_start=9)
    folium.GeoJson(
        communes[["id", "name", "geometry"]].to_json(drop_id=True),
        style_function=lambda f: {"fillColor": "#9ecae1", "color": "#333", "weight": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
    ).add_to(m)
    for code, wkb in rows:
        geom = shapely.from_wkb(bytes(wkb))
        if geom.geom_type == "Point":
            folium.CircleMarker([geom.y, geom.x], radius=5, color=colours[code], fill=True).add_to(
                m
            )
        else:
            folium.GeoJson(
                shapely.geometry.mapping(geom),
                style_function=lambda f, c=colours[code]: {"color": c},
            ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m.get_root().render()


def serve(app):
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return http, f"http://127.0.0.1:{http.server_port}"


PLANNER_READY = "() => window.ntmReady === true && window.ntmActivitiesReady === true"
PLANNER_TIMES = "() => [window.ntmReadyAt, window.ntmActivitiesReadyAt]"
BASELINE_READY = "() => document.readyState === 'complete'"
BASELINE_TIMES = (
    "() => { const t = performance.getEntriesByType('navigation')[0].loadEventEnd; return [t, t]; }"
)


def measure_load(browser, url: str, ready_js: str, times_js: str) -> dict:
    """One fresh context (cold cache): ms to interactive, ms to activities, bytes transferred."""
    context = browser.new_context(viewport={"width": 1400, "height": 880})
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url)
    page.wait_for_function(ready_js, timeout=120_000)
    ready_ms, activities_ms = page.evaluate(times_js)
    page.wait_for_load_state("networkidle")
    total = 0
    for request in finished:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    base = url.split("/", 3)[:3]
    outside = [r.url for r in finished if r.url.split("/", 3)[:3] != base]
    context.close()
    return {
        "ready_ms": ready_ms,
        "activities_ms": activities_ms,
        "bytes": total,
        "outside": outside,
    }


CHANGE_JS = """async ([id, value]) => {
    const el = document.getElementById(id), before = window.ntmRenderCount, t0 = performance.now();
    el.value = value;
    el.dispatchEvent(new Event("change"));
    while (window.ntmRenderCount === before) await new Promise(r => setTimeout(r, 2));
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
}"""


def measure_changes(browser, url: str) -> dict[str, float]:
    """Theme, client-side filter and server-side period changes, each until repainted."""
    context = browser.new_context(viewport={"width": 1400, "height": 880})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(PLANNER_READY, timeout=120_000)
    steps = {
        "theme → unmet criteria": ("theme", "unmet"),
        "theme → sponsor": ("theme", "sponsor"),
        "theme → activity coverage": ("theme", "coverage"),
        "filter difficulty = mountainous": ("f-difficulty", "mountainous"),
        "filter cleared": ("f-difficulty", ""),
        "period → 30 days (new attributes + activities)": ("period-from", "__30d__"),
    }
    result = {}
    for label, (element, value) in steps.items():
        if value == "__30d__":
            value = (dt.date.today() - dt.timedelta(days=30)).strftime("%d/%m/%Y")
        result[label] = page.evaluate(CHANGE_JS, [element, value])
    context.close()
    return result


def level_sizes(base: str) -> list[str]:
    """Vertices and bytes (raw and gzip) of each boundary level, and of the raw source geometry."""
    import gzip
    import json
    import urllib.request

    rows = []
    for level in (0, 1, 2):
        request = urllib.request.Request(
            f"{base}/api/map/boundaries/{level}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request) as response:
            packed = response.read()
        raw = gzip.decompress(packed)
        geoms = [shapely.geometry.shape(f["geometry"]) for f in json.loads(raw)["features"]]
        vertices = int(shapely.get_num_coordinates(geoms).sum())
        rows.append(
            f"| level {level} | {vertices:,} | {len(raw) / 1024:,.0f} | {len(packed) / 1024:,.0f} |"
        )
    return rows


def median(values):
    return statistics.median(values) if values else float("nan")


def run(n_activities: int, runs: int) -> str:
    from playwright.sync_api import sync_playwright

    today = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        engine = build_database(Path(tmp) / "bench.sqlite", n_activities, today)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        baseline = baseline_html(engine, today)
        folium_s = time.perf_counter() - t0
        app = create_app({"DATABASE_URL": engine.url.render_as_string(False), "NTM_AUTH": "off"})
        app.add_url_rule("/bench/baseline", "bench_baseline", lambda: baseline)
        http, base = serve(app)
        sizes = level_sizes(base)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                measure_load(
                    browser, f"{base}/map", PLANNER_READY, PLANNER_TIMES
                )  # warm the server
                planner = [
                    measure_load(browser, f"{base}/map", PLANNER_READY, PLANNER_TIMES)
                    for _ in range(runs)
                ]
                folium_runs = [
                    measure_load(browser, f"{base}/bench/baseline", BASELINE_READY, BASELINE_TIMES)
                    for _ in range(runs)
                ]
                changes = [measure_changes(browser, f"{base}/map") for _ in range(runs)]
                browser.close()
        finally:
            http.shutdown()
            app.extensions["ntm_engine"].dispose()
            engine.dispose()
    text = report(n_activities, runs, build_s, folium_s, planner, folium_runs, changes)
    table = ["", "| boundary layer | vertices | KB | KB gzip |", "|---|--:|--:|--:|", *sizes]
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return text + "\n" + "\n".join(table) + f"\n\nLoad average at the end: {load} (2 cores)."


def report(n, runs, build_s, folium_s, planner, folium_runs, changes) -> str:
    def row(label, key, scale=1.0, fmt="{:,.0f}"):
        a = median([r[key] for r in planner]) * scale
        b = median([r[key] for r in folium_runs]) * scale
        return f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.1f}× |"

    lines = [
        f"78 communes, {n:,} activities; median of {runs} fresh browser contexts each; "
        f"data built in {build_s:.1f} s, Folium baseline rendered in {folium_s:.1f} s.",
        "",
        "| measure | planner map (/map) | plain Folium baseline | baseline ÷ planner |",
        "|---|---|---|---|",
        row("navigation → interactive (ms)", "ready_ms"),
        row("navigation → activities drawn (ms)", "activities_ms"),
        row("bytes transferred (KB)", "bytes", 1 / 1024),
        "",
        "| change on the planner map (until repainted) | median ms | max ms |",
        "|---|---|---|",
    ]
    for label in changes[0]:
        values = [c[label] for c in changes]
        lines.append(f"| {label} | {median(values):,.0f} | {max(values):,.0f} |")
    baseline_reload = median([r["ready_ms"] for r in folium_runs])
    lines.append(f"| baseline: any theme change = a new page | {baseline_reload:,.0f} | – |")
    outside = sorted({u for r in planner + folium_runs for u in r["outside"]})
    lines.append("")
    lines.append(f"Requests outside the app: {outside or 'none'}.")
    return "\n".join(lines)


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    text = run(args.activities, args.runs)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_map.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
