"""The print view of the planner map's analysis themes ("Điểm ưu tiên", "Độ phủ trong kỳ báo
cáo", "Khoảng trống"): the legend's labels and counts are what the services give for the same
URL, classed by the rules of ``analysis.js``/``coverage.js`` (repeated here, independently of
``services.theme_values``); an unknown theme or period is refused with a Vietnamese message."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import math
import re
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import Activity, ActivityCommune, AdminUnit
from services import ranking
from services.coverage import commune_coverage
from services.coverage_gaps import gaps
from services.periods import Period

Q3 = Period.quarter(2025, 3)
#: activities per commune in the third quarter of 2025: 1 → "1", 3 → "2–3", 8 → "≥ 7"
VISITS = {"Xã Vĩnh Linh": 1, "Xã Cam Lộ": 3, "Xã Gio Linh": 8}
LEGEND_ITEM = re.compile(
    r'<span class="label">([^<]*)</span><span class="count">(\d+)</span>', re.S
)


def legend(page: str) -> dict[str, int]:
    """The theme legend's ``label → count`` (the activity legend, after it, left out)."""
    part = page.split('<aside class="legend">', 1)[1].split("Hoạt động trong kỳ", 1)[0]
    return {html_lib.unescape(label): int(n) for label, n in LEGEND_ITEM.findall(part)}


def subtitle(page: str) -> str:
    return html_lib.unescape(re.search(r'<p class="subtitle">(.*?)</p>', page, re.S).group(1))


