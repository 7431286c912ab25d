# ruff: noqa: F811  (fixtures imported from test_activities_web)
"""The hostile requests that answered 500 before (issue 19), and their families: each gets a
4xx with a message naming what to fix, and no table changes — on both databases."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from geo.models import (
    Activity,
    AuditEvent,
    PlanItem,
    PriorityList,
    PriorityListItem,
    Sponsorship,
    UserAccount,
)
from tests.web.test_activities_web import SATURDAY, organiser_id, places, remove_new_activities  # noqa: F401

WATCHED = (Activity, AuditEvent, PlanItem, PriorityList, PriorityListItem, Sponsorship, UserAccount)


def _counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            m.__tablename__: s.scalar(sa.select(sa.func.count()).select_from(m)) for m in WATCHED
        }


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def _point(p) -> dict:
    return {"type": "Point", "coordinates": [p.x, p.y]}


def _activity(organiser: int, p, **extra) -> dict:
    body = {"activity_date": SATURDAY, "type_code": "ROAD_REPAIR", "organiser_id": organiser,
            "participants": 10, "geometry": _point(p)}  # fmt: skip
    return body | extra


JSON = {"Content-Type": "application/json"}

# (name, method, url, request kwargs builder(organiser, point), field or words in the message)
CASES = [
    ("body is a list", "post", "/api/activities", lambda o, p: {"data": b"[1]", "headers": JSON}, "JSON"),
    ("body is a string", "post", "/api/activities", lambda o, p: {"data": b'"s"', "headers": JSON}, "JSON"),
    ("body 50,000 levels deep", "post", "/api/activities",
     lambda o, p: {"data": _deep(50_000), "headers": JSON}, "sâu"),
    ("NaN in a body", "post", "/api/activities",
     lambda o, p: {"data": b'{"participants": NaN}', "headers": JSON}, "NaN"),
    ("Infinity in a body", "post", "/api/priority-lists",
     lambda o, p: {"data": b'{"name": "x", "version": Infinity}', "headers": JSON}, "Infinity"),
    ("description is a number", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, description=5)}, "description"),
    ("criteria ids not ids", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, criteria_ids=["abc"])}, "criteria_ids"),
    ("criteria ids an object", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, criteria_ids={"a": 1})}, "criteria_ids"),
    ("geometry a word", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry="abc")}, "Hình học"),
    ("geometry a list", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry=[1, 2])}, "Hình học"),
    ("one-point line", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry={"type": "LineString", "coordinates": [[p.x, p.y]]})}, "Hình học"),
    ("a line of one repeated point", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry={"type": "LineString", "coordinates": [[p.x, p.y], [p.x, p.y]]})}, "hai điểm"),
    ("a flat polygon", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry={"type": "Polygon", "coordinates": [[[p.x, p.y], [p.x + 0.01, p.y], [p.x + 0.02, p.y], [p.x, p.y]]]})}, "diện tích"),
    ("a circle", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry={"type": "Circle", "coordinates": [p.x, p.y], "radius": 5})}, "Hình học"),
    ("a geometry collection", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry={"type": "GeometryCollection", "geometries": [_point(p)]})}, "GeometryCollection"),
    ("a crs that is a word", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry=_point(p) | {"crs": "x"})}, None),
    ("200,000 vertices", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, geometry={"type": "LineString", "coordinates": [[p.x + i * 1e-7, p.y] for i in range(200_000)]})}, "đỉnh"),
    ("participants a list", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, participants=[1])}, "participants"),
    ("organiser an id over 2^31", "post", "/api/activities",
     lambda o, p: {"json": _activity(o, p, organiser_id=2**31)}, "organiser_id"),
    ("superscript two as a parameter", "get", "/api/map/attributes?set=²", lambda o, p: {}, "set"),
    ("superscript two as a limit", "get", "/api/activities?limit=²", lambda o, p: {}, "limit"),
    ("coverage of year 0", "get", "/api/coverage?kind=year&year=0", lambda o, p: {}, "year"),
    ("coverage of year 99999", "get", "/api/coverage?kind=year&year=99999", lambda o, p: {}, "year"),
    ("an activity id over 2^31", "get", f"/api/activities/{2**31}", lambda o, p: {}, None),
]  # fmt: skip


@pytest.mark.parametrize("name,method,url,build,words", CASES, ids=[c[0] for c in CASES])
def test_hostile_request_is_a_named_4xx_and_writes_nothing(
    client, organiser_id, places, name, method, url, build, words
):
    engine = client.application.extensions["ntm_engine"]
    before = _counts(engine)
    kwargs = build(organiser_id, places["Xã Vĩnh Linh"])
    response = getattr(client, method)(url, **kwargs)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.data[:300])
    body = response.get_json()
    assert body and body["error"], name
    if words:
        assert words.lower() in json.dumps(body, ensure_ascii=False).lower(), (name, body)
    assert _counts(engine) == before, name


def _version_abc(client, organiser_id, p):
    created = client.post(
        "/api/activities", json=_activity(organiser_id, p, confirm_duplicate=True)
    )
    assert created.status_code == 201
    activity_id = created.get_json()["id"]
    return client.put(
        f"/api/activities/{activity_id}",
        json=_activity(organiser_id, p, version="abc", confirm_duplicate=True),
    )


def test_a_version_that_is_not_a_number_is_named(client, organiser_id, places):
    response = _version_abc(client, organiser_id, places["Xã Vĩnh Linh"])
    assert response.status_code == 422 and "version" in response.get_json()["error"]


def _jpeg(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, "JPEG")
    return out.getvalue()


def _bomb_header() -> bytes:
    """A real JPEG whose header claims 60000 × 60000 pixels (the size fields rewritten)."""
    data = bytearray(_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    return bytes(data)


def _odd_exif() -> bytes:
    image = Image.new("RGB", (8, 8))
    exif = image.getexif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (1.0, 2.0, 3.0, 4.0, 5.0), "E", (200.0, 0.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _xlsx_with_doctype() -> bytes:
    from openpyxl import Workbook

    book = io.BytesIO()
    Workbook().save(book)
    source = zipfile.ZipFile(io.BytesIO(book.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            target.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "filename,content,url,field",
    [
        ("bom.jpg", _bomb_header, "/api/activities/upload", "file"),
        ("gps.jpg", _odd_exif, "/api/activities/upload", "file"),
        ("doctype.xlsx", _xlsx_with_doctype, "/activities/import", "file"),
    ],
)
def test_hostile_files_are_refused_by_name(client, filename, content, url, field):
    engine = client.application.extensions["ntm_engine"]
    before = _counts(engine)
    response = client.post(
        url,
        data={field: (io.BytesIO(content()), filename), "csrf_token": client.csrf_token},
        content_type="multipart/form-data",
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert filename in response.get_data(as_text=True)
    assert _counts(engine) == before


def test_an_account_for_a_unit_that_does_not_exist_is_explained(client):
    response = client.post(
        "/admin/accounts",
        data={"username": "nguoi-moi", "password": "mot-mat-khau-rat-dai", "role": "viewer",
              "organisation_id": "987654", "csrf_token": client.csrf_token},
        follow_redirects=True,
    )  # fmt: skip
    assert response.status_code < 500
    assert "987654" in response.get_data(as_text=True)


def test_seventy_thousand_communes_in_one_request_are_refused(client):
    engine = client.application.extensions["ntm_engine"]
    created = client.post("/api/priority-lists", json={"name": "Danh sách 70.000"})
    list_id = created.get_json()["id"]
    try:
        before = _counts(engine)
        response = client.post(
            f"/api/priority-lists/{list_id}/items",
            json={"unit_ids": list(range(1, 70_001)), "version": 1},
        )
        assert response.status_code in (400, 422) and "unit_ids" in response.get_json()["error"]
        assert _counts(engine) == before
    finally:
        with Session(engine) as s:
            s.delete(s.get(PriorityList, list_id))
            s.commit()
