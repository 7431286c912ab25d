"""Unit plans in a real headless Chromium, with sign-in, CSRF and the CSP on.

A department officer makes a plan, places an item for next Saturday on the map with
leaflet-draw, sees it on the planner map (its own dashed style and legend), turns it into an
activity from the pre-filled activity form, and sees the plan-against-actual table change.
Screenshots go to tests/artifacts/plans/.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import PlanItem
from services.activities import last_saturday
from services.communes import communes_on
from services.plan_figures import next_saturday
from tests.conftest import PROJECT_ROOT
from tests.e2e.browser import chromium_page, e2e_app, reference_database, serve_app
from tests.web.auth_fixtures import ensure_user

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "plans"
COMMUNE = "Phường Đông Hà"
#: typed text that would run if shown as markup (the map popup must show it as text)
LEAD = "Lê Văn Dẫn <img src=x onerror=window.__xss=1>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "plans.sqlite"
    engine, db_url = reference_database(path)
    with Session(engine) as session:
        frame = communes_on(session, dt.date.today())
        point = frame.loc[frame["name"] == COMMUNE, "geometry"].iloc[0].representative_point()
    username, _ = ensure_user(engine, "department_officer", "QT44-SXD")
    with serve_app(e2e_app(db_url)) as url:
        yield {"url": url, "username": username, "engine": engine, "point": point}
    engine.dispose()


@pytest.fixture
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(server["url"], server["username"]) as page:
        yield page


def _figure(page, name: str) -> str:
    return page.locator(
        f'#plan-progress tr[data-type="ROAD_REPAIR"] td[data-figure="{name}"]'
    ).inner_text()


def _make_plan(page, base: str) -> None:
    today = dt.date.today()
    page.goto(base + "/plans")
    page.fill("#plan-new input[name=title]", "Kế hoạch thử <b>đậm</b>")
    # dates typed the Vietnamese way, whatever the browser's language
    page.fill("#plan-new input[data-date-for=period_from]", today.strftime("%d/%m/%Y"))
    page.fill("#plan-new input[data-date-for=period_to]", "31/02/2026")
    assert page.evaluate(
        "document.querySelector('#plan-new input[data-date-for=period_to]').validationMessage"
    ).startswith("Ngày không hợp lệ")
    until = today + dt.timedelta(days=30)
    page.fill("#plan-new input[data-date-for=period_to]", until.strftime("%d/%m/%Y"))
    assert page.input_value("#plan-new input[name=period_to]") == until.isoformat()
    page.click("#plan-new button[type=submit]")
    page.wait_for_url("**/plans/*")
    assert "Kế hoạch thử <b>đậm</b>" in page.locator("h2").inner_text()


def _place_item(page, point) -> None:
    page.click("#add-item")
    page.wait_for_selector("#item-map .leaflet-overlay-pane path", state="attached", timeout=15_000)
    page.evaluate(
        "([lat, lng]) => planItemMap.setView([lat, lng], 14, {animate: false})", [point.y, point.x]
    )
    assert page.input_value("input[name=planned_date]") == next_saturday().isoformat()
    shown = page.input_value("input[data-date-for=planned_date]")
    assert shown == next_saturday().strftime("%d/%m/%Y")
    page.select_option("select[name=type_code]", "ROAD_REPAIR")
    page.fill("input[name=planned_quantity]", "2")
    page.fill("input[name=village]", "Khu phố 1")
    page.fill("input[name=lead_person]", LEAD)
    page.click(".leaflet-draw-draw-marker")
    box = page.locator("#item-map").bounding_box()
    xy = page.evaluate(
        "([lat, lng]) => planItemMap.latLngToContainerPoint([lat, lng])", [point.y, point.x]
    )
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    page.screenshot(path=str(ARTIFACTS / "1-item-on-the-map.png"))
    page.click("#save")
    page.wait_for_url("**/plans/*#item-*", timeout=15_000)


def test_plan_item_on_the_map_becomes_an_activity(page, server):
    base = server["url"]
    _make_plan(page, base)
    _place_item(page, server["point"])
    row = page.locator("#plan-items tr[data-status=planned]")
    assert row.count() == 1 and COMMUNE in row.inner_text()
    assert (_figure(page, "planned"), _figure(page, "done")) == ("1", "0")
    assert _figure(page, "planned_quantity") == "2,0 km"
    plan_url = page.url.split("#")[0]

    page.goto(base + "/map?plans=1")
    page.wait_for_selector(".leaflet-plans-pane path.leaflet-interactive", timeout=30_000)
    assert page.evaluate("() => window.ntmPlanCount") == 1
    assert page.evaluate("() => window.ntmPlanUndone") == 1, (
        "the commune with undone work stands out"
    )
    assert "Việc đã lên kế hoạch" in page.locator("#plan-legend").inner_text()
    page.locator(".leaflet-plans-pane path.leaflet-interactive").last.click()
    page.locator(".plan-popup").wait_for(timeout=10_000)
    assert LEAD in page.locator(".plan-popup").inner_text()
    assert page.evaluate("() => window.__xss") is None
    page.wait_for_timeout(400)  # the popup's fade-in
    page.screenshot(path=str(ARTIFACTS / "2-planner-map-with-plans.png"))

    page.goto(plan_url)
    page.click("#plan-items a.to-activity")
    page.wait_for_url("**/activities/new?plan_item=*")
    assert page.locator("#from-plan").inner_text().endswith("Kế hoạch thử <b>đậm</b>")
    assert page.input_value("select[name=type_code]") == "ROAD_REPAIR"
    assert page.input_value("input[name=quantity]") == "2"
    page.locator("#communes-found li").first.wait_for(timeout=15_000)
    assert COMMUNE in page.locator("#communes-found").inner_text()
    # done a Saturday early: the officer corrects the prefilled date (today is not a Saturday)
    assert page.input_value("input[data-date-for=activity_date]") == dt.date.fromisoformat(
        page.input_value("#activity_date")
    ).strftime("%d/%m/%Y")  # prefilled from the plan into both fields
    page.fill("input[data-date-for=activity_date]", last_saturday().strftime("%d/%m/%Y"))
    assert page.input_value("#activity_date") == last_saturday().isoformat()
    page.fill("input[name=quantity]", "1.4")
    page.fill("input[name=participants]", "30")
    page.screenshot(path=str(ARTIFACTS / "3-prefilled-activity.png"))
    page.click("#save")
    page.wait_for_url(plan_url, timeout=15_000)
    assert page.locator("#plan-items tr[data-status=done]").count() == 1
    assert (_figure(page, "done"), _figure(page, "done_quantity"), _figure(page, "open")) == (
        "1",
        "1,4 km",
        "0",
    )
    page.screenshot(path=str(ARTIFACTS / "4-plan-against-actual.png"), full_page=True)
    with Session(server["engine"]) as session:
        item = session.scalars(sa.select(PlanItem)).one()
        assert item.status == "done" and item.activity.quantity == 1.4
        assert item.activity.created_by == server["username"]
    assert page.outside == [] and page.errors == [] and page.dialogs == []
