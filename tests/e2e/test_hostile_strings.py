"""Hostile strings through every input that exists, shown in a real headless Chromium.

The corpus (``tests/hostile_strings.py``) goes into priority list names and notes (priority
lists API), activity descriptions and villages (activities API, as a department officer),
organisation names, commune names, account display names and commune history. Each page that
shows them is opened with sign-in, CSRF and the Content-Security-Policy on; no dialog may open,
``window.__xss`` must stay unset in every frame, no CSP violation may happen (an escaped string
never reaches the parser as markup), and no request may leave the app.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, Organisation, UserAccount
from services import audit
from tests.e2e.browser import chromium_page, e2e_app, reference_database, serve_app
from tests.hostile_strings import HOSTILE_STRINGS
from tests.web.auth_fixtures import PASSWORD, ensure_user, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""
#: short strings that a page must show literally as text
VISIBLE = [s for s in HOSTILE_STRINGS if len(s) < 60 and "\x00" not in s and "\x1b" not in s]


def _last_saturday(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)


def _plant(app, engine) -> dict:
    """Put the corpus into every input path; returns ids of what was made."""
    planted = {"lists": [], "activities": [], "refused": []}
    planner = login(app.test_client(), "planner")
    for text in HOSTILE_STRINGS:
        response = planner.post("/api/priority-lists", json={"name": text[:200], "note": text})
        assert response.status_code < 500, text
        if response.status_code == 201:
            planted["lists"].append(response.get_json()["id"])
        else:
            planted["refused"].append(("list", text[:40], response.status_code))
    with Session(engine) as s:
        org = s.scalar(
            sa.select(Organisation)
            .where(Organisation.kind == "department", Organisation.valid_to.is_(None))
            .order_by(Organisation.id)
        )
        org_code, org_id = org.code, org.id
        units = s.scalars(
            sa.select(AdminUnit)
            .where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.id)
            .limit(12)
        ).all()
        planted["unit_id"] = units[0].id
        for unit, text in zip(units[1:], VISIBLE, strict=False):
            unit.name = text  # commune names as an import could set them
        org.short_name = VISIBLE[0][:80]
        org.name = VISIBLE[3]
        for text in HOSTILE_STRINGS[:20]:
            audit.record(s, "commune_note", units[0].id, "update", text[:120],
                         {"note": "cũ"}, {"note": text}, units[0].id)  # fmt: skip
        s.commit()
    officer = login(app.test_client(), "department_officer", org_code)
    day = _last_saturday(dt.date.today())
    for text in HOSTILE_STRINGS:
        body = {
            "activity_date": day.isoformat(),
            "type_code": "ROAD_REPAIR",
            "organiser_id": org_id,
            "participants": 10,
            "description": text,
            "village": text[:200],
            "geometry": {"type": "Point", "coordinates": [107.0, 16.8]},
            "confirm_duplicate": True,
        }
        response = officer.post("/api/activities", json=body)
        assert response.status_code < 500, (text, response.get_data(as_text=True)[:300])
        if response.status_code == 201:
            planted["activities"].append(response.get_json()["id"])
        else:
            planted["refused"].append(("activity", text[:40], response.get_json()))
    ensure_user(engine, "viewer")
    with Session(engine) as s:
        viewer = s.scalar(sa.select(UserAccount).where(UserAccount.username == "test-viewer"))
        viewer.display_name = VISIBLE[1]
        s.commit()
    return planted


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "hostile.sqlite"
    engine, db_url = reference_database(path)
    app = e2e_app(db_url)
    planted = _plant(app, engine)
    admin, _ = ensure_user(engine, "admin")
    with serve_app(app) as url:
        yield {"url": url, "admin": admin, "app": app, **planted}
    engine.dispose()


@pytest.fixture(scope="module")
def page(server):
    with chromium_page(
        server["url"], server["admin"], viewport=(1280, 800), password=PASSWORD, init_script=WATCH
    ) as page:
        yield page


def _pages(server) -> list[str]:
    rules = {r.rule for r in server["app"].url_map.iter_rules()}
    wanted = [
        "/",
        "/map",
        "/admin/accounts",
        f"/communes/{server['unit_id']}/history",
        "/priority-lists",
        *[f"/priority-lists/{i}" for i in server["lists"][:6]],
        "/activities",
        *[f"/activities/{i}" for i in server["activities"][:6]],
    ]
    known = {"/priority-lists": "/priority-lists", "/activities": "/activities"}
    return [
        w
        for w in wanted
        if w.split("/")[1] in {"", "map", "admin", "communes"}
        or known.get("/" + w.split("/")[1]) in rules
    ]


def _hover_map(page) -> None:
    """Move over the map so tooltips with commune and organisation names render."""
    for frame in [page.main_frame, *page.main_frame.child_frames]:
        box = frame.evaluate(
            "() => { const m = document.querySelector('.leaflet-container');"
            " if (!m) return null; const r = m.getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height]; }"
        )
        if not box:
            continue
        offset = page.evaluate("() => [0, 0]")
        if frame is not page.main_frame:
            offset = frame.frame_element().bounding_box()
            offset = [offset["x"], offset["y"]]
        for fx in (0.3, 0.45, 0.6, 0.75):
            for fy in (0.3, 0.5, 0.7):
                page.mouse.move(offset[0] + box[0] + box[2] * fx, offset[1] + box[1] + box[3] * fy)
                page.wait_for_timeout(60)
                page.mouse.click(offset[0] + box[0] + box[2] * fx, offset[1] + box[1] + box[3] * fy)


def test_corpus_went_in(server):
    assert len(HOSTILE_STRINGS) >= 50
    assert len(server["lists"]) >= 45, server["refused"]
    assert len(server["activities"]) >= 45, server["refused"]


def test_hostile_strings_show_as_text_and_run_nothing(page, server):
    visited = []
    for path in _pages(server):
        response = page.goto(server["url"] + path)
        page.wait_for_load_state("networkidle")
        assert response.status < 400, path
        if path in ("/", "/map"):
            _hover_map(page)
        for frame in page.frames:
            assert frame.evaluate("() => window.__xss") is None, f"script ran on {path}"
        violations = page.evaluate("() => window.__csp")
        assert violations == [], f"CSP violations on {path}: {violations[:5]}"
        visited.append(path)
    assert not page.dialogs, page.dialogs
    assert not page.outside, page.outside
    assert {"/", "/map", "/priority-lists", "/activities"} <= set(visited), visited


def test_list_names_are_literal_text(page, server):
    page.goto(server["url"] + "/priority-lists")
    text = page.inner_text("body")
    shown = [s for s in VISIBLE if s.strip() and s.strip() in text]
    assert len(shown) >= 20, f"only {len(shown)} hostile names shown literally"
    assert "<script>window.__xss=1</script>" in text


def test_history_and_accounts_show_literal_text(page, server):
    page.goto(f"{server['url']}/communes/{server['unit_id']}/history")
    text = page.inner_text("body")
    assert "<script>window.__xss=1</script>" in text
    assert "<img src=x onerror=window.__xss=1>" in text
    page.goto(server["url"] + "/admin/accounts")
    assert VISIBLE[1] in page.inner_text("body")
    assert page.evaluate("() => window.__xss") is None


def test_activity_description_is_literal_text(page, server):
    rules = {r.rule for r in server["app"].url_map.iter_rules()}
    if "/activities/<int:activity_id>" not in rules:
        pytest.skip("no activity page in this tree")
    shown = 0
    for activity_id in server["activities"][:10]:
        page.goto(f"{server['url']}/activities/{activity_id}")
        text = page.inner_text("body")
        shown += any(s in text for s in VISIBLE)
        assert page.evaluate("() => window.__xss") is None
    assert shown >= 5


def test_the_watchers_work(page, server):
    """Controls: markup injected past escaping is caught by the CSP watcher, and a script
    that runs (a page without the policy) is caught by the ``__xss`` check."""
    page.goto(server["url"] + "/login")
    page.evaluate(
        "() => document.body.insertAdjacentHTML('beforeend',"
        " '<img src=x onerror=\"window.__xss=1\">')"
    )
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__xss") is None  # blocked by the policy
    page.goto("about:blank")  # no policy there
    page.set_content("<img src=x onerror=window.__xss=1>")
    page.wait_for_function("() => window.__xss === 1")


TOOLTIPS = """() => {
    const texts = [];
    for (const key of Object.keys(window)) {
        const layer = window[key];
        if (!key.startsWith('geo_json_') || !layer || !layer.eachLayer) continue;
        layer.eachLayer(child => {
            const at = child.getBounds().getCenter();
            child.fire('mouseover', {latlng: at, layer: child}, true);
            const tip = document.querySelector('.leaflet-tooltip');
            if (tip) texts.push(tip.innerText);
            child.fire('mouseout', {latlng: at, layer: child}, true);
        });
    }
    return texts;
}"""


def _home_tooltips(page, server) -> tuple:
    page.goto(server["url"] + "/")
    page.wait_for_load_state("networkidle")
    frame = next(f for f in page.frames if f is not page.main_frame)
    frame.wait_for_function("() => Object.keys(window).some(k => k.startsWith('geo_json_'))")
    texts = frame.evaluate(TOOLTIPS)
    assert len(texts) >= 78
    return frame, "\n".join(texts)


def test_no_script_runs_from_home_map_tooltips(page, server):
    frame, _ = _home_tooltips(page, server)
    assert frame.evaluate("() => window.__xss") is None
    assert not page.dialogs


def test_home_map_tooltips_show_names_as_text(page, server):
    frame, joined = _home_tooltips(page, server)
    shown = [s for s in VISIBLE[:11] if s.strip() and s.strip() in joined]
    assert len(shown) >= 8, shown
    assert frame.evaluate("() => window.__csp") == []


def _formula_cells(data: bytes) -> list[str]:
    """Cells holding a formula; ``["unreadable: ..."]`` when the workbook does not open."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001  (any failure to open is the finding)
        return [f"unreadable: {type(exc).__name__}: {exc}"]
    try:
        return [
            f"{sheet.title}!{cell.coordinate}={cell.value!r}"
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "f"
        ]
    finally:
        book.close()


