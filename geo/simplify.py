"""Generalisation of a coverage of polygons for the web, shared edges kept."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.models import METRIC_SRID


def simplify_coverage(geoms: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify a set of adjacent polygons together, so no gaps or slivers open between them.

    Snaps to a 1 m grid in the metric CRS first (the source's shared edges differ by
    digitisation noise), then ``shapely.coverage_simplify``; returns the input CRS.
    """
    crs = geoms.crs
    metric = geoms.to_crs(METRIC_SRID)
    snapped = shapely.set_precision(metric.values, 1.0)
    simplified = shapely.coverage_simplify(snapped, tolerance_m)
    simplified = shapely.make_valid(simplified)
    return gpd.GeoSeries(simplified, index=geoms.index, crs=METRIC_SRID).to_crs(crs)
