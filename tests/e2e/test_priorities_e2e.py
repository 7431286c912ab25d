"""Issue 5 end to end in headless Chromium: ranking, coverage and gaps, sponsorship.

A planner opens /map, moves a weight and sees the ranking and the map change, adds the top 5
to a new priority list, opens the coverage of the last quarter and reads the gap list, then
accepts one suggested sponsorship and draws a department's area. The database is the real
reference data plus the demo scenario (``services.demo``, 300 activities) in the test's own
SpatiaLite file. Screenshots go to tests/artifacts/analysis/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, Organisation, PriorityListItem, Sponsorship
from services import demo
from tests.conftest import PROJECT_ROOT
from tests.e2e.browser import chromium_page, e2e_app, reference_database, serve_app
from tests.web.auth_fixtures import ensure_user

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "analysis"
HOSTILE = "<img src=x onerror=window.__xss=1>"


def _hostile_sponsor(session: Session) -> None:
    """A department with a hostile name sponsoring one commune, with a hostile note."""
    department = Organisation(
        code="E2E-HOSTILE", name=HOSTILE, short_name=HOSTILE, kind="department"
    )
    session.add(department)
    session.flush()
    unit_id = session.scalar(
        sa.select(AdminUnit.id).where(
            AdminUnit.name == "Xã Vĩnh Linh", AdminUnit.valid_to.is_(None)
        )
    )
    session.add(
        Sponsorship(department_id=department.id, unit_id=unit_id, valid_from=dt.date(2025, 7, 1),
                    note=HOSTILE, recorded_by="e2e")
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-analysis") / "analysis.sqlite"

    def prepare(session):
        demo.load_demo(session, n_activities=300)
        _hostile_sponsor(session)

    engine, db_url = reference_database(path, prepare)
    username, _ = ensure_user(engine, "planner")
    with serve_app(e2e_app(db_url)) as url:
        yield {"url": url, "username": username, "engine": engine}
    engine.dispose()


@pytest.fixture
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(server["url"], server["username"], viewport=(1500, 900)) as page:
        yield page


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _ranked_ids(page) -> list[int]:
    return page.evaluate(
        "[...document.querySelectorAll('#rank-body tr[data-id]')].map(tr => Number(tr.dataset.id))"
    )


def _fills(page) -> dict:
    """The fill colour Leaflet gave each commune on the map."""
    return page.evaluate(
        "() => Object.fromEntries(Object.entries(NTM.app.byId)"
        ".map(([id, l]) => [id, l.options.fillColor]))"
    )


def _legend_counts(page) -> dict:
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#legend li[data-key]')]"
        ".map(li => [li.dataset.key, Number(li.querySelector('.count').textContent)]))"
    )


def _last_quarter(today: dt.date) -> tuple[int, int]:
    q = (today.month - 1) // 3
    return (today.year - 1, 4) if q == 0 else (today.year, q)


def test_priorities_day(server, page):
    base = server["url"]

    # 1. the ranking panel and the "Điểm ưu tiên" theme
    page.goto(f"{base}/map?theme=priority&tab=rank")
    page.wait_for_function("() => window.ntmReady === true && window.ntmRankReady === true")
    assert page.locator("#legend h3").inner_text() == "Điểm ưu tiên"
    counts = _legend_counts(page)
    assert sum(counts.values()) == 78
    assert page.locator("#rank-body tr[data-id]").count() == 78
    assert "chưa có dữ liệu" in page.locator("#rank-panel .note").first.inner_text()
    # the defaults and their reasons are shown
    assert page.input_value("#wn-difficulty") == "3"
    assert "Công văn ưu tiên xã khó khăn" in page.locator("#rank-weights").inner_text()
    before_ids, before_fills = _ranked_ids(page), _fills(page)
    _shot(page, "01-ranking-defaults")

    # 2. move a weight: the ranking, the map colours, the legend and the URL change
    renders = page.evaluate("window.ntmRankRenderCount")
    page.fill("#wn-no_sponsor", "10")
    page.wait_for_function(f"() => window.ntmRankRenderCount > {renders}")
    page.wait_for_function("() => window.location.search.includes('w=')")
    after_ids, after_fills = _ranked_ids(page), _fills(page)
    assert after_ids != before_ids
    assert after_fills != before_fills
    assert page.input_value("#w-no_sponsor") == "10"
    top_row = page.locator("#rank-body tr[data-id]").first.inner_text()
    assert "Chưa có đơn vị đỡ đầu" not in top_row  # the top commune has no sponsor: no missing tag
    with Session(server["engine"]) as s:
        sponsored = set(
            s.scalars(sa.select(Sponsorship.unit_id).where(Sponsorship.valid_to.is_(None)))
        )
    assert after_ids[0] not in sponsored
    # each factor's contribution, opened from the keyboard
    page.focus("#rank-body tr[data-id]")
    page.keyboard.press("Enter")
    detail = page.locator("#rank-body tr.rank-detail").inner_text()
    assert "Chưa có đơn vị đỡ đầu: 10,00 (trọng số 10,0 × 1,00)" in detail
    _shot(page, "02-weight-moved")

    # the weights survive a reload (they are in the URL)
    page.reload()
    page.wait_for_function("() => window.ntmReady === true && window.ntmRankReady === true")
    assert page.input_value("#wn-no_sponsor") == "10"
    assert _ranked_ids(page) == after_ids

    # 3. a new priority list, then the top 5 in one step
    page.click("#tab-list")
    page.click("#new-list summary")
    page.fill("#new-list-name", "Ưu tiên quý tới")
    page.click("#new-list-submit")
    page.wait_for_function("() => NTM.lists.current() !== null")
    page.click("#tab-rank")
    page.fill("#rank-top-n", "5")
    assert page.inner_text("#rank-add-top") == "Thêm 5 xã đứng đầu vào danh sách"
    page.click("#rank-add-top")
    page.wait_for_selector("#rank-flash >> text=Đã thêm 5 xã")
    page.wait_for_function("() => NTM.app.listIds.size === 5")
    list_id = page.evaluate("NTM.lists.current().id")
    with Session(server["engine"]) as s:
        saved = set(
            s.scalars(
                sa.select(PriorityListItem.unit_id).where(
                    PriorityListItem.priority_list_id == list_id
                )
            )
        )
    assert saved == set(after_ids[:5])
    _shot(page, "03-top5-added")

    # 4. coverage of the last quarter, and the gaps
    page.click("#tab-cover")
    page.click("#cov-last-quarter")
    year, quarter = _last_quarter(dt.date.today())
    page.wait_for_function(f"() => window.location.search.includes('quarter%3A{year}%3A{quarter}')")
    page.wait_for_selector("#cov-gaps-title")
    page.wait_for_selector("#cov-table")
    text = page.inner_text("#cover-panel")
    assert "Xã ưu tiên chưa có hoạt động" in text
    assert "Tiêu chí chưa đạt chưa được hoạt động nào hỗ trợ" in text
    assert "Tổng của danh sách ưu tiên: Ưu tiên quý tới" in text
    assessed = page.evaluate(
        "[...document.querySelectorAll('#gap-unmet tbody tr td:last-child')].map(td => td.textContent)"
    )
    assert assessed and all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", d) for d in assessed), assessed[:3]
    href = page.get_attribute("#cov-export", "href")
    assert href.startswith("/api/coverage.xlsx?") and f"list={list_id}" in href
    page.select_option("#theme", "gap")
    page.wait_for_function(
        "() => document.querySelector('#legend h3').textContent.startsWith('Khoảng trống')"
    )
    assert sum(_legend_counts(page).values()) == 78
    _shot(page, "04-coverage-gaps")
    page.select_option("#theme", "cover")
    page.wait_for_function(
        "() => document.querySelector('#legend h3').textContent.startsWith('Độ phủ trong kỳ')"
    )
    _shot(page, "05-coverage-theme")

    # 5. sponsorship: accept one suggestion, draw a department's area
    page.click("#tab-sponsor")
    page.wait_for_selector("#sp-loads")
    page.wait_for_selector("#sp-suggest button[data-accept]")
    unit = int(page.get_attribute("#sp-suggest button[data-accept]", "data-accept"))
    page.click("#sp-suggest button[data-accept]")
    page.wait_for_selector("#sp-flash >> text=Đã ghi việc đỡ đầu")
    with Session(server["engine"]) as s:
        assert s.scalar(
            sa.select(sa.func.count())
            .select_from(Sponsorship)
            .where(Sponsorship.unit_id == unit, Sponsorship.valid_to.is_(None))
        )
    # hostile names and notes show as text
    assert HOSTILE in page.inner_text("#sp-loads")
    assert HOSTILE in page.inner_text("#sp-current")
    dept = int(page.get_attribute("#sp-loads button[data-area]", "data-area"))
    page.click(f"#sp-loads button[data-area='{dept}']")
    page.wait_for_function(f"() => window.ntmAreaShown === {dept}")
    _shot(page, "06-sponsorship")

    # 6. the commune panel says which departments fit its unmet criteria
    page.evaluate(f"NTM.app.select({after_ids[0]}, true)")
    page.wait_for_selector("#sp-match h3")
    page.locator("#sp-match").scroll_into_view_if_needed()
    assert "Sở, ngành phù hợp với tiêu chí chưa đạt" in page.inner_text("#sp-match")
    _shot(page, "07-commune-match")

    page.fill("#search-input", "vinh linh")
    page.wait_for_selector("#search-results li >> text=Xã Vĩnh Linh")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sp-match h3")
    assert HOSTILE in page.inner_text("#sp-match")
    _shot(page, "08-commune-sponsor-history")

    # 7. on the map: end that sponsorship and assign another from the commune panel
    page.locator("#sp-match button[data-end]", has_text=HOSTILE).click()
    page.wait_for_function(
        """() => { const box = document.querySelector('#sp-match');
            return box && [...box.querySelectorAll('button[data-end]')].every(b => !b.textContent.includes('<img'))
              && box.querySelectorAll('button[data-end]').length > 0; }"""
    )
    page.click("#sp-match details summary")
    page.fill("#sp-panel-assign textarea[name=note]", "Giao từ bản đồ")
    page.click("#sp-panel-assign button[type=submit]")
    page.wait_for_selector("#sp-match >> text=Giao từ bản đồ")
    with Session(server["engine"]) as s:
        rows = s.execute(
            sa.select(Sponsorship.note, Sponsorship.valid_to, Sponsorship.ended_by)
            .join(AdminUnit, AdminUnit.id == Sponsorship.unit_id)
            .where(AdminUnit.name == "Xã Vĩnh Linh")
            .order_by(Sponsorship.id)
        ).all()
    hostile = [r for r in rows if r.note == HOSTILE]
    assert [(r.valid_to, r.ended_by) for r in hostile] == [(dt.date.today(), server["username"])]
    assert rows[-1].note == "Giao từ bản đồ" and rows[-1].valid_to is None
    page.locator("#sp-match").scroll_into_view_if_needed()
    _shot(page, "09-commune-sponsor-assigned")

    assert page.evaluate("window.__xss") is None
    assert page.outside == []
    assert page.errors == []