def vi(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def fetch(client, query: dict) -> str:
    with client.get("/map/print", query_string=query) as r:
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        return r.get_data(as_text=True)


@pytest.fixture
def visits(seeded_engine):
    """``VISITS`` as activities on 15/08/2025, removed afterwards."""
    ids = []
    with Session(seeded_engine) as s:
        for name, n in VISITS.items():
            unit_id = s.scalars(
                sa.select(AdminUnit.id).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
            ).one()
            for _ in range(n):
                a = Activity(activity_date=dt.date(2025, 8, 15), type_code="LANE_TIDY")
                a.communes.append(ActivityCommune(unit_id=unit_id))
                s.add(a)
                s.flush()
                ids.append(a.id)
        s.commit()
    yield ids
    with Session(seeded_engine) as s:
        s.execute(sa.delete(ActivityCommune).where(ActivityCommune.activity_id.in_(ids)))
        s.execute(sa.delete(Activity).where(Activity.id.in_(ids)))
        s.commit()


def expected_priority(engine, weights: dict[str, float]) -> dict[str, int]:
    """analysis.js: five equal classes of 0..Σ weights, highest first, labelled "low–high điểm"."""
    total = sum(weights.values())
    step = total / 5
    with Session(engine) as s:
        scores = [r.score for r in ranking.rank(s, dt.date.today(), weights)]
    counts = Counter(min(4, math.floor(score / step)) for score in scores)
    return {f"{vi(step * i)}–{vi(step * (i + 1))} điểm": counts.get(i, 0) for i in range(4, -1, -1)}


def test_priority_legend_is_the_ranking_classed_like_the_screen(client, seeded_engine):
    page = fetch(client, {"theme": "priority"})
    expected = expected_priority(seeded_engine, ranking.DEFAULT_WEIGHTS)
    assert legend(page) == expected
    assert list(legend(page)) == list(expected)  # highest class first, as on screen
    assert sum(expected.values()) == 78
    assert "Điểm ưu tiên" in subtitle(page) and "Trọng số" not in subtitle(page)
    assert "11,0 điểm = tổng trọng số" in page


def sheet_legend(app, url: str) -> tuple[dict[str, int], str]:
    """Legend and subtitle of the print view for ``url`` through ``map_sheet``/``subtitle``."""
    from flask import request

    from webmap.blueprints.map_api import map_query
    from webmap.db import get_session
    from webmap.print_view import PrintState, map_sheet, subtitle

    with app.test_request_context(url):
        session, query = get_session(), map_query()
        state = PrintState.from_args(request.args, "vi")
        sheet = map_sheet(session, query, state, (800, 600))
        return {c["label"]: c["count"] for c in sheet.legend}, subtitle(
            session, query, state, sheet
        )


def test_a_changed_weight_changes_the_classes(app, client, seeded_engine):
    default, _ = sheet_legend(app, "/map/print?theme=priority")
    assert default == legend(fetch(client, {"theme": "priority"}))
    changed, text = sheet_legend(app, "/map/print?theme=priority&w=0,0,0,0,0,10")
    weights = dict.fromkeys(ranking.DEFAULT_WEIGHTS, 0.0) | {"no_sponsor": 10.0}
    assert changed == expected_priority(seeded_engine, weights)
    assert changed != default
    assert "Trọng số các yếu tố" in text and "Chưa có đơn vị đỡ đầu 10,0" in text
    # the route itself: weights in ``w``, the sheet size in ``sheet_w``/``sheet_h``
    with client.get("/map/print?theme=priority&w=0,0,0,0,0,10&sheet_w=1122&sheet_h=793") as r:
        assert r.status_code == 200 and "Chưa có đơn vị đỡ đầu 10,0" in r.get_data(as_text=True)
    # read like the sliders: above 10 is 10, a word keeps the default
    capped, _ = sheet_legend(app, "/map/print?theme=priority&w=abc,0,0,0,0,99")
    weights["difficulty"] = ranking.DEFAULT_WEIGHTS["difficulty"]
    assert capped == expected_priority(seeded_engine, weights)


def test_cover_legend_counts_the_period_activities(client, seeded_engine, visits):
    page = fetch(client, {"theme": "cover", "cov": "quarter:2025:3"})
    with Session(seeded_engine) as s:
        counts = [c.activities for c in commune_coverage(s, Q3)]
    bins = [
        ("Không có hoạt động", 0, 0),
        ("1", 1, 1),
        ("2–3", 2, 3),
        ("4–6", 4, 6),
        ("≥ 7", 7, 10**9),
    ]
    expected = {label: sum(low <= n <= high for n in counts) for label, low, high in bins}
    assert legend(page) == expected
    assert expected["1"] >= 1 and expected["2–3"] >= 1 and expected["≥ 7"] >= 1
    assert "Độ phủ trong kỳ báo cáo (Quý III/2025)" in subtitle(page)
    assert "01/07/2025 – 30/09/2025" in subtitle(page)
    # another period: the same communes had nothing then
    other = legend(fetch(client, {"theme": "cover", "cov": "range:2025-10-01:2025-10-31"}))
    assert other["Không có hoạt động"] == len(counts)


def test_gap_legend_is_the_first_gap_of_each_commune(client, seeded_engine, visits):
    page = fetch(client, {"theme": "gap", "cov": "quarter:2025:3"})
    with Session(seeded_engine) as s:
        rows = commune_coverage(s, Q3)
        found = gaps(s, Q3, None, rows)
    order = [
        ("Xã ưu tiên chưa có hoạt động", {c.unit_id for c in found.no_activity}),
        ("Xã đang chờ (khó khăn hoặc ưu tiên, chưa có hoạt động)", {c.unit_id for c in found.waiting}),
        ("Xã được đến nhiều", {c.unit_id for c in found.crowded}),
        ("Tiêu chí chưa đạt chưa được hoạt động nào hỗ trợ",
         {u.unit_id for u in found.unmet_not_addressed}),
    ]  # fmt: skip
    counts = Counter(
        next((label for label, ids in order if r.unit_id in ids), "Không có khoảng trống")
        for r in rows
    )
    labels = [label for label, _ in order] + ["Không có khoảng trống"]
    assert legend(page) == {label: counts.get(label, 0) for label in labels}
    assert legend(page)["Xã được đến nhiều"] >= 1
    assert "Khoảng trống" in subtitle(page) and "Quý III/2025" in subtitle(page)


def test_unknown_theme_and_period_are_refused(client):
    with client.get("/map/print", query_string={"theme": "bogus"}) as r:
        assert r.status_code == 400
        text = r.get_data(as_text=True)
    assert "Không có chủ đề bản đồ “bogus”" in text and "priority" in text
    with client.get("/map/print", query_string={"theme": "cover", "cov": "quý:ba"}) as r:
        assert r.status_code == 400
        assert "tham số “cov”" in r.get_data(as_text=True)


def test_meeting_pack_cover_keeps_the_theme(client, seeded_engine, visits):
    with seeded_engine.connect() as conn:
        district = conn.scalar(
            sa.select(AdminUnit.name).where(AdminUnit.level == "district").order_by(AdminUnit.name)
        )
    query = {"theme": "cover", "cov": "quarter:2025:3", "dist": district}
    with client.get("/exports/pack", query_string=query) as r:
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        page = r.get_data(as_text=True)
    cover = page.split('class="sheet atlas"', 1)[0]
    assert legend(cover) == legend(fetch(client, {"theme": "cover", "cov": "quarter:2025:3"}))
    assert "Độ phủ trong kỳ báo cáo" in cover and "Quý III/2025" in cover


SCREEN_LEGEND = """() => Array.from(document.querySelectorAll('#legend li[data-key]')).map(li => [
    li.querySelector('span:not(.swatch):not(.count)').textContent,
    Number(li.querySelector('.count').textContent.replace(/\\./g, ''))])"""
PRINT_LEGEND = """() => Array.from(document.querySelectorAll('aside.legend li')).slice(0, 5).map(li => [
    li.querySelector('.label').textContent, Number(li.querySelector('.count').textContent)])"""


@pytest.mark.browser
def test_print_legend_is_the_screen_legend(backend, seeded_engine, visits):
    """The planner map in Chromium and its print view, same URL: same labels, counts, order."""
    if backend != "spatialite":
        pytest.skip("browser tests run on the SpatiaLite file database")
    from tests.e2e.browser import chromium_page, e2e_app, serve_app
    from tests.web.auth_fixtures import ensure_user

    username, _ = ensure_user(seeded_engine, "planner")
    url = seeded_engine.url.render_as_string(hide_password=False)
    ready = {
        "priority": "window.ntmRankReady === true",
        "cover": "window.ntmCoverageReady >= 1",
        "gap": "window.ntmCoverageReady >= 1",
    }
    with serve_app(e2e_app(url)) as base, chromium_page(base, username) as page:
        for theme, cov in (
            ("priority", ""),
            ("cover", "quarter:2025:3"),
            ("gap", "quarter:2025:3"),
        ):
            query = f"theme={theme}" + (f"&cov={cov}" if cov else "")
            page.goto(f"{base}/map?{query}")
            page.wait_for_function(f"() => window.ntmReady === true && {ready[theme]}")
            page.wait_for_function(
                "() => document.querySelectorAll('#legend li[data-key]').length === 5"
            )
            screen = page.evaluate(SCREEN_LEGEND)
            heading = page.text_content("#legend h3")
            page.goto(f"{base}/map/print?{query}")
            printed = page.evaluate(PRINT_LEGEND)
            assert printed == screen, theme
            assert page.text_content("aside.legend h3") == heading
            assert sum(n for _, n in screen) == 78
        assert not page.outside and not page.errors
