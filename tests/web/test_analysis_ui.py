# ruff: noqa: F811  (pytest fixtures imported from auth_fixtures)
"""The analysis panels of the planner map and the sponsorship write API, on both databases.

The page carries the three analysis tabs, the three client-side themes and their words;
the scripts it names are served. ``/api/sponsorships`` starts and ends sponsorships
(planners only), keeps the ended row as history, refuses overlaps and stale versions, and
stores hostile notes as text. The browser recomputes the priority score from the per-factor
values of ``/api/ranking``; the same formula, written out here, gives the server's order.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, AuditEvent, Organisation, Sponsorship
from services import ranking
from tests.hostile_strings import HOSTILE_STRINGS
from tests.web.auth_fixtures import planner_client, viewer_client  # noqa: F401

CONFIG = re.compile(r'<script type="application/json" id="ntm-config">(.*?)</script>', re.S)


def _config(html: str) -> dict:
    return json.loads(CONFIG.search(html).group(1))


@pytest.fixture
def ids(app):
    """A current department and two communes valid today, and cleanup of their sponsorships."""
    engine = app.extensions["ntm_engine"]
    with Session(engine) as s:
        department = s.scalar(
            sa.select(Organisation.id)
            .where(Organisation.kind == "department", Organisation.valid_to.is_(None))
            .order_by(Organisation.id)
        )
        units = s.scalars(
            sa.select(AdminUnit.id)
            .where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.id.desc())
            .limit(2)
        ).all()
        before = set(s.scalars(sa.select(Sponsorship.id)))
    yield {"department": department, "units": units}
    with Session(engine) as s:
        s.execute(sa.delete(Sponsorship).where(Sponsorship.id.not_in(before)))
        s.commit()


def test_map_page_has_the_analysis_tabs_themes_and_words(client):
    with client.get("/map") as r:
        assert r.status_code == 200
        html = r.get_data(as_text=True)
    for tab in ("tab-rank", "tab-cover", "tab-sponsor", "rank-panel", "cover-panel"):
        assert f'id="{tab}"' in html
    for theme in ("priority", "cover", "gap"):
        assert f'<option value="{theme}">' in html
    for script in ("analysis.js", "coverage.js", "sponsorship.js"):
        assert f"/static/planner/{script}" in html
    config = _config(html)
    assert config["can_plan"] is True
    assert config["text"]["theme_priority"] == "Điểm ưu tiên"
    assert "không được tính là 0" in config["text"]["rank_missing_rule"]
    # every factor of the ranking has its reason written down for the user
    assert all(config["text"][f"why_{f}"] for f in ranking.DEFAULT_WEIGHTS)
    assert {f: config["text"][f"factor_{f}"] for f in ranking.DEFAULT_WEIGHTS} == (
        ranking.FACTOR_LABELS
    )


def test_english_words_and_viewer_without_write_controls(viewer_client):
    with viewer_client.get("/map?lang=en") as r:
        config = _config(r.get_data(as_text=True))
    assert config["can_plan"] is False
    assert config["text"]["theme_priority"] == "Priority score"
    assert config["text"]["rank_add_top"] == "Add the top {n} to the list"


@pytest.mark.parametrize("name", ["analysis.js", "coverage.js", "sponsorship.js", "planner.css"])
def test_scripts_are_served(client, name):
    with client.get(f"/static/planner/{name}") as r:
        assert r.status_code == 200
        assert len(r.data) > 1000


def test_start_end_and_history_of_a_sponsorship(planner_client, ids, app):
    dept, unit = ids["department"], ids["units"][0]
    body = {"department_id": dept, "unit_id": unit, "valid_from": "2026-01-05", "note": "Ghi chú"}
    with planner_client.post("/api/sponsorships", json=body) as r:
        assert r.status_code == 201, r.get_json()
        row = r.get_json()
    assert (row["department_id"], row["unit_id"], row["valid_from"]) == (dept, unit, "2026-01-05")
    assert row["valid_to"] is None and row["version"] == 1
    assert row["recorded_by"].startswith("test-planner")
    with planner_client.get("/api/sponsorships?day=2026-02-01") as r:
        assert row["id"] in [s["id"] for s in r.get_json()]

    # the same department again over the same days is refused, naming the period
    with planner_client.post("/api/sponsorships", json={**body, "valid_from": "2026-03-01"}) as r:
        assert r.status_code == 422
        assert "05/01/2026" in r.get_json()["error"]
    # a stale version is refused; the right one ends it
    end = f"/api/sponsorships/{row['id']}/end"
    with planner_client.post(end, json={"valid_to": "2026-06-30", "version": 7}) as r:
        assert r.status_code == 409
    with planner_client.post(end, json={"valid_to": "2026-06-30", "version": 1}) as r:
        assert r.status_code == 200
        ended = r.get_json()
    assert ended["valid_to"] == "2026-06-30" and ended["ended_by"].startswith("test-planner")
    with planner_client.post(end, json={"valid_to": "2026-07-30", "version": 2}) as r:
        assert r.status_code == 422
        assert "đã kết thúc ngày 30/06/2026" in r.get_json()["error"]

    # history keeps the ended row; it is no longer in force after its end
    with planner_client.get(f"/api/sponsorships/commune/{unit}") as r:
        history = {s["id"]: s for s in r.get_json()}
    assert history[row["id"]]["valid_to"] == "2026-06-30"
    with planner_client.get("/api/sponsorships?day=2026-07-01") as r:
        assert row["id"] not in [s["id"] for s in r.get_json()]
    with Session(app.extensions["ntm_engine"]) as s:
        actions = s.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity == "sponsorship", AuditEvent.entity_id == row["id"]
            )
        ).all()
    assert sorted(actions) == ["create", "end"]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"valid_from": None}, 400, "ngày bắt đầu"),
        ({"valid_from": "05/01/2026"}, 400, "YYYY-MM-DD"),
        ({"department_id": "x"}, 400, "department_id"),
        ({"unit_id": 0}, 400, "unit_id"),
        ({"unit_id": 99999999}, 422, "99999999"),
        ({"valid_to": "2026-01-01"}, 422, "phải sau ngày bắt đầu"),
        ({"note": "x" * 2001}, 400, "dài quá 2000"),
        ({"note": 5}, 400, "note"),
    ],
)
def test_start_refuses_bad_input_in_vietnamese(planner_client, ids, change, status, message):
    body = {"department_id": ids["department"], "unit_id": ids["units"][0]}
    body |= {"valid_from": "2026-01-05", **change}
    with planner_client.post("/api/sponsorships", json=body) as r:
        assert r.status_code == status, r.get_json()
        assert message in r.get_json()["error"]


def test_viewer_cannot_assign(viewer_client, ids):
    body = {
        "department_id": ids["department"],
        "unit_id": ids["units"][0],
        "valid_from": "2026-01-05",
    }
    with viewer_client.post("/api/sponsorships", json=body) as r:
        assert r.status_code == 403


def test_hostile_notes_are_kept_as_text(planner_client, ids):
    start = dt.date(2040, 1, 1)
    kept = 0
    for i, note in enumerate(HOSTILE_STRINGS):
        day = (start + dt.timedelta(days=2 * i)).isoformat()
        last = (start + dt.timedelta(days=2 * i + 1)).isoformat()
        body = {
            "department_id": ids["department"],
            "unit_id": ids["units"][1],
            "valid_from": day,
            "valid_to": last,
            "note": note,
        }
        with planner_client.post("/api/sponsorships", json=body) as r:
            if len(note) > 2000 or "\x00" in note:
                assert r.status_code == 400, note
                continue
            assert r.status_code == 201, (note, r.get_json())
            assert r.get_json()["note"] == note.strip()
            kept += 1
    assert kept >= 45


def _browser_order(payload: dict, weights: dict) -> list[int]:
    """The ranking as analysis.js computes it from the per-factor values."""
    total = sum(weights.values())
    rows = []
    for c in payload["communes"]:
        known = [x for x in c["contributions"] if x["value"] is not None]
        score = sum(weights[x["factor"]] * x["value"] for x in known)
        completeness = sum(weights[x["factor"]] for x in known) / total
        rows.append((-score, -completeness, c["name"], c["unit_id"]))
    return [r[3] for r in sorted(rows)]


def test_browser_formula_gives_the_servers_ranking(client):
    weights = {**ranking.DEFAULT_WEIGHTS, "no_sponsor": 10.0, "difficulty": 0.5}
    with client.get("/api/ranking") as r:
        defaults = r.get_json()
    query = "&".join(f"{k}={v}" for k, v in weights.items())
    with client.get(f"/api/ranking?{query}") as r:
        server = r.get_json()
    assert [c["unit_id"] for c in server["communes"]] == _browser_order(defaults, weights)
    assert _browser_order(defaults, weights) != _browser_order(defaults, ranking.DEFAULT_WEIGHTS)
