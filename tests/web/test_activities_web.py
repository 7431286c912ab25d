"""The activity pages and JSON API through the test client, on both databases."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from shapely import LineString

from geo.coords import to_vn2000
from services.activities import last_saturday
from tests.geo.test_tracks import gpx, jpeg_with_gps, kml, kml_line
from tests.services.test_activity_import import _row, workbook

SATURDAY = "2026-11-21"


@pytest.fixture(autouse=True)
def remove_new_activities(app):
    """The app commits into the shared seeded database: remove what each test added."""
    import sqlalchemy as sa

    from geo.models import Activity, ActivityCommune, AuditEvent, DatasetLoad, activity_criterion

    engine = app.extensions["ntm_engine"]
    with engine.connect() as conn:
        last = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(Activity.id), 0)))
        last_load = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(DatasetLoad.id), 0)))
    yield
    with engine.begin() as conn:
        new = sa.select(Activity.id).where(Activity.id > last)
        conn.execute(sa.delete(activity_criterion).where(activity_criterion.c.activity_id.in_(new)))
        conn.execute(sa.delete(ActivityCommune).where(ActivityCommune.activity_id.in_(new)))
        conn.execute(
            sa.delete(AuditEvent).where(
                AuditEvent.entity == "activity", AuditEvent.entity_id > last
            )
        )
        conn.execute(sa.delete(Activity).where(Activity.id > last))
        conn.execute(sa.delete(DatasetLoad).where(DatasetLoad.id > last_load))


@pytest.fixture
def baseline(client):
    """What the database held before the test (other suites may have left activities)."""
    with client.get("/api/activities?limit=1") as r:
        return r.get_json()["totals"]


@pytest.fixture
def places(app):
    """Inner points of three communes, computed from the real boundaries."""
    from services.communes import communes_on
    from webmap.db import get_session

    with app.app_context():
        frame = communes_on(get_session(), last_saturday())
        names = ["Xã Vĩnh Linh", "Phường Đông Hà", "Phường Nam Đông Hà"]
        return {
            n: frame.loc[frame["name"] == n, "geometry"].iloc[0].representative_point()
            for n in names
        }


@pytest.fixture
def organiser_id(client):
    with client.get(f"/api/activities/options?date={SATURDAY}") as r:
        return next(o["id"] for o in r.get_json()["organisers"] if o["name"] == "Sở Xây dựng")


def _body(organiser_id, point, **extra) -> dict:
    data = {
        "activity_date": SATURDAY, "type_code": "ROAD_REPAIR", "organiser_id": organiser_id,
        "participants": 40, "workdays": 40, "quantity": 1.2, "funds_vnd": 5_000_000,
        "description": "<script>alert(1)</script> sửa đường",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
    }  # fmt: skip
    data.update(extra)
    return data


def _post(client, data):
    with client.post("/api/activities", json=data) as r:
        return r.status_code, r.get_json()


def test_form_page_defaults_and_organisers_valid_on_the_date(client):
    with client.get("/activities/new") as r:
        page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f'value="{last_saturday().isoformat()}"' in page
    assert "/static/vendor/draw/leaflet.draw.js" in page and 'id="activity-map"' in page
    assert "Sở Nông nghiệp và Môi trường" in page
    assert "Sở Giao thông vận tải" not in page  # merged away in 2025
    with client.get("/api/activities/options?date=2024-06-01") as r:
        names = [o["name"] for o in r.get_json()["organisers"]]
    assert "Sở Giao thông vận tải" in names


def test_create_from_drawn_line_then_list_shows_it_escaped(client, places, organiser_id, baseline):
    a, b = places["Phường Đông Hà"], places["Phường Nam Đông Hà"]
    line = {"type": "LineString", "coordinates": [[a.x, a.y], [b.x, b.y]]}
    status, body = _post(client, _body(organiser_id, a, geometry=line))
    assert status == 201, body
    assert {c["name"] for c in body["communes"]} >= {"Phường Đông Hà", "Phường Nam Đông Hà"}
    with client.get("/activities") as r:
        page = r.get_data(as_text=True)
    assert "Phường Nam Đông Hà" in page and f"Số hoạt động {baseline['count'] + 1}" in page
    with client.get(f"/activities/{body['id']}") as r:
        detail = r.get_data(as_text=True)
    assert (
        "<script>alert(1)</script>" not in detail
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    )
    with client.get("/api/activities/geojson") as r:
        assert r.get_json()["features"][0]["properties"]["description"].startswith("<script>")


def test_form_post_with_typed_coordinates(client, places, organiser_id):
    p = places["Xã Vĩnh Linh"]
    form = {k: str(v) for k, v in _body(organiser_id, p).items() if k != "geometry"}
    form["coordinates"] = f"{p.x:.6f}, {p.y:.6f}"  # swapped on purpose
    with client.post("/api/activities", data=form) as r:
        body = r.get_json()
    assert r.status_code == 201, body
    assert body["communes"][0]["name"] == "Xã Vĩnh Linh"
    assert body["notes"][0].startswith("Đã đổi chỗ vĩ độ và kinh độ")


@pytest.mark.parametrize("notation", ["decimal", "dms", "vn2000"])
def test_locate_typed_coordinates(client, places, notation):
    p = places["Xã Vĩnh Linh"]
    x, y = to_vn2000(p.x, p.y)
    lat_d, lat_m = int(p.y), (p.y - int(p.y)) * 60
    lon_d, lon_m = int(p.x), (p.x - int(p.x)) * 60
    payload = {
        "decimal": {"coordinates": f"{p.y}, {p.x}"},
        "dms": {"coordinates": f"{lat_d}º {lat_m:.5f}′ N {lon_d}º {lon_m:.5f}′ E"},
        "vn2000": {"coordinates": f"{x:.2f} {y:.2f}", "notation": "vn2000", "zone": "tm3"},
    }[notation]
    with client.post("/api/activities/locate", json=payload | {"type_code": "CANAL_DREDGE"}) as r:
        body = r.get_json()
    assert r.status_code == 200, body
    assert [c["name"] for c in body["communes"]] == ["Xã Vĩnh Linh"]
    assert {s["number"] for s in body["suggestions"]} >= {2, 8}


def test_locate_outside_and_metres_as_degrees(client):
    with client.post("/api/activities/locate", json={"coordinates": "21.03, 105.85"}) as r:
        assert r.status_code == 422
        assert "nằm ngoài tỉnh Quảng Trị, cách ranh giới tỉnh" in r.get_json()["error"]
    with client.post("/api/activities/locate", json={"coordinates": "1860512, 587211"}) as r:
        assert r.status_code == 422 and "không phải là độ" in r.get_json()["error"]


@pytest.mark.parametrize("kind", ["gpx", "kml", "geojson", "photo"])
def test_upload_each_file_kind(client, places, kind):
    a, b = places["Phường Đông Hà"], places["Phường Nam Đông Hà"]
    files = {
        "gpx": ("tuyen.gpx", gpx(track=((a.x, a.y), (b.x, b.y)))),
        "kml": ("tuyen.kml", kml([kml_line((a.x, a.y), (b.x, b.y))])),
        "geojson": ("tuyen.geojson", json.dumps(LineString([a, b]).__geo_interface__).encode()),
        "photo": ("anh.jpg", jpeg_with_gps(a.y, a.x)),
    }
    name, content = files[kind]
    with client.post("/api/activities/upload", data={"file": (io.BytesIO(content), name)}) as r:
        body = r.get_json()
    assert r.status_code == 200, body
    assert body["file_kind"] == kind and body["geometry"]["type"] in ("LineString", "Point")
    with client.post("/api/activities/locate", json={"geometry": body["geometry"]}) as r:
        assert "Phường Đông Hà" in [c["name"] for c in r.get_json()["communes"]]


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("trong.gpx", gpx(track=()), 422, "GPX «trong.gpx» trống"),
        ("nhieu.kml", kml(["<Point><coordinates>107.1,16.8</coordinates></Point>"] * 10_000), 422,
         "10.000 placemark"),
        ("anh.jpg", jpeg_with_gps(None), 422, "không có toạ độ GPS"),
        ("lon.geojson", b" " * (20 * 1024 * 1024 + 1), 413, "quá lớn"),
    ],
)  # fmt: skip
def test_bad_uploads(client, name, content, status, message):
    # the body is built here: the test client spools a large multipart body to a temporary
    # file that it never closes (a ResourceWarning under -W error)
    boundary = "ntmboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    content_type = f"multipart/form-data; boundary={boundary}"
    with client.post("/api/activities/upload", data=body, content_type=content_type) as r:
        assert r.status_code == status
        assert message in r.get_json()["error"]


def test_200_mb_upload_refused_before_reading(client):
    # the header announces 200 MB; the body is never read, so it need not be sent
    announced = {"CONTENT_LENGTH": str(200 * 1024 * 1024)}
    with client.post(
        "/api/activities/upload",
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        environ_overrides=announced,
    ) as r:
        assert r.status_code == 413
        assert "quá lớn (200,0 MB)" in r.get_json()["error"]


def test_confirmations_and_bad_fields(client, places, organiser_id):
    p = places["Xã Vĩnh Linh"]
    status, body = _post(client, _body(organiser_id, p, activity_date="2026-11-20"))
    assert status == 409 and body["details"][0]["confirm"] == "confirm_not_saturday"
    assert "không phải thứ Bảy" in body["error"]
    assert (
        _post(
            client, _body(organiser_id, p, activity_date="2026-11-20", confirm_not_saturday=True)
        )[0]
        == 201
    )
    assert _post(client, _body(organiser_id, p))[0] == 201
    status, body = _post(client, _body(organiser_id, p))
    assert status == 409 and body["details"][0]["confirm"] == "confirm_duplicate"
    status, body = _post(client, _body(organiser_id, p, type_code="XYZ", participants=20_000))
    assert status == 422
    fields = {d["field"]: d["message"] for d in body["details"]}
    assert fields["type_code"] == "Loại hoạt động: không có loại hoạt động «XYZ»."
    assert "20.000 người là không hợp lý" in fields["participants"]
    outside = _body(organiser_id, p, geometry={"type": "Point", "coordinates": [105.85, 21.03]})
    assert "cách ranh giới tỉnh" in _post(client, outside)[1]["error"]


def test_edit_conflict_delete_restore_history(client, places, organiser_id):
    p = places["Xã Vĩnh Linh"]
    _, made = _post(client, _body(organiser_id, p))
    url = f"/api/activities/{made['id']}"
    with client.put(url, json=_body(organiser_id, p, participants=60, version=1)) as r:
        assert r.status_code == 200 and r.get_json()["version"] == 2
    with client.put(url, json=_body(organiser_id, p, participants=70, version=1)) as r:
        assert r.status_code == 409 and "vừa được người khác sửa" in r.get_json()["error"]
    with client.get(f"/activities/{made['id']}/edit") as r:
        assert r.status_code == 200 and '"version": 2' in r.get_data(as_text=True)
    with client.post(f"/activities/{made['id']}/delete", data={"version": "2"}) as r:
        assert r.status_code == 302
    with client.get("/activities?deleted=1") as r:
        assert "Khôi phục" in r.get_data(as_text=True)
    with client.post(f"/activities/{made['id']}/restore") as r:
        assert r.status_code == 302
    with client.get(f"{url}/history") as r:
        events = r.get_json()
    assert [e["action"] for e in events] == ["create", "update", "delete", "restore"]
    assert events[1]["before"]["participants"] == 40 and events[1]["after"]["participants"] == 60
    with client.get(f"/activities/{made['id']}") as r:
        page = r.get_data(as_text=True)
    assert "Tạo mới" in page and "Khôi phục" in page and "participants" in page


def test_filters_totals_and_exports(client, places, organiser_id):
    p, q = places["Xã Vĩnh Linh"], places["Phường Đông Hà"]
    _post(client, _body(organiser_id, p))
    _post(
        client,
        _body(
            organiser_id, q, type_code="WASTE_COLLECTION", quantity=2, participants=10, workdays=10
        ),
    )
    mine = f"organiser={organiser_id}&from={SATURDAY}&to={SATURDAY}"
    with client.get(f"/api/activities?type=WASTE_COLLECTION&{mine}") as r:
        body = r.get_json()
    assert body["totals"]["count"] == 1 and body["totals"]["quantities"] == [["tấn (t)", 2.0]]
    with client.get(f"/activities?{mine}") as r:
        page = r.get_data(as_text=True)
    assert "Số người 50" in page and "/activities/export/xlsx?" in page
    expected = {
        "geojson": "application/geo+json", "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "gpkg": "application/geopackage+sqlite3",
    }  # fmt: skip
    for fmt, media in expected.items():
        with client.get(f"/activities/export/{fmt}?type=ROAD_REPAIR&{mine}") as r:
            assert r.status_code == 200 and r.content_type == media
            assert "attachment" in r.headers["Content-Disposition"]
            content = r.data
        if fmt == "csv":
            assert (
                content.startswith(b"\xef\xbb\xbf") and content.decode("utf-8-sig").count("\n") == 2
            )
        if fmt == "geojson":
            assert len(json.loads(content)["features"]) == 1
    with client.get("/activities/export/pdf") as r:
        assert r.status_code == 400


def test_import_page_template_and_result(client, baseline):
    with client.get("/activities/import") as r:
        assert "/activities/import/template.xlsx" in r.get_data(as_text=True)
    with client.get("/activities/import/template.xlsx") as r:
        book = load_workbook(io.BytesIO(r.data))
    assert book.active["A1"].value == "Ngày"
    book.close()
    rows = [_row(commune="Xã Vĩnh Linh"), _row(commune="Xã Vĩnh Linh", type="BAN_PHAO")]
    content = workbook(rows)
    with client.post("/activities/import", data={"file": (io.BytesIO(content), "a.xlsx")}) as r:
        page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Không nhập dòng nào" in page and "không có loại hoạt động «BAN_PHAO»" in page
    data = {"file": (io.BytesIO(content), "a.xlsx"), "mode": "valid_only"}
    with client.post("/activities/import", data=data) as r:
        page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Đã nhập: 1" in page and "Bị từ chối: 1" in page
    with client.get("/api/activities") as r:
        assert r.get_json()["totals"]["count"] == baseline["count"] + 1


def test_self_crossing_polygon_refused_then_repaired_on_request(client, places):
    p, d = places["Xã Vĩnh Linh"], 0.001
    bowtie = {"type": "Polygon", "coordinates": [[[p.x - d, p.y - d], [p.x + d, p.y + d],
              [p.x + d, p.y - d], [p.x - d, p.y + d], [p.x - d, p.y - d]]]}  # fmt: skip
    with client.post("/api/activities/locate", json={"geometry": bowtie}) as r:
        assert r.status_code == 422 and "tự cắt nhau tại toạ độ" in r.get_json()["error"]
    with client.post(
        "/api/activities/locate", json={"geometry": bowtie, "repair_geometry": True}
    ) as r:
        body = r.get_json()
    assert r.status_code == 200 and body["geometry"]["type"] == "MultiPolygon"
    assert [c["name"] for c in body["communes"]] == ["Xã Vĩnh Linh"] and body["communes"][0][
        "area_m2"
    ] > 0


def test_unit_officer_import_refuses_other_units_rows(app, baseline):
    from tests.web.auth_fixtures import login

    officer = login(app.test_client(), "department_officer", "QT44-SXD")
    rows = [_row(commune="Xã Vĩnh Linh", village="Thôn Một"),
            _row(commune="Xã Vĩnh Linh", organiser="Sở NN&MT")]  # fmt: skip
    data = {"file": (io.BytesIO(workbook(rows)), "a.xlsx"), "mode": "valid_only"}
    with officer.post("/activities/import", data=data) as r:
        page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Đã nhập: 1" in page and "Bị từ chối: 1" in page
    assert "chỉ được ghi và sửa hoạt động do chính đơn vị mình tổ chức" in page


def test_uploads_are_type_checked_before_parsing(client):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with client.post("/api/activities/upload", data={"file": (io.BytesIO(png), "track.gpx")}) as r:
        assert r.status_code == 415
        assert "track.gpx" in r.get_json()["error"] and "png" in r.get_json()["error"]
    with client.post("/activities/import", data={"file": (io.BytesIO(png), "a.xlsx")}) as r:
        assert r.status_code == 415 and "không phải loại được nhận (xlsx)" in r.get_data(
            as_text=True
        )
