"""The planner map in a real headless Chromium, with sign-in, CSRF and the CSP switched on.

A planner opens /map, switches themes, searches, reads a commune's panel, builds a
priority list by click, rectangle and filter, removes one commune, reloads and finds
the list as saved with its history. Screenshots of each step go to tests/artifacts/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    CriteriaSet,
    CriterionAssessment,
    Organisation,
    Sponsorship,
)
from geo.spatial import to_db_geometry
from tests.conftest import PROJECT_ROOT
from tests.e2e.browser import chromium_page, e2e_app, reference_database, serve_app
from tests.web.auth_fixtures import ensure_user

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "planner"
HOSTILE = "<img src=x onerror=alert(1)>"


def _unit_id(session: Session, name: str) -> int:
    return session.scalars(
        sa.select(AdminUnit.id).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
    ).one()


def _facts(session: Session) -> None:
    """A few assessments and activities, and one commune with a hostile name."""
    today = dt.date.today()
    criteria = (
        session.scalars(sa.select(CriteriaSet).where(CriteriaSet.code == "NTM_XA_2026_2030"))
        .one()
        .criteria
    )
    for k, name in enumerate(("Xã Vĩnh Linh", "Xã Đakrông", "Xã Hướng Phùng")):
        unit_id = _unit_id(session, name)
        for i, criterion in enumerate(criteria):
            status = "unmet" if i <= k * 2 else "met"
            session.add(CriterionAssessment(unit_id=unit_id, criterion_id=criterion.id, status=status,
                                            assessed_on=today - dt.timedelta(days=30), source="e2e"))  # fmt: skip
    vinh_linh = _unit_id(session, "Xã Vĩnh Linh")
    for days in (3, 12):
        activity = Activity(activity_date=today - dt.timedelta(days=days), type_code="ROAD_REPAIR",
                            geom=to_db_geometry(shapely.Point(107.0, 17.05)))  # fmt: skip
        activity.communes.append(ActivityCommune(unit_id=vinh_linh))
        session.add(activity)
    session.execute(sa.update(AdminUnit).where(AdminUnit.name == "Xã Ba Lòng").values(name=HOSTILE))
    department = Organisation(
        code="E2E-HOSTILE", name=HOSTILE, short_name=HOSTILE, kind="department"
    )
    session.add(department)
    session.flush()
    session.add(
        Sponsorship(department_id=department.id, unit_id=_unit_id(session, "Xã Đakrông"),
                    valid_from=dt.date(2025, 7, 1), note=HOSTILE)
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "planner.sqlite"
    engine, db_url = reference_database(path, _facts)
    username, _ = ensure_user(engine, "planner")
    with serve_app(e2e_app(db_url)) as url:
        yield {"url": url, "username": username, "engine": engine}
    engine.dispose()


@pytest.fixture
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(server["url"], server["username"], viewport=(1400, 880)) as page:
        yield page


def _shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _ready(page) -> None:
    page.wait_for_function("() => window.ntmReady === true && window.ntmActivitiesReady === true")


def _point_of(page, unit_id: int) -> tuple[float, float]:
    """Page coordinates of a commune's label point (always inside the commune)."""
    return page.evaluate(
        """id => {
            const app = NTM.app, ll = app.labelPoints[id];
            const p = app.map.latLngToContainerPoint(ll);
            const box = app.map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        unit_id,
    )


def _list_size(page) -> int:
    return page.evaluate("NTM.app.listIds.size")


def test_planner_day(server, page):
    base = server["url"]
    with Session(server["engine"]) as s:
        ids = {n: _unit_id(s, n) for n in ("Xã Vĩnh Linh", "Xã Hướng Phùng", "Đặc khu Cồn Cỏ")}
        hostile_id = _unit_id(s, HOSTILE)

    # 1. open the map: boundaries, legend of the default theme
    page.goto(f"{base}/map")
    _ready(page)
    assert page.locator("#legend h3").inner_text() == "Xã khó khăn"
    assert page.locator("path.leaflet-interactive").count() >= 78
    _shot(page, "01-open")

    # 2. switch themes: the legend follows, unknown stays its own class
    page.select_option("#theme", "unmet")
    page.wait_for_function(
        "document.querySelector('#legend h3').textContent === 'Số tiêu chí chưa đạt'"
    )
    no_data = page.locator("#legend li[data-key='no_data']")
    assert no_data.inner_text().startswith("chưa có dữ liệu")
    assert no_data.locator(".count").inner_text() == "75"
    assert "theme=unmet" in page.url
    _shot(page, "02-theme-unmet")
    page.click("#legend li[data-key='no_data']")
    page.wait_for_function(
        "() => document.querySelector('#match-count').textContent.startsWith('75 ')"
    )
    assert "cls=no_data" in page.url
    page.click("#legend li[data-key='no_data']")
    page.wait_for_function(
        "() => document.querySelector('#match-count').textContent.startsWith('78 ')"
    )
    # hovering shows a tooltip; an empty filter says so
    x, y = _point_of(page, ids["Xã Hướng Phùng"])
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip >> text=Xã Hướng Phùng")
    assert "Số tiêu chí chưa đạt" in page.locator(".leaflet-tooltip").inner_text()
    page.select_option("#f-difficulty", "island")
    page.wait_for_selector("#map-empty >> text=Không có xã nào phù hợp bộ lọc")
    _shot(page, "02b-no-match")
    page.select_option("#f-difficulty", "")
    assert page.locator("#map-empty").is_hidden()

    # dates are typed dd/mm/yyyy; a wrong one is refused in Vietnamese
    page.fill("#period-from", "31/02/2026")
    page.dispatch_event("#period-from", "change")
    page.wait_for_selector("#map-error >> text=Ngày không hợp lệ")
    page.fill("#period-from", "01/01/2025")
    page.dispatch_event("#period-from", "change")
    page.wait_for_function("() => window.location.search.includes('from=2025-01-01')")
    assert page.locator("#map-error").is_hidden()

    page.select_option("#theme", "ntm")
    page.wait_for_function(
        "document.querySelector('#legend h3').textContent === 'Mức đạt chuẩn NTM'"
    )
    assert "suy ra" in page.locator("#legend").inner_text()

    # 3. search without diacritics, read the panel
    page.fill("#search-input", "vinh linh")
    page.wait_for_selector("#search-results li >> text=Xã Vĩnh Linh")
    page.keyboard.press("Enter")
    page.wait_for_selector("#commune-panel h2 >> text=Xã Vĩnh Linh")
    panel = page.locator("#commune-panel").inner_text()
    assert "Hình thành từ" in panel and "Huyện Vĩnh Linh" in panel
    assert "Chưa đạt" in panel and "Đạt" in panel and "km²" in panel
    assert "Sửa chữa, nâng cấp đường giao thông nông thôn" in panel
    _shot(page, "03-search-panel")

    # 4. click a commune on the map: its panel opens
    page.wait_for_function("() => !NTM.app.map._animatingZoom")  # the zoom to the search hit
    page.evaluate("NTM.app.map.setView([16.75, 106.85], 9, {animate: false})")
    page.wait_for_function("() => NTM.app.level === 0 && !NTM.app.map._animatingZoom")
    page.wait_for_timeout(300)
    x, y = _point_of(page, ids["Xã Hướng Phùng"])
    page.mouse.click(x, y)
    page.wait_for_selector("#commune-panel h2 >> text=Xã Hướng Phùng")

    # 5. a new priority list, three communes: click, rectangle, filter
    page.click("#tab-list")
    page.click("#new-list summary")
    page.fill("#new-list-name", "Ưu tiên quý I/2027")
    page.fill("#new-list-form textarea", HOSTILE)
    page.click("#new-list-submit")
    page.wait_for_selector("#list-body h3 >> text=Ưu tiên quý I/2027")
    assert page.locator("#list-body").inner_text().count(HOSTILE) == 1
    page.check("#list-select-mode")
    page.fill("#list-reason", "xã miền núi, nhiều tiêu chí chưa đạt")
    x, y = _point_of(page, ids["Xã Vĩnh Linh"])
    page.mouse.click(x, y)
    page.wait_for_function("() => NTM.app.listIds.size === 1")
    page.uncheck("#list-select-mode")

    x, y = _point_of(page, ids["Xã Hướng Phùng"])
    page.click(".leaflet-draw-draw-rectangle")
    page.mouse.move(x - 4, y - 4)
    page.mouse.down()
    page.mouse.move(x + 4, y + 4, steps=4)
    page.mouse.up()
    page.wait_for_function("() => NTM.app.listIds.size === 2")
    assert page.evaluate(f"NTM.app.listIds.has({ids['Xã Hướng Phùng']})")

    page.select_option("#f-district", "Huyện Cồn Cỏ")
    page.wait_for_function(
        "() => document.querySelector('#match-count').textContent.startsWith('1 ')"
    )
    page.click("#add-matching")
    page.wait_for_function("() => NTM.app.listIds.size === 3")
    assert page.evaluate(f"NTM.app.listIds.has({ids['Đặc khu Cồn Cỏ']})")
    _shot(page, "04-list-three")

    page.click(f"[data-remove='{ids['Xã Vĩnh Linh']}']")
    page.wait_for_function("() => NTM.app.listIds.size === 2")

    # 6. reload: the view and the saved list come back, with their history
    zoom, lat, lon = (float(v) for v in page.url.split("#")[1].split("/"))
    page.reload()
    _ready(page)
    centre = page.evaluate(
        "[NTM.app.map.getZoom(), NTM.app.map.getCenter().lat, NTM.app.map.getCenter().lng]"
    )
    assert centre[0] == zoom and abs(centre[1] - lat) < 1e-3 and abs(centre[2] - lon) < 1e-3
    page.wait_for_function("() => NTM.app.listIds.size === 2")
    assert page.locator("#theme").input_value() == "ntm"
    assert page.locator("#f-district").input_value() == "Huyện Cồn Cỏ"
    assert page.locator("#period-from").input_value() == "01/01/2025"
    page.click("#tab-list")
    items = page.locator(".list-items li .name").all_inner_texts()
    assert sorted(items[:2]) == ["Xã Hướng Phùng", "Đặc khu Cồn Cỏ"]
    page.click("#list-history summary")
    page.wait_for_selector("#history-items li >> text=Xã Vĩnh Linh")
    history = page.locator("#history-items").inner_text()
    assert history.count("Thêm") == 3 and history.count("Bỏ") == 1
    assert "xã miền núi, nhiều tiêu chí chưa đạt" in history
    _shot(page, "05-reloaded-history")

    # 7. compare with another list; the exports download
    page.click("#new-list summary")
    page.fill("#new-list-name", "Danh sách so sánh")
    page.click("#new-list-submit")
    page.wait_for_selector("#list-body h3 >> text=Danh sách so sánh")
    page.fill("#search-input", "vinh linh")
    page.wait_for_selector("#search-results li >> text=Xã Vĩnh Linh")
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel-list-toggle")
    page.click("#panel-list-toggle")
    page.wait_for_function("() => NTM.app.listIds.size === 1")
    page.click("#tab-list")
    first_list = page.locator(
        "#compare-select option", has_text="Ưu tiên quý I/2027"
    ).get_attribute("value")
    page.select_option("#compare-select", first_list)
    page.wait_for_selector("#compare-result p")
    compared = page.locator("#compare-result").inner_text()
    assert all(n in compared for n in ("Xã Vĩnh Linh", "Xã Hướng Phùng", "Đặc khu Cồn Cỏ"))
    _shot(page, "06-compare")
    for link in page.locator("#list-body a[href*='/export.']").all():
        response = page.request.get(base + link.get_attribute("href"))
        assert response.status == 200 and len(response.body()) > 100

    # 8. hostile text shows as text
    page.click("#reset-filters")
    page.fill("#search-input", "img src")
    page.wait_for_selector("#search-results li")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => NTM.app.selected === {hostile_id}")
    page.wait_for_selector("#commune-panel h2")
    assert page.locator("#commune-panel h2").inner_text() == HOSTILE
    page.select_option("#theme", "sponsor")
    page.wait_for_function(
        "() => document.querySelector('#legend h3').textContent === 'Sở, ngành đỡ đầu'"
    )
    assert HOSTILE in page.locator("#legend").inner_text()
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    _shot(page, "07-hostile-name")

    assert page.dialogs == [] and page.errors == []
    assert page.outside == [], f"requests outside the app: {page.outside}"
