"""Real boundary files for the import tests, written into ``tmp_path`` from the real communes.

Every writer produces the file a GIS user would hand over: GeoJSON, GeoPackage, a
zipped Shapefile (with or without ``.cpg``/``.prj``), KML.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio

from tests.conftest import data_dir

COMMUNES = "boundaries-raw/vnprovdb-2025-wards/quang_tri_communes_2025.geojson"

#: VN-2000 / TM-3 central meridian 106°15' as ArcGIS writes it in a .prj
VN2000_TM3_QUANG_TRI_ESRI = (
    'PROJCS["VN_2000_Quang_Tri_3_do",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",106.25],PARAMETER["Scale_Factor",0.9999],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


@functools.cache
def _all_communes() -> gpd.GeoDataFrame:
    frame = gpd.read_file(data_dir() / COMMUNES)
    return frame[["code", "fullName", "areaKm2", "geometry"]]


def real_communes(*codes: str, n: int = 3) -> gpd.GeoDataFrame:
    """Real communes (EPSG:4326, Vietnamese names): the given codes, or the first ``n``."""
    frame = _all_communes()
    frame = frame.set_index("code").loc[list(codes)].reset_index() if codes else frame.head(n)
    return frame.copy().reset_index(drop=True)


def neighbours() -> gpd.GeoDataFrame:
    """Three communes that share borders: Phường Đông Hà, Phường Nam Đông Hà, Xã Cam Lộ."""
    frame = _all_communes()
    pick = frame[frame["fullName"].isin(["Phường Đông Hà", "Phường Nam Đông Hà", "Xã Cam Lộ"])]
    return pick.copy().reset_index(drop=True)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    return path


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str = "communes") -> Path:
    pyogrio.write_dataframe(frame, path, driver="GPKG", layer=layer)
    return path


def write_kml(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame.to_crs(4326), path, driver="LIBKML")
    return path


def write_shapefile_zip(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    encoding: str = "utf-8",
    cpg: bool = True,
    prj: str | bool = True,
) -> Path:
    """A zipped shapefile; ``cpg=False`` drops the .cpg, ``prj`` may replace the .prj text."""
    folder = path.parent / f"{path.stem}_parts"
    folder.mkdir()
    shp = folder / "xa.shp"
    pyogrio.write_dataframe(frame, shp, encoding=encoding)
    if not cpg:
        shp.with_suffix(".cpg").unlink()
    if prj is False:
        shp.with_suffix(".prj").unlink(missing_ok=True)
    elif isinstance(prj, str):
        shp.with_suffix(".prj").write_text(prj, encoding="ascii")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return path
