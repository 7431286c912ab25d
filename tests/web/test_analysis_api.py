"""The analysis JSON API through the Flask test client, on the seeded database (both backends).

The seeded database is shared with other web tests that may record facts, so the
figures are checked against the services run on the same data at the same
moment, and against invariants that hold whatever the data (ranks follow scores,
contributions add up to the score, every unsponsored priority commune gets one
suggested department). The hand-computed figures are in ``tests/services``.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy.orm import Session

from services import ranking, sponsorship_balance
from services.coverage import commune_coverage
from services.periods import Period

DAY = "2026-09-30"


@pytest.fixture
def session(seeded_engine):
    with Session(seeded_engine) as s:
        yield s


def test_coverage_of_a_quarter_matches_the_service(client, session):
    with client.get("/api/coverage?kind=quarter&year=2026&number=3") as r:
        assert r.status_code == 200
        body = r.get_json()
    assert body["period"] == {"start": "2026-07-01", "end": "2026-09-30", "label": "Quý III/2026"}
    expected = commune_coverage(session, Period.quarter(2026, 3))
    assert len(body["communes"]) == len(expected) == 78
    by_id = {c["unit_id"]: c for c in body["communes"]}
    for row in expected:
        got = by_id[row.unit_id]
        assert (got["activities"], got["participants"], got["days_since_last"]) == (
            row.activities,
            row.participants,
            row.days_since_last,
        )
    assert body["list"] is None
    assert set(body["gaps"]) >= {"no_activity", "unmet_not_addressed", "crowded", "waiting"}


def test_coverage_between_dates_and_bad_parameters(client):
    with client.get("/api/coverage?start=2026-07-01&end=2026-08-31") as r:
        assert r.get_json()["period"]["label"] == "Từ 01/07/2026 đến 31/08/2026"
    for query, message in (
        ("start=2026-07-01", "Thiếu tham số “end”"),
        ("start=01/07/2026&end=2026-08-31", "YYYY-MM-DD"),
        ("start=2026-09-01&end=2026-08-31", "phải trước"),
        ("kind=week&year=2026", "month, quarter, half hoặc year"),
        ("kind=quarter&year=2026&number=5", "Quý phải từ 1 đến 4"),
        ("kind=month&year=abc", "số nguyên"),
    ):
        with client.get(f"/api/coverage?{query}") as r:
            assert r.status_code == 400, query
            assert message in r.get_json()["error"], query


def test_coverage_excel(client):
    with client.get("/api/coverage.xlsx?kind=month&year=2026&number=7") as r:
        assert r.status_code == 200
        assert r.mimetype.endswith("spreadsheetml.sheet")
        assert "bao-cao-do-phu-20260701-20260731.xlsx" in r.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(r.data))
    try:
        assert book.sheetnames[:3] == ["Theo xã", "Khối lượng", "Khoảng trống"]
        assert book["Theo xã"].max_row == 1 + 78
        assert book["Thông tin"]["B1"].value == "Tháng 7/2026"
    finally:
        book.close()


def test_ranking_follows_weights(client, session):
    with client.get(f"/api/ranking?day={DAY}") as r:
        body = r.get_json()
    assert body["weights"] == ranking.DEFAULT_WEIGHTS
    rows = body["communes"]
    assert [c["rank"] for c in rows] == list(range(1, 79))
    assert [c["score"] for c in rows] == sorted((c["score"] for c in rows), reverse=True)
    for c in rows:
        known = [x["points"] for x in c["contributions"] if x["value"] is not None]
        assert c["score"] == pytest.approx(sum(known))
        assert c["missing"] == [x["factor"] for x in c["contributions"] if x["value"] is None]
    service = ranking.rank(session, dt.date(2026, 9, 30))
    assert [c["unit_id"] for c in rows] == [r.unit_id for r in service]
    zero = "&".join(f"{f}=0" for f in ranking.DEFAULT_WEIGHTS if f != "no_sponsor")
    with client.get(f"/api/ranking?day={DAY}&{zero}&no_sponsor=2") as r:
        only_sponsor = r.get_json()["communes"]
    for c in only_sponsor:  # the score is now the no-sponsor contribution alone
        sponsor = next(x for x in c["contributions"] if x["factor"] == "no_sponsor")
        assert c["score"] == pytest.approx(sponsor["points"]) and sponsor["weight"] == 2


def test_ranking_refuses_bad_weights(client):
    with client.get("/api/ranking?difficulty=-1") as r:
        assert r.status_code == 400 and "không âm" in r.get_json()["error"]


def test_add_ranked_to_list_refuses_bad_requests(client):
    for body, message in (
        ({}, "đúng một trong hai"),
        ({"top": 3, "min_score": 1}, "đúng một trong hai"),
        ({"top": 0}, "số nguyên dương"),
        ({"min_score": "cao"}, "phải là một số"),
        ({"top": 2, "weights": [1, 2]}, "“weights” phải là"),
        ({"top": 2, "day": "30/09/2026"}, "“day” phải là ngày"),
        ({"top": 2, "weights": {"luck": 1}}, "Không có yếu tố “luck”"),
    ):
        with client.post("/api/ranking/to-priority-list/1", json=body) as r:
            assert r.status_code == 400, body
            assert message in r.get_json()["error"]


def test_sponsorship_balance_and_suggestion(client, session):
    with client.get(f"/api/sponsorship/balance?day={DAY}") as r:
        body = r.get_json()
    day = dt.date(2026, 9, 30)
    departments = {d.name for d in sponsorship_balance.departments_on(session, day)}
    assert {x["name"] for x in body["loads"]} == departments
    assert "Sở Xây dựng" in departments and "Sở Giao thông vận tải" not in departments
    for load in body["loads"]:
        assert load["weighted_load"] >= load["communes"]  # every commune weighs at least 1
    unsponsored = {w["unit_id"] for w in body["unsponsored_priority"]}
    assigned = [a["unit_id"] for a in body["suggestion"]["assignments"]]
    assert sorted(assigned) == sorted(unsponsored)
    expected = sponsorship_balance.balance(session, day)
    assert len(body["unsponsored_priority"]) == len(expected.unsponsored_priority)


def test_match_and_area(client, session):
    unit_id = commune_coverage(session, Period.year(2026))[0].unit_id
    with client.get(f"/api/sponsorship/match/{unit_id}?day={DAY}") as r:
        body = r.get_json()
    found = sponsorship_balance.match(session, unit_id, dt.date(2026, 9, 30))
    assert body["sponsor_fits"] == found.sponsor_fits
    assert [c["code"] for c in body["criteria"]] == [c.code for c in found.criteria]
    with client.get(f"/api/sponsorship/match/999999?day={DAY}") as r:
        assert r.status_code == 404 and "Không có xã" in r.get_json()["error"]
    with client.get("/api/sponsorship/area/999999?day=2026-09-30") as r:
        assert r.get_json()["geometry"] is None
