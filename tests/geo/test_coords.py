"""Typed coordinates in every notation, with known values and the bad inputs of issue 4."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from geo import coords
from geo.crs import VN2000_QUANG_TRI, VN2000_UTM_48N, WGS84
from geo.errors import CrsError, InvalidGeometryError

# Đông Hà, 16°48'58.7"N 107°06'01.1"E
LAT, LON = 16.8163056, 107.1003056


def _metres_apart(a: coords.ParsedPoint, lon: float, lat: float) -> float:
    to_m = Transformer.from_crs(WGS84, 32648, always_xy=True)
    x1, y1 = to_m.transform(a.lon, a.lat)
    x2, y2 = to_m.transform(lon, lat)
    return ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5


@pytest.mark.parametrize(
    "text",
    ["16.8163056, 107.1003056", "16.8163056 107.1003056", "16,8163056; 107,1003056"],
)
def test_decimal_degrees(text):
    point = coords.parse_coordinates(text)
    assert point.notation == "decimal" and point.note is None
    assert (point.lat, point.lon) == pytest.approx((LAT, LON))


def test_swapped_pair_is_fixed_and_reported():
    point = coords.parse_coordinates("107.1003056, 16.8163056")
    assert (point.lat, point.lon) == pytest.approx((LAT, LON))
    assert "Đã đổi chỗ vĩ độ và kinh độ" in point.note


def test_pair_outside_the_province_keeps_the_written_order():
    point = coords.parse_coordinates("21.03, 105.85")  # Hà Nội
    assert (point.lat, point.lon) == (21.03, 105.85)


@pytest.mark.parametrize(
    "text",
    [
        "16°48'58.7\"N 107°06'01.1\"E",
        "16° 48' 58.7\" N, 107° 06' 01.1\" E",
        "16º48′58.7″N 107º06′01.1″E",
        "16 48 58.7 N 107 06 01.1 E",
        "107°06'01.1\"E 16°48'58.7\"N",
    ],
)
def test_degrees_minutes_seconds(text):
    point = coords.parse_coordinates(text)
    assert point.notation == "dms"
    assert _metres_apart(point, 107.1003056, 16.8163056) < 1.0


def test_dms_minutes_over_sixty_refused():
    with pytest.raises(InvalidGeometryError, match="phút và giây phải nhỏ hơn 60"):
        coords.parse_coordinates("16°75'58.7\"N 107°06'01.1\"E")


@pytest.mark.parametrize(("zone", "crs"), [("tm3", VN2000_QUANG_TRI), ("utm48n", VN2000_UTM_48N)])
def test_vn2000_round_trip_within_a_metre(zone, crs):
    easting, northing = Transformer.from_crs(WGS84, crs, always_xy=True).transform(LON, LAT)
    point = coords.parse_vn2000(northing, easting, zone)
    assert _metres_apart(point, LON, LAT) < 1.0
    x, y = coords.to_vn2000(point.lon, point.lat, zone)
    assert abs(x - northing) < 1.0 and abs(y - easting) < 1.0


def test_vn2000_tm3_known_magnitudes():
    x, y = coords.to_vn2000(106.25, 16.8163056, "tm3")
    # on the central meridian the easting is the 500 km false easting
    assert abs(y - 500_000) < 300  # only the datum shift (about 200 m here)
    assert 1_855_000 < x < 1_865_000


def test_vn2000_text_and_swapped_xy():
    x, y = coords.to_vn2000(LON, LAT)
    typed = coords.parse_coordinates(f"{x:.2f}, {y:.2f}", notation="vn2000")
    assert _metres_apart(typed, LON, LAT) < 1.0
    swapped = coords.parse_vn2000(y, x)
    assert "Đã đổi chỗ X và Y" in swapped.note
    assert _metres_apart(swapped, LON, LAT) < 1.0


def test_vn2000_metres_typed_as_degrees_refused():
    with pytest.raises(CrsError, match="không phải là độ.*mét"):
        coords.parse_coordinates("1860512.3, 587211.9")


def test_degrees_typed_as_vn2000_refused():
    with pytest.raises(CrsError, match="trông như độ, không phải mét"):
        coords.parse_vn2000(16.8, 107.1)


@pytest.mark.parametrize("text", ["", "abc", "16.8", "16.8, 107.1, 3"])
def test_unreadable_text_refused(text):
    with pytest.raises(InvalidGeometryError):
        coords.parse_coordinates(text)


def test_unknown_zone_refused():
    with pytest.raises(CrsError, match="tm3 hoặc utm48n"):
        coords.parse_vn2000(1_860_000, 590_000, "utm49")
