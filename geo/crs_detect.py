"""Find the CRS of boundary data and bring it to storage (EPSG:4326), or refuse.

Rules, in order:
1. a CRS given explicitly by the user (``crs="EPSG:3405"``, ``"vn2000-quang-tri"``) wins;
2. otherwise the CRS the file declares (``.prj``, GeoPackage, GeoJSON = WGS 84);
3. otherwise, coordinates inside the province's bounds read as degrees are taken as
   EPSG:4326, and anything else is refused with a hint.
Coordinates that are clearly metres (|x| > 180 or |y| > 90) under a geographic CRS
are refused: it is the classic "VN-2000 metres labelled as degrees" mistake.
After reprojection every feature must lie in or near the province.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from geo.boundary_checks import format_vn
from geo.crs import (
    PROVINCE_BOUNDS,
    VN2000_QUANG_BINH,
    VN2000_QUANG_TRI,
    VN2000_UTM_48N,
    VN2000_UTM_49N,
    WGS84,
    vn2000_tm3,
)
from geo.errors import CrsError

#: names a user may type for the CRSs of Vietnamese data
CRS_ALIASES = {
    "vn2000-quang-tri": lambda: VN2000_QUANG_TRI,
    "vn2000-quang-binh": lambda: VN2000_QUANG_BINH,
    "vn2000-utm-48n": lambda: VN2000_UTM_48N,
    "vn2000-utm-49n": lambda: VN2000_UTM_49N,
    "wgs84": lambda: WGS84,
}
#: what to suggest when metres arrive without a usable CRS
VN2000_CANDIDATES = {
    "EPSG:3405": VN2000_UTM_48N,
    "EPSG:3406": VN2000_UTM_49N,
    "vn2000-quang-tri": VN2000_QUANG_TRI,
    "vn2000-quang-binh": VN2000_QUANG_BINH,
}
ACCEPTED_FORMS = (
    "EPSG:3405, EPSG:3406, EPSG:4326, vn2000-quang-tri, vn2000-quang-binh, "
    "vn2000-tm3-<kinh tuyến trục>"
)


@dataclass(frozen=True)
class CrsDecision:
    """The CRS the data was read in and how it was chosen."""

    crs: CRS
    #: ``explicit``, ``declared`` or ``assumed``
    how: str
    note: str | None = None

    @property
    def label(self) -> str:
        code = self.crs.to_epsg(min_confidence=90)
        return f"EPSG:{code}" if code else self.crs.name

    def to_dict(self) -> dict:
        return {"crs": self.label, "how": self.how, "note": self.note}


def parse_crs(text: str | int | CRS) -> CRS:
    """A CRS from what a user typed: ``EPSG:3405``, ``3405``, ``vn2000-quang-tri``, WKT..."""
    if isinstance(text, CRS):
        return text
    value = str(text).strip()
    key = value.lower().replace("_", "-").replace(" ", "-")
    if key in CRS_ALIASES:
        return CRS_ALIASES[key]()
    if key.startswith("vn2000-tm3-"):
        try:
            return vn2000_tm3(float(key.removeprefix("vn2000-tm3-").replace(",", ".")))
        except ValueError:
            pass
    try:
        return CRS.from_epsg(int(value)) if value.isdigit() else CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise CrsError(
            f"Không hiểu hệ toạ độ '{value}'. Hãy dùng ví dụ: {ACCEPTED_FORMS}."
        ) from exc


def looks_like_metres(bounds: np.ndarray) -> bool:
    """True when coordinates cannot be degrees (|x| > 180 or |y| > 90)."""
    minx, miny, maxx, maxy = bounds
    return max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90


def inside_province(bounds: np.ndarray) -> bool:
    lon_min, lat_min, lon_max, lat_max = PROVINCE_BOUNDS
    minx, miny, maxx, maxy = bounds
    return minx >= lon_min and maxx <= lon_max and miny >= lat_min and maxy <= lat_max


def fitting_vn2000(bounds: np.ndarray) -> list[str]:
    """The VN-2000 CRSs that would put these metre coordinates inside the province."""
    x = np.array([bounds[0], bounds[2]])
    y = np.array([bounds[1], bounds[3]])
    names = []
    for name, crs in VN2000_CANDIDATES.items():
        lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(x, y)
        if np.all(np.isfinite(lon)) and inside_province(np.array([lon[0], lat[0], lon[1], lat[1]])):
            names.append(name)
    return names


def vn2000_repaired(crs: CRS) -> tuple[CRS, str | None]:
    """Give back VN-2000's datum shift to a CRS that lost it on the way through a ``.prj``.

    GDAL writes a CRS built with ``+towgs84`` to an ESRI ``.prj`` without the shift (its
    datum becomes "D_Unknown_based_on_WGS_84_ellipsoid..."), 200 m off once read back.
    A transverse Mercator on the WGS 84 ellipsoid with an unnamed datum and VN-2000's
    parameters (scale 0.9999 for TM-3, 0.9996 on meridian 105°/111° for UTM) is VN-2000.
    """
    if not crs.is_projected or crs.coordinate_operation is None:
        return crs, None
    datum = crs.datum.name.lower() if crs.datum else ""
    if (
        "unknown" not in datum
        or crs.ellipsoid is None
        or "wgs 84" not in crs.ellipsoid.name.lower()
    ):
        return crs, None
    if "transverse mercator" not in crs.coordinate_operation.method_name.lower():
        return crs, None
    params = {p.name.lower(): float(p.value) for p in crs.coordinate_operation.params}
    scale = params.get("scale factor at natural origin")
    meridian = params.get("longitude of natural origin")
    if params.get("false easting") != 500000 or meridian is None:
        return crs, None
    if scale == 0.9999:
        fixed, label = vn2000_tm3(meridian), f"VN-2000 TM-3 kinh tuyến trục {meridian:g}°"
    elif scale == 0.9996 and meridian in (105, 111):
        fixed = VN2000_UTM_48N if meridian == 105 else VN2000_UTM_49N
        label = f"EPSG:{fixed.to_epsg()}"
    else:
        return crs, None
    return fixed, f"Hệ toạ độ khai báo có datum không tên trên elipxoit WGS 84: coi là {label}."


def decide_crs(declared: CRS | None, bounds: np.ndarray, explicit: str | CRS | None) -> CrsDecision:
    """Choose the CRS of the data (see the module rules) or raise ``CrsError``."""
    if explicit is not None:
        decision = CrsDecision(parse_crs(explicit), "explicit")
        if declared is not None and not declared.equals(decision.crs):
            override = f"Dùng hệ toạ độ chỉ định {decision.label} thay cho hệ khai báo trong tệp."
            decision = CrsDecision(decision.crs, "explicit", override)
    elif declared is not None:
        crs, note = vn2000_repaired(declared)
        decision = CrsDecision(crs, "declared", note)
    elif looks_like_metres(bounds):
        raise CrsError(
            "Toạ độ có vẻ là mét (VN-2000?) nhưng tệp không khai báo hệ toạ độ nên sẽ bị coi là độ "
            f"(WGS 84). {_metre_hint(bounds)}"
        )
    elif inside_province(bounds):
        note = (
            "Tệp không khai báo hệ toạ độ; toạ độ là độ nằm trong tỉnh "
            "nên coi là WGS 84 (EPSG:4326)."
        )
        return CrsDecision(WGS84, "assumed", note)
    else:
        raise CrsError(
            "Tệp không khai báo hệ toạ độ và toạ độ không nằm trong tỉnh Quảng Trị: "
            f"hãy chỉ rõ hệ toạ độ (--crs), ví dụ {ACCEPTED_FORMS}."
        )
    _check_units(decision, bounds)
    return decision


def _metre_hint(bounds: np.ndarray) -> str:
    fitting = fitting_vn2000(bounds)
    if fitting:
        return f"Hãy chỉ rõ hệ toạ độ, ví dụ --crs {' hoặc --crs '.join(fitting)}."
    return f"Hãy chỉ rõ hệ toạ độ (--crs): {ACCEPTED_FORMS}."


def _check_units(decision: CrsDecision, bounds: np.ndarray) -> None:
    if decision.crs.is_geographic and looks_like_metres(bounds):
        raise CrsError(
            "Toạ độ có vẻ là mét (VN-2000?) nhưng được khai báo là độ "
            f"({decision.label}): x từ {format_vn(bounds[0])} đến {format_vn(bounds[2])}, "
            f"y từ {format_vn(bounds[1])} đến {format_vn(bounds[3])}. {_metre_hint(bounds)}"
        )
    if decision.crs.is_projected and not looks_like_metres(bounds):
        raise CrsError(
            f"Toạ độ có vẻ là độ (kinh/vĩ độ) nhưng được khai báo là mét ({decision.label}): "
            "hãy kiểm tra tệp .prj hoặc chỉ rõ --crs EPSG:4326."
        )


def reproject(
    frame: gpd.GeoDataFrame, crs: str | CRS | None = None
) -> tuple[gpd.GeoDataFrame, CrsDecision]:
    """Decide the CRS of ``frame`` (see the module rules) and reproject it to EPSG:4326."""
    geoms = frame.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        raise CrsError("Tệp không có đối tượng nào có hình học.")
    decision = decide_crs(frame.crs, shapely.total_bounds(geoms[present]), crs)
    return frame.set_crs(decision.crs, allow_override=True).to_crs(WGS84), decision


def outside_province(frame: gpd.GeoDataFrame, labels: list[str]) -> list[str]:
    """One problem per feature (EPSG:4326) lying outside the province's bounds."""
    bounds = shapely.bounds(frame.geometry.values)
    return [
        f"{labels[i]}: nằm ngoài phạm vi tỉnh Quảng Trị sau khi chuyển hệ toạ độ "
        f"(x từ {b[0]:.4f} đến {b[2]:.4f}, y từ {b[1]:.4f} đến {b[3]:.4f})"
        for i, b in enumerate(bounds)
        if np.isfinite(b).all() and not inside_province(b)
    ]


def to_storage(
    frame: gpd.GeoDataFrame, labels: list[str], crs: str | CRS | None = None
) -> tuple[gpd.GeoDataFrame, CrsDecision]:
    """Reproject ``frame`` to EPSG:4326; refuse features that then lie outside the province.

    ``labels`` name each feature in messages (e.g. "đối tượng thứ 3 (mã 19330)").
    """
    result, decision = reproject(frame, crs)
    outside = outside_province(result, labels)
    if outside:
        raise CrsError(
            f"{len(outside)} đối tượng nằm ngoài tỉnh Quảng Trị sau khi chuyển từ {decision.label} "
            "sang WGS 84: hãy kiểm tra hệ toạ độ (--crs) hoặc bỏ các đối tượng đó.",
            details=outside,
        )
    return result, decision
