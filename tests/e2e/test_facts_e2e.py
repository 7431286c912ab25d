"""Correcting a criterion from the planner map's commune panel, in a real headless Chromium
with sign-in, CSRF and the CSP on: the planner's "Sửa" control posts the correction and the
checklist changes; a hostile source shows as text; a viewer sees no edit controls."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import CriterionAssessment
from tests.conftest import PROJECT_ROOT
from tests.e2e.browser import chromium_page, e2e_app, reference_database, serve_app
from tests.web.auth_fixtures import ensure_user

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "facts"
HOSTILE = "BC e2e <img src=x onerror=window.__xss=1>"
CRITERIA = "#commune-panel h3:text-is('Tiêu chí') + ul > li"
FLAGS = "#commune-panel h3:text-is('Phân loại') + ul > li"
LEVELS = "#commune-panel h3:text-is('Nông thôn mới') + *"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "facts.sqlite"
    engine, db_url = reference_database(path)
    planner, _ = ensure_user(engine, "planner")
    viewer, _ = ensure_user(engine, "viewer")
    with serve_app(e2e_app(db_url)) as url:
        yield {"url": url, "planner": planner, "viewer": viewer, "engine": engine}
    engine.dispose()


def _open_commune(page, base: str) -> None:
    page.goto(f"{base}/map")
    page.wait_for_function("() => window.ntmReady === true")
    page.fill("#search-input", "vinh linh")
    page.wait_for_selector("#search-results li >> text=Xã Vĩnh Linh")
    page.keyboard.press("Enter")
    page.wait_for_selector("#commune-panel h2 >> text=Xã Vĩnh Linh")
    page.wait_for_selector(CRITERIA)


def test_planner_corrects_a_criterion(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(server["url"], server["planner"]) as page:
        _open_commune(page, server["url"])
        second = page.locator(CRITERIA).nth(1)
        assert second.locator(".status").get_attribute("class") == "status no_data"
        second.locator("button.fx-edit").click()
        form = second.locator("form.fx-form")
        form.locator("select[name=status]").select_option("met")
        form.locator("input[name=source]").fill(HOSTILE)
        page.screenshot(path=str(ARTIFACTS / "01-edit.png"))
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"{CRITERIA}:nth-child(2) .status.met")
        second = page.locator(CRITERIA).nth(1)
        assert HOSTILE in second.inner_text()
        assert second.locator("img").count() == 0
        page.screenshot(path=str(ARTIFACTS / "02-saved.png"))
        # a wrong date is refused in the form, in Vietnamese, before anything is sent
        second.locator("button.fx-edit").click()
        second.locator("form.fx-form input[name=assessed_on]").fill("31/02/2026")
        second.locator("form.fx-form button[type=submit]").click()
        page.wait_for_selector(f"{CRITERIA}:nth-child(2) .fx-error >> text=dd/mm/yyyy")
        # the correction's history is listed in the form
        assert "BC e2e" in second.locator(".fx-history").inner_text()
        # a classification flag: yes, with its legal basis; the panel shows the new value
        first = page.locator(FLAGS).first
        first.locator("button.fx-edit").click()
        form = first.locator("form.fx-form")
        form.locator("select[name=value]").select_option("true")
        form.locator("input[name=legal_basis]").fill("QĐ e2e/2026")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"{FLAGS} >> text=QĐ e2e/2026")
        assert "Miền núi: Có" in page.locator(FLAGS).first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "03-flag.png"))
        # an NTM level: registered needs its target year, refused in Vietnamese, then saved
        page.locator(f"{LEVELS} button.fx-edit").first.click()
        form = page.locator(f"{LEVELS} form.fx-form")
        form.locator("input[name=year]").fill("2025")
        form.locator("select[name=level]").select_option("registered")
        form.locator("input[name=target_year]").fill("")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"{LEVELS} .fx-error >> text=năm mục tiêu")
        form.locator("input[name=target_year]").fill("2027")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"{LEVELS} >> text=Đăng ký đạt chuẩn năm 2027")
        assert page.evaluate("window.__xss") is None
        assert page.errors == [] and page.outside == [] and page.dialogs == []
    with Session(server["engine"]) as s:
        rows = s.scalars(
            sa.select(CriterionAssessment).where(CriterionAssessment.source == HOSTILE)
        )
        assert [(r.status, r.recorded_by) for r in rows] == [("met", server["planner"])]


def test_viewer_sees_no_edit_controls(server):
    with chromium_page(server["url"], server["viewer"]) as page:
        _open_commune(page, server["url"])
        assert page.locator("#commune-panel button.fx-edit").count() == 0
        assert page.errors == [] and page.outside == []
