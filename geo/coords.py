"""Typed coordinates → a point in EPSG:4326 (pure: no IO, no database).

Three notations are read: decimal degrees (``16.8163, 107.1003``), degrees-minutes-
seconds (``16°48'58.7"N 107°06'01.1"E``, ``16 48 58.7 N 107 6 1.1 E``) and VN-2000
metres (X = northing, Y = easting, Vietnamese survey convention) in the province's
TM-3 zone (central meridian 106°15') or UTM 48N (EPSG:3405).

Quảng Trị spans latitude ~16–18.2° and longitude ~105.5–107.5°; the two ranges do
not overlap, so a swapped pair is recognised, fixed, and the fix is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyproj import CRS, Transformer

from geo.crs import PROVINCE_BOUNDS, VN2000_QUANG_TRI, VN2000_UTM_48N, WGS84
from geo.errors import CrsError, InvalidGeometryError

LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = PROVINCE_BOUNDS
#: VN-2000 zones a user may choose for X/Y in metres
VN2000_ZONES: dict[str, CRS] = {"tm3": VN2000_QUANG_TRI, "utm48n": VN2000_UTM_48N}
#: the province's northings in metres (X), both zones: ~1,760–2,020 km
NORTHING_RANGE_M = (1_700_000.0, 2_100_000.0)

_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_DMS_SYMBOLS = re.compile(
    r"(?P<d>\d+(?:[.,]\d+)?)\s*[°º]\s*"
    r"(?:(?P<m>\d+(?:[.,]\d+)?)\s*(?:['′’]|(?=\d|\s|$))\s*)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)\s*(?:\"|″|”|''|′′)?\s*)?"
    r"(?P<h>[NSEWnsew])?"
)
_DMS_LETTERS = re.compile(r"(?P<body>[\d\s.,]+?)\s*(?P<h>[NSEWnsew])\b")


@dataclass(frozen=True)
class ParsedPoint:
    """A point read from typed text, with the notation used and any fix applied."""

    lon: float
    lat: float
    notation: str
    #: a message (Vietnamese) when the input was corrected, e.g. swapped lat/lon
    note: str | None = None


def vn_number(value: float, decimals: int = 0) -> str:
    """Vietnamese number format for messages: ``1.860.512``."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _g(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def _in_lat(value: float) -> bool:
    return LAT_MIN <= value <= LAT_MAX


def _in_lon(value: float) -> bool:
    return LON_MIN <= value <= LON_MAX


def order_lat_lon(first: float, second: float, notation: str) -> ParsedPoint:
    """Decide which of two unlabelled degree values is the latitude.

    >>> order_lat_lon(107.1003, 16.8163, "decimal").lat
    16.8163
    """
    if abs(first) > 180 or abs(second) > 180:
        raise CrsError(
            f"Toạ độ {first:g}, {second:g} không phải là độ: giá trị lớn như vậy là mét "
            "(VN-2000 X/Y). Hãy chọn kiểu toạ độ VN-2000 và nhập X (hướng bắc), Y (hướng đông)."
        )
    if _in_lat(first) and _in_lon(second):
        return ParsedPoint(lon=second, lat=first, notation=notation)
    if _in_lon(first) and _in_lat(second):
        note = (
            f"Đã đổi chỗ vĩ độ và kinh độ: {_g(first)} là kinh độ, {_g(second)} là vĩ độ "
            "(ở Quảng Trị vĩ độ khoảng 16–18,2°, kinh độ khoảng 105,5–107,5°)."
        )
        return ParsedPoint(lon=first, lat=second, notation=notation, note=note)
    if abs(first) > 90:
        raise CrsError(
            f"Không xác định được vĩ độ trong cặp {first:g}, {second:g}: vĩ độ phải từ -90 đến 90. "
            "Hãy nhập theo thứ tự vĩ độ, kinh độ."
        )
    # Neither order fits the province: take the written order (lat, lon); the
    # caller reports the distance to the province.
    return ParsedPoint(lon=second, lat=first, notation=notation)


def parse_decimal(text: str) -> ParsedPoint:
    """``"16.8163, 107.1003"`` (either order), also ``"16,8163; 107,1003"``."""
    cleaned = text.strip()
    if ";" in cleaned or (
        "." not in cleaned and re.fullmatch(rf"\s*{_NUMBER}\s+{_NUMBER}\s*", cleaned)
    ):
        parts = re.split(r"[;\s]+", cleaned.strip(" ;"))
    else:
        parts = re.split(r"[,\s]+", cleaned.strip(" ,"))
    parts = [p for p in parts if p]
    if len(parts) != 2 or not all(re.fullmatch(_NUMBER, p) for p in parts):
        raise InvalidGeometryError(
            f"Không đọc được toạ độ «{text}»: hãy nhập hai số vĩ độ, kinh độ, ví dụ 16.8163, 107.1003."
        )
    return order_lat_lon(_float(parts[0]), _float(parts[1]), "decimal")


