"""The planner map page at /map through the Flask test client, on both databases."""

from __future__ import annotations

import json
import re

import pytest

from webmap.app import create_app

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def _config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="ntm-config">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_page_is_a_light_vietnamese_shell(client):
    response = client.get("/map")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Bản đồ điều phối NTM" in html and "Số tiêu chí chưa đạt" in html
    assert "Không có xã nào phù hợp bộ lọc" in html and "Đang tải bản đồ" in html
    assert len(response.get_data()) < 40_000  # no boundaries inlined: they come as JSON
    assert '"type":"Feature"' not in html
    config = _config(html)
    assert config["lang"] == "vi" and config["text"]["no_data"] == "chưa có dữ liệu"
    assert f'id="{config["map"]}"' in html and f"var {config['map']} = L.map" in html


def test_english(client):
    html = client.get("/map?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Unmet criteria" in html
    assert _config(html)["text"]["no_data"] == "no data"


def test_every_asset_is_served_by_the_app(client):
    html = client.get("/map").get_data(as_text=True)
    assets = [a for a in ASSET.findall(html) if not a.startswith(("?", "data:", "#"))]
    assert {"/vendor/leaflet/leaflet.js", "/static/planner/planner.js"} <= {
        a.split("?")[0]
        for a in assets  # static files carry ?v=<content hash>
    }
    assert any("markercluster" in a for a in assets) and any("leaflet.draw" in a for a in assets)
    for url in assets:
        assert url.startswith("/"), f"{url} is not served by the app"
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_static_scripts_escape_what_they_show(client):
    """Every script that writes HTML builds it through NTM.esc (or textContent)."""
    for name in ("planner.js", "panel.js", "lists.js", "activities.js"):
        with client.get(f"/static/planner/{name}") as response:
            source = response.get_data(as_text=True)
        assert "esc(" in source
        assert "eval(" not in source and "document.write" not in source
        assert "http://" not in source and "https://" not in source


def test_hostile_query_parameters_are_not_reflected(client):
    html = client.get('/map?lang="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert _config(html)["lang"] == "vi"


@pytest.fixture
def guarded_app(seeded_engine):
    """The app as deployed: sign-in required for changes, public reading, CSP on."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": seeded_engine.url.render_as_string(False),
            "NTM_SECRET_KEY": "test",
            "NTM_AUTH": "public-read",
        }
    )
    yield app
    app.extensions["ntm_engine"].dispose()


def test_inline_scripts_carry_the_csp_nonce(guarded_app):
    response = guarded_app.test_client().get("/map")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the Folium map script is inline"
    for attributes in inline:
        assert 'type="application/json"' in attributes or f'nonce="{nonce}"' in attributes
    assert '<meta name="csrf-token"' in html


def test_demo_banner_follows_the_data(client, seeded_engine):
    import datetime as dt

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from geo.models import Activity
    from services import demo

    banner = "DỮ LIỆU MINH HOẠ (DEMO)"
    with Session(seeded_engine) as s:
        expected = demo.has_demo_data(s)
    assert (banner in client.get("/map").get_data(as_text=True)) == expected
    with Session(seeded_engine) as s:
        made_up = Activity(
            activity_date=dt.date(2026, 11, 21), type_code="ROAD_REPAIR", is_demo=True
        )
        s.add(made_up)
        s.commit()
        made_up_id = made_up.id
    try:
        assert banner in client.get("/map").get_data(as_text=True)
    finally:
        with Session(seeded_engine) as s:
            s.execute(sa.delete(Activity).where(Activity.id == made_up_id))
            s.commit()
