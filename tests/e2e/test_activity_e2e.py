"""Recording an activity in a real headless Chromium, with sign-in, CSRF and the CSP on.

A department officer opens the form, draws a line across two communes with
leaflet-draw, sees both communes appear, fills the form, saves, and finds the
activity in the list, in both communes, and on the list's map. Screenshots go to
tests/artifacts/activities/.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import Activity
from services.activities import last_saturday
from services.communes import communes_on
from tests.conftest import PROJECT_ROOT
from tests.e2e.browser import chromium_page, e2e_app, reference_database, serve_app
from tests.web.auth_fixtures import ensure_user

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "activities"
FIRST, SECOND = "Phường Đông Hà", "Phường Nam Đông Hà"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "activities.sqlite"
    engine, db_url = reference_database(path)
    with Session(engine) as session:
        frame = communes_on(session, last_saturday())
        points = {
            n: frame.loc[frame["name"] == n, "geometry"].iloc[0].representative_point()
            for n in (FIRST, SECOND)
        }
    username, _ = ensure_user(engine, "department_officer", "QT44-SXD")
    with serve_app(e2e_app(db_url)) as url:
        yield {"url": url, "username": username, "engine": engine, "points": points}
    engine.dispose()


@pytest.fixture
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(server["url"], server["username"]) as page:
        yield page


def _pixel(page, point) -> tuple[float, float]:
    """Where a lon/lat point is on screen, in the form's map."""
    box = page.locator("#activity-map").bounding_box()
    xy = page.evaluate(
        "([lat, lng]) => activityMap.latLngToContainerPoint([lat, lng])", [point.y, point.x]
    )
    return box["x"] + xy["x"], box["y"] + xy["y"]


def test_draw_a_line_across_two_communes_save_and_find_it(page, server):
    a, b = server["points"][FIRST], server["points"][SECOND]
    page.goto(server["url"] + "/activities/new")
    page.wait_for_selector(
        "#activity-map .leaflet-overlay-pane path", state="attached", timeout=15_000
    )
    page.evaluate(
        "([a, b]) => activityMap.fitBounds([a, b], {padding: [120, 120], animate: false})",
        [[a.y, a.x], [b.y, b.x]],
    )
    page.click(".leaflet-draw-draw-polyline")
    for point in (a, b):
        page.mouse.click(*_pixel(page, point))
        page.wait_for_timeout(150)
    page.click(".leaflet-draw-actions a[title='Finish drawing']")
    # (wait_for_function evaluates a string: the page's CSP forbids that, rightly)
    page.locator("#communes-found li").nth(1).wait_for(timeout=15_000)
    found = page.locator("#communes-found li").all_inner_texts()
    assert any(t.startswith(FIRST) for t in found) and any(t.startswith(SECOND) for t in found)
    assert all("dài" in t and " m" in t for t in found)
    page.select_option("#type_code", "ROAD_REPAIR")
    page.select_option("#organiser_id", label="Sở Xây dựng")
    page.fill("input[name=participants]", "35")
    page.fill("input[name=workdays]", "35")
    page.fill("input[name=quantity]", "0.9")
    page.fill("textarea[name=description]", "Sửa đường liên phường <b>thử</b>")
    page.screenshot(path=str(ARTIFACTS / "1-form-with-line.png"))
    page.click("#save")
    page.wait_for_url("**/activities?highlight=*", timeout=15_000)
    row = page.locator("#activity-table tr.highlight")
    row.wait_for(timeout=10_000)
    communes = row.locator("td.communes").inner_text()
    assert FIRST in communes and SECOND in communes
    page.locator("#list-map[data-count]").wait_for(timeout=15_000)
    assert int(page.get_attribute("#list-map", "data-count")) >= 1
    assert page.locator("#list-map path.leaflet-interactive").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "2-list-and-map.png"))
    with Session(server["engine"]) as session:
        saved = session.scalars(sa.select(Activity).order_by(Activity.id.desc())).first()
        assert saved.geom is not None and saved.participants == 35
        assert {c.unit.name for c in saved.communes} >= {FIRST, SECOND}
        assert saved.created_by == server["username"]
    assert page.outside == [] and page.errors == [] and page.dialogs == []
