"""Find the code, name and official area among the columns of a boundary file (pure).

GIS users name their columns as they like: ``code``, ``ma_xa``, ``MA_XA``, ``Mã xã``,
``fullName``, ``ten_xa``, KML's ``Name``... Names are compared lower-cased, without accents,
spaces or underscores, in the order of the lists below.
"""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import pandas as pd

from geo.errors import ImportValidationError

#: column names tried, in order, once lower-cased and stripped of accents, "_" and spaces
CODE_COLUMNS = ("code", "maxa", "madvhc", "madonvi", "maxaphuong", "communecode", "ma")
NAME_COLUMNS = ("fullname", "tendaydu", "tenxa", "tendvhc", "tendonvi", "ten", "name")
AREA_COLUMNS = ("areakm2", "dientichkm2", "dientich")
KIND_PREFIXES = {"xã": "xa", "phường": "phuong", "thị trấn": "thi_tran", "đặc khu": "dac_khu"}


def name_key(text: str) -> str:
    """``Phường Đông Hà`` → ``phuongdongha``: how names and columns are compared."""
    plain = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(c for c in plain.lower() if c.isalnum())


def pick_column(
    columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str
) -> str:
    """The column named by the user, or the first known name found (accents/case ignored)."""
    if wanted:
        if wanted not in columns:
            raise ImportValidationError(
                f"Tệp không có cột '{wanted}' ({what}). Các cột có: {', '.join(columns)}."
            )
        return wanted
    by_key = {name_key(c): c for c in reversed(columns)}
    for candidate in candidates:
        if candidate in by_key:
            return by_key[candidate]
    option = "--code-column" if what == "mã đơn vị" else "--name-column"
    raise ImportValidationError(
        f"Không tìm thấy cột {what} trong tệp. Các cột có: {', '.join(columns)}. "
        f"Hãy chỉ rõ bằng {option}."
    )


def _code_text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def prepare_frame(
    raw: gpd.GeoDataFrame, code_column: str | None, name_column: str | None
) -> tuple[gpd.GeoDataFrame, str, str]:
    """``code``, ``name``, ``official_area_km2`` and geometry, from the file's own columns."""
    columns = [c for c in raw.columns if c != raw.geometry.name]
    code_col = pick_column(columns, code_column, CODE_COLUMNS, "mã đơn vị")
    name_col = pick_column(columns, name_column, NAME_COLUMNS, "tên đơn vị")
    area_col = next((c for c in columns if name_key(c) in AREA_COLUMNS), None)
    frame = gpd.GeoDataFrame(
        {
            "code": [_code_text(v) for v in raw[code_col]],
            "name": [
                v.strip() if isinstance(v, str) and v.strip() else None for v in raw[name_col]
            ],
            "official_area_km2": pd.to_numeric(raw[area_col], errors="coerce")
            if area_col
            else None,
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    )
    return frame, code_col, name_col


def kind_from_name(name: str) -> str:
    """``xa``/``phuong``/``thi_tran``/``dac_khu`` from the name's prefix (default ``xa``)."""
    lowered = name.lower()
    return next((k for prefix, k in KIND_PREFIXES.items() if lowered.startswith(prefix)), "xa")
