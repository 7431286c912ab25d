"""Coordinate reference systems of Vietnamese data, VN-2000 first.

VN-2000 comes as UTM (EPSG:3405 zone 48N, EPSG:3406 zone 49N) and, in provincial
surveys, as a 3° transverse Mercator zone whose central meridian is set per
province: 106°15' for Quảng Trị (Thông tư 973/2001/TT-TCĐC).
"""

from __future__ import annotations

from pyproj import CRS

#: VN-2000 datum shift to WGS 84 (Quyết định 05/2007/QĐ-BTNMT), 7 parameters
VN2000_TOWGS84 = (
    "-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278"
)


def vn2000_tm3(central_meridian_deg: float) -> CRS:
    """VN-2000 / TM-3 zone with the given central meridian (scale 0.9999, false easting 500 km)."""
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0=0 +lon_0={central_meridian_deg} +k=0.9999 +x_0=500000 +y_0=0 "
        f"+ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs"
    )


#: VN-2000 / TM-3, central meridian 106°15' (Quảng Trị's provincial zone)
VN2000_QUANG_TRI = vn2000_tm3(106.25)
#: VN-2000 / TM-3, central meridian 106°00': the zone of the former Quảng Bình province,
#: merged into Quảng Trị on 01/07/2025; its communes' survey data still come in it
VN2000_QUANG_BINH = vn2000_tm3(106.0)
VN2000_UTM_48N = CRS.from_epsg(3405)
VN2000_UTM_49N = CRS.from_epsg(3406)
WGS84 = CRS.from_epsg(4326)

#: the province's extent in degrees (lon_min, lat_min, lon_max, lat_max), with a margin
PROVINCE_BOUNDS = (105.5, 16.0, 107.5, 18.2)