def _risky_csv_cells(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def _export_findings(server) -> dict[str, list[str]]:
    """Per export URL, what is wrong with it (empty lists when nothing)."""
    client = login(server["app"].test_client(), "viewer")
    findings: dict[str, list[str]] = {}
    urls = [f"/api/priority-lists/{i}/export" for i in server["lists"]]
    rules = {r.rule for r in server["app"].url_map.iter_rules()}
    if "/activities/export/<fmt>" in rules:
        urls.append("/activities/export/")
    for base in urls:
        xlsx, csv_url = (base + "xlsx", base + "csv") if base.endswith("/") else (
            base + ".xlsx", base + ".csv")  # fmt: skip
        with client.get(xlsx) as response:
            ok = response.status_code == 200
            findings[xlsx] = (
                _formula_cells(response.data) if ok else [f"unreadable: {response.status}"]
            )
        with client.get(csv_url) as response:
            ok = response.status_code == 200
            text = response.get_data(as_text=True)
            findings[csv_url] = _risky_csv_cells(text) if ok else [f"unreadable: {response.status}"]
    return findings


def _formulas(findings: dict[str, list[str]], prefix: str) -> dict[str, list[str]]:
    return {
        url: [f for f in found if not f.startswith("unreadable")]
        for url, found in findings.items()
        if url.startswith(prefix) and [f for f in found if not f.startswith("unreadable")]
    }


@pytest.fixture(scope="module")
def export_findings(server) -> dict[str, list[str]]:
    return _export_findings(server)


def test_priority_list_exports_carry_no_formula(export_findings):
    """Hostile cells stay text: no formula in a workbook, no cell a spreadsheet would run."""
    assert len(export_findings) >= 90
    assert _formulas(export_findings, "/api/priority-lists/") == {}


def test_activity_exports_carry_no_formula(export_findings):
    assert _formulas(export_findings, "/activities/export/") == {}


def test_every_export_opens(export_findings):
    unreadable = {u: f for u, f in export_findings.items() if f and f[0].startswith("unreadable")}
    assert unreadable == {}
