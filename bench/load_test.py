"""Load test: signed-in planners and unit officers against the production server (gunicorn) and
the development server (Werkzeug, ``ntm serve --dev``), in the same run, on PostGIS.

    .venv/bin/python bench/load_test.py [--levels 50,100,200] [--duration 600]
        [--servers prod,dev] [--workers 4] [--exports 0.02] [--profile]

Loopback only (127.0.0.1), bounded: each level runs ``--duration`` seconds after a ramp of
10 s, then stops. Uses locust (as a library, gevent users) for the clients. The database
(``--database``, default a database ``ntm_load`` beside the test cluster's) is made once with
the real reference data, the demo scenario and one account per simulated user.

Users (think time 0.5–2.5 s between actions, as people reading a map):
- planners (1 in 3): open /map and its data (config, boundaries, attributes, labels, outline,
  activities), open commune panels, ranking and coverage, edit priority lists (add/remove
  communes), page activities;
- unit officers (2 in 3): open /map and its data, commune panels, page activities (list page
  and API), create activities and edit their own;
- both start a map export (PNG) in ``--exports`` of their actions (default 0: exports are
  rendered in Chromium by two ``ntm worker`` processes beside gunicorn, or by the worker thread
  of the development server).

Reports per server and level: throughput, p50/p95/p99 per kind of request, errors; with
``--profile``, py-spy samples the web processes during the last level of the production server
and prints where the time goes. Results on stdout and in bench/results/ (git-ignored).
"""

from __future__ import annotations

import gevent.monkey  # isort: skip

gevent.monkey.patch_all()

