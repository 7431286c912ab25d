"""Measurements in metres: every area and length is computed in ``METRIC_SRID``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.models import METRIC_SRID, STORAGE_SRID


def to_multipolygons(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Promote Polygons to MultiPolygons (the storage column type); keep the rest."""
    values = geoms.values
    is_polygon = shapely.get_type_id(values) == shapely.GeometryType.POLYGON
    promoted = np.array(values, dtype=object)
    promoted[is_polygon] = [shapely.MultiPolygon([g]) for g in values[is_polygon]]
    return gpd.GeoSeries(promoted, index=geoms.index, crs=geoms.crs)


def area_km2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Areas in km², measured in the metric CRS whatever the input CRS.

    >>> from shapely import box
    >>> s = gpd.GeoSeries([box(106.0, 16.0, 106.01, 16.01)], crs=4326)
    >>> round(float(area_km2(s)[0]), 3)
    1.184
    """
    crs = geoms.crs or STORAGE_SRID
    return geoms.set_crs(crs, allow_override=True).to_crs(METRIC_SRID).area.to_numpy() / 1e6


def length_m(geoms: gpd.GeoSeries) -> np.ndarray:
    """Lengths in metres, measured in the metric CRS."""
    crs = geoms.crs or STORAGE_SRID
    return geoms.set_crs(crs, allow_override=True).to_crs(METRIC_SRID).length.to_numpy()
