"""Spatial core of ntm-map: models, storage, boundary IO, CRS and spatial joins.

Nothing here knows Flask or Folium.
"""