import argparse  # noqa: E402
import collections  # noqa: E402
import datetime as dt  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
NTM = [PY, "-c", "from webmap.cli import run; run()"]
PASSWORD = "tai-thu-tai-khoan-1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCOUNTS: dict[str, itertools.cycle] = {}
STATE: dict = {"communes": [], "types": [], "exports": 0.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the database --------------------------------------------------------------------------


def prepare_database(url: str, planners: int, officers: int) -> None:
    """Create the database with reference data, demo scenario and accounts when missing."""
    from geo.db import make_engine

    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}
        ).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        loaded = conn.execute(sa.text("SELECT to_regclass('activity') IS NOT NULL")).scalar()
        if loaded:
            loaded = conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM activity)")).scalar()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    # a database kept from an earlier run is brought to the newest schema first
    subprocess.run([*NTM, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    if not loaded:
        for args in (["load", "reference"], ["load", "demo"]):
            print("ntm", *args, flush=True)
            subprocess.run([*NTM, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    make_accounts(engine, planners, officers)
    engine.dispose()


def make_accounts(engine: sa.Engine, planners: int, officers: int) -> None:
    from sqlalchemy.orm import Session

    from geo.models import ActivityType, Organisation, UserAccount
    from services import accounts
    from services.communes import communes_on

    with Session(engine) as session:
        departments = list(
            session.scalars(
                sa.select(Organisation.id)
                .where(Organisation.kind == "department", Organisation.valid_to.is_(None))
                .order_by(Organisation.id)
            )
        )
        wanted = [(f"load-planner-{i}", "planner", None) for i in range(planners)] + [
            (f"load-officer-{i}", "department_officer", departments[i % len(departments)])
            for i in range(officers)
        ]
        for username, role, org in wanted:
            user = session.scalar(sa.select(UserAccount).where(UserAccount.username == username))
            if user is None:
                accounts.create_user(session, username, PASSWORD, role, organisation_id=org)
        session.commit()
        STATE["communes"] = [int(i) for i in communes_on(session, dt.date.today())["id"]]
        STATE["types"] = list(session.scalars(sa.select(ActivityType.code)))
    ACCOUNTS["planner"] = itertools.cycle([w for w in wanted if w[1] == "planner"])
    ACCOUNTS["officer"] = itertools.cycle([w for w in wanted if w[1] != "planner"])


# --- the simulated users -------------------------------------------------------------------


class Person(FastHttpUser):
    abstract = True
    wait_time = between(0.5, 2.5)
    kind = "planner"

    def on_start(self) -> None:
        self.username, _, self.organisation_id = next(ACCOUNTS[self.kind])
        page = self.client.get("/login", name="sign in (form)").text
        token = TOKEN.search(page).group(1)
        self.client.post(
            "/login",
            data={"username": self.username, "password": PASSWORD, "csrf_token": token},
            name="sign in",
        )
        after = self.client.get("/login", name="sign in (form)").text
        self.csrf = {"X-CSRFToken": TOKEN.search(after).group(1)}
        self.my_activities: list[tuple[int, int]] = []
        self.my_list: tuple[int, int] | None = None
        self.in_list: set[int] = set()

    def commune(self) -> int:
        return random.choice(STATE["communes"])

    def open_map(self) -> None:
        """The page and its data requests, as planner.js asks for them."""
        self.client.get("/map", name="page /map")
        self.client.get("/api/map/config", name="map: config")
        level = 0
        self.client.get(f"/api/map/boundaries/{level}", name="map: boundaries")
        self.client.get("/api/map/attributes", name="map: attributes")
        labels = self.client.get("/api/map/labels", name="map: labels").json()
        STATE["points"] = list(labels.values())
        self.client.get(f"/api/map/outline?level={level}", name="map: outline")
        self.client.get("/api/map/activities", name="map: activities")

    def panel(self) -> None:
        self.client.get(f"/api/map/communes/{self.commune()}", name="map: commune panel")

    def page_activities(self) -> None:
        self.client.get(f"/activities?page={random.randint(1, 5)}", name="page /activities")
        self.client.get("/api/activities?limit=50", name="api: activities list")

    def maybe_export(self) -> None:
        if random.random() < STATE["exports"]:
            body = {"kind": "png", "query": "theme=difficulty", "paper": "A4", "dpi": 96}
            self.client.post("/api/exports", json=body, headers=self.csrf, name="export start")


class Planner(Person):
    weight = 1
    kind = "planner"

    @task(3)
    def map_and_panels(self) -> None:
        self.open_map()
        for _ in range(3):
            self.panel()
        self.maybe_export()

    @task(2)
    def analysis(self) -> None:
        self.client.get("/api/ranking", name="analysis: ranking")
        year, quarter = dt.date.today().year, (dt.date.today().month - 1) // 3 + 1
        self.client.get(
            f"/api/coverage?kind=quarter&year={year}&number={quarter}", name="analysis: coverage"
        )

    @task(2)
    def edit_priority_list(self) -> None:
        if self.my_list is None:
            r = self.client.post(
                "/api/priority-lists",
                json={"name": f"Danh sách của {self.username} {random.randint(0, 10**6)}"},
                headers=self.csrf,
                name="write: create priority list",
            )
            body = r.json()
            self.my_list, self.in_list = (body["id"], body["version"]), set()
        list_id, version = self.my_list
        if self.in_list and random.random() < 0.4:
            units, path = random.sample(sorted(self.in_list), min(2, len(self.in_list))), "remove"
        else:
            units, path = random.sample(STATE["communes"], 3), "add"
        r = self.client.post(
            f"/api/priority-lists/{list_id}/items" + ("/remove" if path == "remove" else ""),
            json={"unit_ids": units, "version": version},
            headers=self.csrf,
            name="write: edit priority list",
        )
        if r.ok:
            self.my_list = (list_id, r.json()["list"]["version"])
            self.in_list = (
                (self.in_list | set(units)) if path == "add" else self.in_list - set(units)
            )
        else:
            self.my_list = None
        self.client.get("/priority-lists", name="page /priority-lists")

    @task(1)
    def activities(self) -> None:
        self.page_activities()


class Officer(Person):
    weight = 2
    kind = "officer"

    @task(2)
    def map_and_panel(self) -> None:
        self.open_map()
        self.panel()
        self.maybe_export()

    @task(3)
    def activities(self) -> None:
        self.page_activities()

    @task(2)
    def record_activity(self) -> None:
        if not STATE.get("points"):
            return
        x, y = random.choice(STATE["points"])  # inside a commune
        point = [x + random.uniform(-5e-4, 5e-4), y + random.uniform(-5e-4, 5e-4)]
        day = dt.date.today() - dt.timedelta(days=random.randint(0, 30))
        body = {
            "activity_date": day.isoformat(),
            "type_code": random.choice(STATE["types"]),
            "organiser_id": self.organisation_id,
            "participants": random.randint(5, 80),
            "description": "hoạt động thử tải",
            "geometry": {"type": "Point", "coordinates": point},
        }
        r = self.client.post(
            "/api/activities", json=body, headers=self.csrf, name="write: create activity"
        )
        if r.status_code == 201:
            self.my_activities.append((r.json()["id"], r.json()["version"]))

    @task(1)
    def edit_activity(self) -> None:
        if not self.my_activities:
            return
        i = random.randrange(len(self.my_activities))
        activity_id, _ = self.my_activities[i]
        current = self.client.get(f"/api/activities/{activity_id}", name="api: activity").json()
        current["participants"] = random.randint(5, 80)
        r = self.client.put(
            f"/api/activities/{activity_id}",
            json=current,
            headers=self.csrf,
            name="write: edit activity",
        )
        if r.ok:
            self.my_activities[i] = (activity_id, r.json()["version"])


# --- servers, runs, report ------------------------------------------------------------------


def start_server(kind: str, url: str, workers: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NTM_")},
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "NTM_SECRET_KEY": "load-test-" + "x" * 40,
    }
    args = ["serve", "--port", str(port)] + (
        ["--dev"] if kind == "dev" else ["--workers", str(workers)]
    )
    log = log_path.open("w")
    process = subprocess.Popen([*NTM, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    # the production path: two `ntm worker` processes beside gunicorn run the exports (the
    # development server runs one worker thread inside itself)
    process.ntm_workers = (  # type: ignore[attr-defined]
        []
        if kind == "dev"
        else [
            subprocess.Popen([*NTM, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
            for _ in range(2)
        ]
    )
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{kind} server did not start, see {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    for worker in getattr(process, "ntm_workers", []):
        worker.send_signal(signal.SIGTERM)
    for worker in getattr(process, "ntm_workers", []):
        try:
            worker.wait(timeout=40)
        except subprocess.TimeoutExpired:
            worker.kill()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def profile(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    """py-spy samples the server and its worker processes (collapsed stacks)."""
    command = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
               "--duration", str(seconds), "--rate", "50", "--nonblocking", "-o", str(out)]  # fmt: skip
    py_spy = Path(PY).parent / "py-spy"
    command[0] = str(py_spy) if py_spy.exists() else "py-spy"
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def where_time_goes(raw: Path, top: int = 15) -> str:
    """Inclusive share of samples per function of ours, and self time per leaf function."""
    inclusive, leaf, total = collections.Counter(), collections.Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n, frames = int(count), stack.split(";")
        total += n
        leaf[re.sub(r" \(.*", "", frames[-1])] += n
        ours = {
            re.sub(r":\d+\)$", ")", f) for f in frames if re.search(r"\((geo|services|webmap)/", f)
        }
        for f in ours:
            inclusive[f] += n
    lines = [
        f"{total} samples",
        "",
        "| % of samples (inclusive) | function of ours |",
        "|---:|---|",
    ]
    lines += [f"| {100 * n / total:.1f} | `{f}` |" for f, n in inclusive.most_common(top)]
    lines += ["", "| % of samples (self) | leaf function |", "|---:|---|"]
    lines += [f"| {100 * n / total:.1f} | `{f}` |" for f, n in leaf.most_common(top)]
    return "\n".join(lines)


def run_level(base: str, users: int, seconds: int) -> dict:
    env = Environment(user_classes=[Planner, Officer], host=base, events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users / 10, 1))
    gevent.sleep(10)  # ramp
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    rows = {}
    for (name, method), entry in sorted(env.stats.entries.items()):
        rows[f"{method} {name}"] = {
            "n": entry.num_requests,
            "fail": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
    total = env.stats.total
    summary = {
        "rps": total.num_requests / elapsed,
        "n": total.num_requests,
        "fail": total.num_failures,
        "p50": total.get_response_time_percentile(0.5),
        "p95": total.get_response_time_percentile(0.95),
        "p99": total.get_response_time_percentile(0.99),
        "errors": {
            f"{e.method} {e.name}: {e.error}"[:160]: e.occurrences
            for e in env.stats.errors.values()
        },
    }
    runner.quit()
    return {"rows": rows, "summary": summary}


def report(results: dict, args) -> str:
    out = [
        f"# Load test {dt.datetime.now():%d/%m/%Y %H:%M}",
        "",
        f"{os.cpu_count()} cores; PostGIS on the same machine; {args.duration} s per level after a "
        f"10 s ramp; production = gunicorn, {args.workers} sync workers; development = "
        f"`ntm serve --dev` (Werkzeug, threaded); exports {args.exports:.0%} of actions.",
        "",
        "| server | users | req/s | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (server, users), r in results.items():
        s = r["summary"]
        out.append(
            f"| {server} | {users} | {s['rps']:.1f} | {s['n']} | {s['fail']} | {s['p50']:.0f} "
            f"| {s['p95']:.0f} | {s['p99']:.0f} |"
        )
    for (server, users), r in results.items():
        out += ["", f"## {server}, {users} users", "",
                "| request | n | errors | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        for name, row in r["rows"].items():
            out.append(
                f"| {name} | {row['n']} | {row['fail']} | {row['p50']:.0f} | {row['p95']:.0f} "
                f"| {row['p99']:.0f} |"
            )
        for error, n in r["summary"]["errors"].items():
            out.append(f"\nerror ×{n}: {error}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/ntm_load"
    )
    parser.add_argument("--levels", default="50,100,200")
    parser.add_argument("--duration", type=int, default=600, help="seconds per level")
    parser.add_argument("--servers", default="prod,dev")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--exports", type=float, default=0.0, help="share of actions")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    STATE["exports"] = args.exports
    prepare_database(args.database, planners=max(levels) // 3 + 1, officers=max(levels))
    folder = Path(tempfile.mkdtemp(prefix="ntm_load_"))
    results, profile_text = {}, ""
    for server in args.servers.split(","):
        process, base = start_server(server, args.database, args.workers, folder / f"{server}.log")
        try:
            for users in levels:
                print(f"{server}: {users} users for {args.duration} s", flush=True)
                spy = None
                if args.profile and server == "prod" and users == levels[-1]:
                    spy = profile(process.pid, min(args.duration, 30), folder / "profile.txt")
                results[(server, users)] = run_level(base, users, args.duration)
                print(results[(server, users)]["summary"], flush=True)
                if spy is not None:
                    spy.wait(timeout=120)
                    if (folder / "profile.txt").exists():
                        profile_text = where_time_goes(folder / "profile.txt")
        finally:
            stop_server(process)
    text = report(results, args)
    if profile_text:
        text += (
            f"\n\n## Where the time goes (production, {levels[-1]} users, py-spy)\n\n{profile_text}"
        )
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"load_test-{dt.datetime.now():%Y%m%d-%H%M}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
