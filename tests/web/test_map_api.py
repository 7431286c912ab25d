"""The planner map's JSON API through the Flask test client, on both databases.

The web fixtures use the seeded engine itself (not a rolled-back session), so
every fixture here that writes removes what it wrote.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    Organisation,
    PriorityList,
    PriorityListItem,
    Sponsorship,
)
from geo.spatial import to_db_geometry

HOSTILE = "<img src=x onerror=alert(1)>"
TODAY = dt.date.today()


def _unit_id(engine, name: str) -> int:
    with Session(engine) as s:
        return s.scalars(
            sa.select(AdminUnit.id).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
        ).one()


@pytest.fixture
def activities(seeded_engine):
    """Two activities in Xã Vĩnh Linh (a point and a road), removed afterwards."""
    unit_id = _unit_id(seeded_engine, "Xã Vĩnh Linh")
    with Session(seeded_engine) as s:
        organiser = s.scalars(sa.select(Organisation).order_by(Organisation.code)).first()
        road = shapely.LineString([(107.0, 17.0), (107.01, 17.01)])
        rows = [
            Activity(activity_date=TODAY - dt.timedelta(days=3), type_code="LANE_TIDY",
                     geom=to_db_geometry(shapely.Point(107.0, 17.0)), organiser_id=organiser.id,
                     description=HOSTILE),
            Activity(activity_date=TODAY - dt.timedelta(days=20), type_code="ROAD_REPAIR",
                     geom=to_db_geometry(road), quantity=1.4),
        ]  # fmt: skip
        for a in rows:
            a.communes.append(ActivityCommune(unit_id=unit_id))
            s.add(a)
        s.commit()
        ids, organiser_id = [a.id for a in rows], organiser.id
    yield {"ids": ids, "unit_id": unit_id, "organiser_id": organiser_id}
    with Session(seeded_engine) as s:
        s.execute(sa.delete(ActivityCommune).where(ActivityCommune.activity_id.in_(ids)))
        s.execute(sa.delete(Activity).where(Activity.id.in_(ids)))
        s.commit()


@pytest.fixture
def hostile_names(seeded_engine):
    """A commune and a department renamed to markup, a sponsorship with a hostile note."""
    unit_id = _unit_id(seeded_engine, "Xã Cam Lộ")
    with Session(seeded_engine) as s:
        department = Organisation(
            code="TEST-HOSTILE", name=HOSTILE, short_name=HOSTILE, kind="department"
        )
        s.add(department)
        s.flush()
        s.add(Sponsorship(department_id=department.id, unit_id=unit_id,
                          valid_from=dt.date(2025, 7, 1), note=HOSTILE))  # fmt: skip
        s.execute(sa.update(AdminUnit).where(AdminUnit.id == unit_id).values(name=HOSTILE))
        s.commit()
        department_id = department.id
    yield {"unit_id": unit_id, "department_id": department_id}
    with Session(seeded_engine) as s:
        s.execute(sa.delete(Sponsorship).where(Sponsorship.department_id == department_id))
        s.execute(sa.delete(Organisation).where(Organisation.id == department_id))
        s.execute(sa.update(AdminUnit).where(AdminUnit.id == unit_id).values(name="Xã Cam Lộ"))
        s.commit()


def _json(response):
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


def test_config_lists_choices(client):
    data = client.get("/api/map/config").get_json()
    assert [s["name"] for s in data["criteria_sets"]][-1].endswith("2026–2030")
    assert data["default_criteria_set"] == data["criteria_sets"][-1]["id"]
    assert data["basemaps"] == [{"key": "none", "url": None, "attribution": None}]
    assert [b["level"] for b in data["zoom_bands"]] == [0, 1, 2]
    assert len(data["activity_types"]) == 15 and data["departments"]


def test_osm_basemap_only_when_configured(app, client):
    app.config["NTM_BASEMAP"] = "osm"
    keys = [b["key"] for b in client.get("/api/map/config").get_json()["basemaps"]]
    assert keys == ["none", "osm"]
    app.config["NTM_BASEMAP"] = "/tiles/{z}/{x}/{y}.png"
    basemaps = client.get("/api/map/config").get_json()["basemaps"]
    assert basemaps[-1] == {
        "key": "local",
        "url": "/tiles/{z}/{x}/{y}.png",
        "attribution": "local tiles",
    }


@pytest.mark.parametrize("level", [0, 1, 2])
def test_boundaries_geometry_only_cacheable_and_compressed(client, level):
    response = client.get(f"/api/map/boundaries/{level}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    data = _json(response)
    assert len(data["features"]) == 78
    assert all(f["properties"] == {} and isinstance(f["id"], int) for f in data["features"])
    etag = response.headers["ETag"]
    again = client.get(f"/api/map/boundaries/{level}", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_coarser_levels_are_smaller(client):
    sizes = [len(client.get(f"/api/map/boundaries/{i}").get_data()) for i in range(3)]
    assert sizes[0] < sizes[1] < sizes[2]
    assert sizes[0] < 120_000


def test_boundaries_of_a_view(client, seeded_engine):
    unit_id = _unit_id(seeded_engine, "Xã Vĩnh Linh")
    lat, lon = client.get("/api/map/labels").get_json()[str(unit_id)]
    bbox = f"{lon - 0.02},{lat - 0.02},{lon + 0.02},{lat + 0.02}"
    data = client.get(f"/api/map/boundaries/2?bbox={bbox}").get_json()
    ids = [f["id"] for f in data["features"]]
    assert unit_id in ids and len(ids) < 78


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "107,17,106,18"])
def test_bad_bbox_is_named(client, bbox):
    response = client.get(f"/api/map/boundaries/1?bbox={bbox}")
    assert response.status_code == 400 and "bbox" in response.get_json()["error"]


def test_unknown_level_is_a_vietnamese_error(client):
    response = client.get("/api/map/boundaries/7")
    assert response.status_code == 400
    assert "mức đơn giản hoá" in response.get_json()["error"]


def test_outline_and_labels(client):
    outline = client.get("/api/map/outline").get_json()
    assert len(outline["features"]) == 1
    assert outline["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    sizes = [len(client.get(f"/api/map/outline?level={i}").get_data()) for i in range(3)]
    assert sizes[0] < sizes[1] < sizes[2]
    assert client.get("/api/map/outline?level=9").status_code == 400
    labels = client.get("/api/map/labels").get_json()
    assert len(labels) == 78
    lat, lon = next(iter(labels.values()))
    assert 15 < lat < 19 and 105 < lon < 108


def test_attributes_every_theme_with_counts(client):
    data = client.get("/api/map/attributes").get_json()
    assert len(data["communes"]) == 78
    assert set(data["themes"]) == {
        "difficulty", "unmet", "criterion", "ntm", "sponsor", "coverage", "recency",
    }  # fmt: skip
    for theme in data["themes"].values():
        assert sum(c["count"] for c in theme["classes"]) == 78
        assert all(c["label"] and c["color"] for c in theme["classes"])
    no_data = data["themes"]["unmet"]["classes"][-1]
    assert no_data["key"] == "no_data" and no_data["label"] == "chưa có dữ liệu"
    assert no_data["color"] == "url(#ntm-hatch)" and no_data["count"] > 0
    assert "Huyện Vĩnh Linh" in data["districts"]


def test_attributes_in_english(client):
    data = client.get("/api/map/attributes?lang=en").get_json()
    labels = [c["label"] for c in data["themes"]["difficulty"]["classes"]]
    assert "Mountainous" in labels and "no data" in labels


@pytest.mark.parametrize(
    ("query", "fragment"),
    [("date=26/11/2026", "YYYY-MM-DD"), ("from=2026-10-01&to=2026-09-01", "trước hoặc bằng"),
     ("set=abc", "phải là một số"), ("organisers=1,x", "danh sách số")],
)  # fmt: skip
def test_bad_parameters_are_named(client, query, fragment):
    response = client.get(f"/api/map/attributes?{query}")
    assert response.status_code == 400
    assert fragment in response.get_json()["error"]


def test_activities_of_the_period(client, activities):
    start = (TODAY - dt.timedelta(days=30)).isoformat()
    data = _json(client.get(f"/api/map/activities?from={start}&to={TODAY.isoformat()}"))
    mine = {f["id"]: f for f in data["features"] if f["id"] in activities["ids"]}
    assert {f["geometry"]["type"] for f in mine.values()} == {"Point", "LineString"}
    point = mine[activities["ids"][0]]
    assert point["properties"] == {
        "t": "LANE_TIDY", "d": (TODAY - dt.timedelta(days=3)).isoformat(), "o": activities["organiser_id"],
    }  # fmt: skip
    roads = _json(client.get(f"/api/map/activities?from={start}&types=ROAD_REPAIR"))
    assert [f["id"] for f in roads["features"] if f["id"] in activities["ids"]] == [
        activities["ids"][1]
    ]
    by_org = _json(
        client.get(f"/api/map/activities?from={start}&organisers={activities['organiser_id']}")
    )
    assert [f["id"] for f in by_org["features"] if f["id"] in activities["ids"]] == [
        activities["ids"][0]
    ]
    recent = _json(
        client.get(f"/api/map/activities?from={(TODAY - dt.timedelta(days=10)).isoformat()}")
    )
    assert activities["ids"][1] not in {f["id"] for f in recent["features"]}


def test_activity_coverage_reaches_the_attributes(client, activities):
    data = client.get("/api/map/attributes").get_json()
    row = data["communes"][str(activities["unit_id"])]
    assert row["activities"] >= 2 and row["days_since"] <= 3
    assert data["themes"]["recency"]["assign"][str(activities["unit_id"])] == "le:30"


def test_activity_detail_and_missing_one(client, activities):
    detail = client.get(f"/api/map/activities/{activities['ids'][0]}").get_json()
    assert detail["description"] == HOSTILE and detail["communes"] == ["Xã Vĩnh Linh"]
    missing = client.get("/api/map/activities/999999")
    assert missing.status_code == 404 and "Không tìm thấy hoạt động" in missing.get_json()["error"]


@pytest.mark.parametrize(
    ("query", "expected"), [("vinh linh", "Xã Vĩnh Linh"), ("dakrong", "Xã Đakrông")]
)
def test_search(client, query, expected):
    hits = client.get("/api/map/search", query_string={"q": query}).get_json()
    assert hits[0]["name"] == expected


def test_commune_panel(client, seeded_engine):
    unit_id = _unit_id(seeded_engine, "Xã Vĩnh Linh")
    panel = client.get(f"/api/map/communes/{unit_id}").get_json()
    assert panel["name"] == "Xã Vĩnh Linh" and panel["kind"] == "xa"
    assert panel["area_km2"] > 0
    assert panel["former_units"] and all(u["legal_basis"] for u in panel["former_units"])
    assert {c["flag"] for c in panel["classifications"]} >= {"mountainous", "coastal_sandy"}
    items = panel["criteria"]["items"]
    assert len(items) == 10 and {i["status"] for i in items} == {"no_data"}
    assert panel["in_priority_list"] is None


def test_commune_panel_knows_the_priority_list(client, seeded_engine):
    unit_id = _unit_id(seeded_engine, "Xã Vĩnh Linh")
    with Session(seeded_engine) as s:
        plist = PriorityList(name="test list")
        s.add(plist)
        s.flush()
        s.add(PriorityListItem(priority_list_id=plist.id, unit_id=unit_id, added_by="test"))
        s.commit()
        list_id = plist.id
    try:
        assert client.get(f"/api/map/communes/{unit_id}?list={list_id}").get_json()[
            "in_priority_list"
        ]
        other = _unit_id(seeded_engine, "Xã Đakrông")
        assert (
            client.get(f"/api/map/communes/{other}?list={list_id}").get_json()["in_priority_list"]
            is False
        )
    finally:
        with Session(seeded_engine) as s:
            s.execute(
                sa.delete(PriorityListItem).where(PriorityListItem.priority_list_id == list_id)
            )
            s.execute(sa.delete(PriorityList).where(PriorityList.id == list_id))
            s.commit()


def test_unknown_commune_is_404_in_vietnamese(client):
    response = client.get("/api/map/communes/999999")
    assert response.status_code == 404
    assert "Không tìm thấy xã" in response.get_json()["error"]


def test_communes_in_a_drawn_rectangle(client, seeded_engine):
    labels = client.get("/api/map/labels").get_json()
    unit_id = _unit_id(seeded_engine, "Xã Vĩnh Linh")
    lat, lon = labels[str(unit_id)]
    box = shapely.box(lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005)
    found = client.post(
        "/api/map/communes-in-shape", json={"geometry": shapely.geometry.mapping(box)}
    )
    assert unit_id in found.get_json()["unit_ids"]


@pytest.mark.parametrize(
    "body", [{}, {"geometry": {"type": "Polygon"}}, {"geometry": "x"},
             {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}],
)  # fmt: skip
def test_bad_drawings_are_refused(client, body):
    response = client.post("/api/map/communes-in-shape", json=body)
    assert response.status_code == 422
    assert "vẽ" in response.get_json()["error"]


def test_hostile_names_travel_as_data(client, hostile_names):
    unit_id, department_id = hostile_names["unit_id"], hostile_names["department_id"]
    attributes = client.get("/api/map/attributes")
    assert attributes.mimetype == "application/json"
    data = attributes.get_json()
    assert data["communes"][str(unit_id)]["name"] == HOSTILE
    sponsor = data["themes"]["sponsor"]
    assert {"key": f"dept:{department_id}", "label": HOSTILE} in [
        {"key": c["key"], "label": c["label"]} for c in sponsor["classes"]
    ]
    panel = client.get(f"/api/map/communes/{unit_id}").get_json()
    assert panel["sponsors"][0]["note"] == HOSTILE
    hits = client.get("/api/map/search", query_string={"q": "img src"}).get_json()
    assert hits[0]["name"] == HOSTILE