def _dms_value(d: str, m: str | None, s: str | None, text: str) -> float:
    minutes = _float(m) if m else 0.0
    seconds = _float(s) if s else 0.0
    if minutes >= 60 or seconds >= 60:
        raise InvalidGeometryError(
            f"Toạ độ «{text}»: phút và giây phải nhỏ hơn 60 (đang là {minutes:g}′ {seconds:g}″)."
        )
    return _float(d) + minutes / 60 + seconds / 3600


def _dms_parts(text: str) -> list[tuple[float, str | None]]:
    if "°" in text or "º" in text:
        found = [m for m in _DMS_SYMBOLS.finditer(text) if m.group("d")]
        return [
            (_dms_value(m["d"], m["m"], m["s"], text), (m["h"] or "").upper() or None)
            for m in found
        ]
    found = list(_DMS_LETTERS.finditer(text))
    parts = []
    for match in found:
        numbers = re.findall(r"\d+(?:[.,]\d+)?", match["body"])
        if not 1 <= len(numbers) <= 3:
            return []
        numbers += [None] * (3 - len(numbers))
        degrees, minutes, seconds = numbers
        parts.append((_dms_value(degrees, minutes, seconds, text), match["h"].upper()))
    return parts


def parse_dms(text: str) -> ParsedPoint:
    """Degrees-minutes-seconds, with ``° ' "``, ``º ′ ″`` or spaces and N/E letters."""
    parts = _dms_parts(text)
    if len(parts) != 2:
        raise InvalidGeometryError(
            f"Không đọc được toạ độ độ-phút-giây «{text}»: ví dụ 16°48'58.7\"N 107°06'01.1\"E."
        )
    (a, ha), (b, hb) = parts
    signed = [-v if h in ("S", "W") else v for v, h in parts]
    if ha and hb:
        if {ha, hb} not in ({"N", "E"}, {"N", "W"}, {"S", "E"}, {"S", "W"}):
            raise InvalidGeometryError(
                f"Toạ độ «{text}»: cần một giá trị N/S (vĩ độ) và một giá trị E/W (kinh độ)."
            )
        lat, lon = (signed[0], signed[1]) if ha in ("N", "S") else (signed[1], signed[0])
        return ParsedPoint(lon=lon, lat=lat, notation="dms")
    return order_lat_lon(signed[0], signed[1], "dms")


def _transformer(zone: str, inverse: bool = False) -> Transformer:
    if zone not in VN2000_ZONES:
        raise CrsError(f"Múi chiếu VN-2000 «{zone}» không được hỗ trợ: chọn tm3 hoặc utm48n.")
    source, target = VN2000_ZONES[zone], WGS84
    if inverse:
        source, target = target, source
    return Transformer.from_crs(source, target, always_xy=True)


def parse_vn2000(x_m: float, y_m: float, zone: str = "tm3") -> ParsedPoint:
    """VN-2000 X (northing) and Y (easting) in metres → WGS 84 degrees."""
    note = None
    if max(abs(x_m), abs(y_m)) <= 1000:
        raise CrsError(
            f"Toạ độ VN-2000 X={x_m:g}, Y={y_m:g} trông như độ, không phải mét. "
            "Hãy chọn kiểu toạ độ thập phân (độ) hoặc nhập X, Y bằng mét."
        )
    low, high = NORTHING_RANGE_M
    if not low <= x_m <= high and low <= y_m <= high:
        x_m, y_m = y_m, x_m
        note = (
            f"Đã đổi chỗ X và Y: theo quy ước VN-2000, X là hướng bắc ({vn_number(x_m)} m), "
            f"Y là hướng đông ({vn_number(y_m)} m)."
        )
    lon, lat = _transformer(zone).transform(y_m, x_m)
    return ParsedPoint(lon=lon, lat=lat, notation=f"vn2000_{zone}", note=note)


def to_vn2000(lon: float, lat: float, zone: str = "tm3") -> tuple[float, float]:
    """WGS 84 degrees → VN-2000 (X northing, Y easting) in metres."""
    easting, northing = _transformer(zone, inverse=True).transform(lon, lat)
    return northing, easting


def parse_coordinates(text: str, notation: str = "auto", zone: str = "tm3") -> ParsedPoint:
    """Any supported notation; ``auto`` tells DMS from decimal and refuses metres as degrees."""
    text = (text or "").strip()
    if not text:
        raise InvalidGeometryError("Chưa nhập toạ độ.")
    if notation == "vn2000":
        numbers = re.findall(_NUMBER, text.replace(" ", " "))
        if len(numbers) != 2:
            raise InvalidGeometryError(
                f"Không đọc được toạ độ VN-2000 «{text}»: hãy nhập hai số X, Y (mét)."
            )
        return parse_vn2000(_float(numbers[0]), _float(numbers[1]), zone)
    looks_dms = bool(re.search(r"[°º′″'\"]|\d\s*[NSEWnsew]\b", text))
    if notation == "dms" or (notation == "auto" and looks_dms):
        return parse_dms(text)
    return parse_decimal(text)
