import json


def test_first_map_shows_78_communes_with_legend(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "78 xã, phường, đặc khu" in text
    assert "Miền núi" in text and "chưa có dữ liệu" in text
    assert json.dumps("Xã Vĩnh Linh")[1:-1] in text
    assert "cdn.jsdelivr" not in text and "/vendor/leaflet/leaflet.js" in text


def test_english(client):
    assert "Mountainous" in client.get("/?lang=en").get_data(as_text=True)


def test_leaflet_is_served_locally(client):
    with client.get("/vendor/leaflet/leaflet.js") as response:
        assert response.status_code == 200


def test_home_leads_to_the_planner_map(client):
    text = client.get("/").get_data(as_text=True)
    assert 'href="/map?lang=vi"' in text and "Mở bản đồ điều phối" in text
    assert 'href="/map?lang=en"' in client.get("/?lang=en").get_data(as_text=True)


def test_header_links_to_the_main_pages(client):
    text = client.get("/activities").get_data(as_text=True)
    for href, label in (("/map", "Bản đồ điều phối"), ("/activities", "Hoạt động"),
                        ("/priority-lists", "Danh sách ưu tiên")):  # fmt: skip
        assert f'<a href="{href}">{label}</a>' in text


def test_measured_and_published_areas_side_by_side(client):
    text = client.get("/").get_data(as_text=True)
    # measured in EPSG:32648 from the polygons; published by the source (areaKm2)
    assert "diện tích đo từ ranh giới 12.685,5 km²" in text
    assert "công bố theo nguồn 12.700,0 km²" in text


def test_json_sends_dates_as_iso_for_the_pages_to_format(app):
    """``NTM.date`` turns "2026-04-02" into 02/04/2026; Flask's own default was an HTTP date."""
    import datetime as dt

    from flask import json as flask_json

    with app.app_context():
        sent = flask_json.loads(
            flask_json.dumps(
                {"day": dt.date(2026, 4, 2), "at": dt.datetime(2026, 4, 2, 7, 30), "n": 1}
            )
        )
    assert sent == {"day": "2026-04-02", "at": "2026-04-02T07:30:00", "n": 1}


def test_dates_are_typed_as_dd_mm_yyyy_on_every_form(client):
    """No browser date picker (it shows the browser's own order, mm/dd/yyyy in English): each
    date is a dd/mm/yyyy text field, sent as typed without JavaScript, beside the ISO field
    static/common/dates.js gives the name to."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "webmap" / "templates"
    using = [p.name for p in templates.rglob("*.html") if 'type="date"' in p.read_text("utf-8")]
    assert using == ["_date_input.html"]  # named there in a comment only
    text = client.get("/activities?from=2026-07-01&to=2026-09-30").get_data(as_text=True)
    assert 'name="from" inputmode="numeric"' in text and 'value="01/07/2026"' in text
    assert '<input type="hidden" data-iso-for="from" value="2026-07-01">' in text
    assert '<input type="hidden" data-iso-for="to" value="2026-09-30">' in text
    assert "common/dates.js" in text and 'id="date-texts"' in text
    # what a browser without JavaScript sends reads the same as ISO
    typed = client.get("/activities?from=01/07/2026&to=30/09/2026").get_data(as_text=True)
    assert '<input type="hidden" data-iso-for="from" value="2026-07-01">' in typed

    def totals(page: str) -> str:
        start = page.index('id="totals"')
        return page[start : page.index("</p>", start)]

    assert totals(typed) == totals(text)
    with client.get("/reports?from=01/07/2026&to=30/09/2026") as r:
        assert r.status_code == 200 and 'value="30/09/2026"' in r.get_data(as_text=True)
