"""Vector tiles of the communes on both databases: TileJSON, tiles that hold the right communes,
cache headers a proxy can use, and addresses outside the tile matrix refused."""

from __future__ import annotations

import mapbox_vector_tile
import mercantile
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import BoundaryLevelBuild, BoundaryLevelFeature
from services import vector_tiles
from services.map_boundaries import ZOOM_LEVELS


def _tilejson(client) -> dict:
    response = client.get("/tiles/communes.json")
    assert response.status_code == 200
    return response.get_json()


def _label(client, engine, name: str) -> tuple[int, float, float]:
    from tests.web.test_map_api import _unit_id

    unit_id = _unit_id(engine, name)
    lat, lon = client.get("/api/map/labels").get_json()[str(unit_id)]
    return unit_id, lat, lon


def _decode(data: bytes) -> list[dict]:
    return mapbox_vector_tile.decode(data).get("communes", {}).get("features", []) if data else []


def test_tilejson_names_the_layer_and_a_versioned_url(client):
    doc = _tilejson(client)
    assert doc["tilejson"] == "3.0.0"
    assert doc["vector_layers"][0]["id"] == "communes"
    version = doc["ntm:boundary_version"]
    assert doc["tiles"][0].endswith(f"/tiles/communes/{{z}}/{{x}}/{{y}}.mvt?v={version}")
    west, south, east, north = doc["bounds"]
    assert 105.5 < west < east < 108 and 16 < south < north < 18.2


def test_the_province_tile_holds_all_78_communes(client):
    west, south, east, north = _tilejson(client)["bounds"]
    for z in (6, 7):
        tiles = list(mercantile.tiles(west, south, east, north, zooms=z))
        ids: set[int] = set()
        for t in tiles:
            response = client.get(f"/tiles/communes/{t.z}/{t.x}/{t.y}.mvt")
            assert response.status_code == 200
            assert response.mimetype == "application/vnd.mapbox-vector-tile"
            features = _decode(response.get_data())
            assert all(f["properties"]["name"] for f in features)
            ids |= {int(f["id"]) for f in features}
        assert len(ids) == 78


def test_a_street_tile_holds_the_commune_under_it_and_few_others(client, seeded_engine):
    unit_id, lat, lon = _label(client, seeded_engine, "Xã Vĩnh Linh")
    t = mercantile.tile(lon, lat, 13)
    features = _decode(client.get(f"/tiles/communes/13/{t.x}/{t.y}.mvt").get_data())
    ids = {int(f["id"]) for f in features}
    assert unit_id in ids and len(ids) < 10


def test_a_tile_in_the_sea_far_away_is_empty(client):
    t = mercantile.tile(120.0, 10.0, 10)
    response = client.get(f"/tiles/communes/10/{t.x}/{t.y}.mvt")
    assert response.status_code == 200 and response.get_data() == b""


def test_versioned_tiles_are_immutable_and_revalidate(client):
    version = _tilejson(client)["ntm:boundary_version"]
    url = f"/tiles/communes/7/102/56.mvt?v={version}"
    response = client.get(url)
    assert response.cache_control.immutable and response.cache_control.max_age >= 86400
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    unversioned = client.get("/tiles/communes/7/102/56.mvt")
    assert not unversioned.cache_control.immutable and unversioned.cache_control.max_age == 300


@pytest.mark.parametrize("path", ["17/0/0", "3/8/0", "3/0/8", "0/1/0"])
def test_addresses_outside_the_matrix_are_refused_in_vietnamese(client, path):
    response = client.get(f"/tiles/communes/{path}.mvt")
    assert response.status_code == 400
    assert "Ô " in response.get_json()["error"] or "Mức thu phóng" in response.get_json()["error"]


def test_tiles_need_a_signed_in_user(anon_client):
    response = anon_client.get("/tiles/communes/7/102/56.mvt")
    assert response.status_code in (302, 401)


def test_levels_are_built_once_per_version(seeded_engine):
    import datetime as dt

    day = dt.date.today()
    with Session(seeded_engine) as session:
        first = vector_tiles.ensure_build(session, day)
        second = vector_tiles.ensure_build(session, day)
        assert first == second and first.feature_count == 78
        stored = session.scalar(
            sa.select(sa.func.count()).where(BoundaryLevelFeature.version == first.version)
        )
        builds = session.scalar(
            sa.select(sa.func.count())
            .select_from(BoundaryLevelBuild)
            .where(BoundaryLevelBuild.version == first.version)
        )
    assert stored == 78 * len(ZOOM_LEVELS) and builds == 1


def test_postgis_and_python_encoders_agree_on_the_communes(seeded_engine):
    """The same stored level gives the same communes in a tile whichever encoder draws it."""
    import datetime as dt

    with Session(seeded_engine) as session:
        build = vector_tiles.ensure_build(session, dt.date.today())
        for z, x, y in [(7, 102, 56), (9, 411, 226), (12, 3290, 1810)]:
            level = vector_tiles.map_boundaries.level_for_zoom(z)
            python_ids = vector_tiles.feature_ids(
                vector_tiles._encoded_tile(session, build.version, level, z, x, y)
            )
            served_ids = vector_tiles.feature_ids(vector_tiles.tile(session, build, z, x, y))
            assert python_ids == served_ids
