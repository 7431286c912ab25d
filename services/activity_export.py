"""The filtered activities as GeoJSON, GeoPackage, CSV (UTF-8 with BOM, for Excel) and Excel."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely
from geoalchemy2.shape import to_shape
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from services.activity_query import ActivityFilter, list_activities, totals
from services.spreadsheet import safe_text

#: the most rows one export holds
MAX_EXPORT_ROWS = 100_000
#: column → (Vietnamese header, Excel number format)
COLUMNS = {
    "id": ("Mã hoạt động", "0"),
    "activity_date": ("Ngày", "dd/mm/yyyy"),
    "type": ("Loại hoạt động", None),
    "organiser": ("Đơn vị tổ chức", None),
    "communes": ("Xã", None),
    "village": ("Thôn", None),
    "participants": ("Số người", "#,##0"),
    "workdays": ("Ngày công", "#,##0.0"),
    "quantity": ("Khối lượng", "#,##0.00"),
    "quantity_unit": ("Đơn vị tính", None),
    "funds_vnd": ("Kinh phí (đồng)", "#,##0"),
    "length_m": ("Chiều dài (m)", "#,##0"),
    "area_m2": ("Diện tích (m²)", "#,##0"),
    "criteria": ("Tiêu chí", None),
    "description": ("Mô tả", None),
    "created_by": ("Người ghi", None),
    "is_demo": ("Dữ liệu minh hoạ", None),
}
MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _sum(values) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def activity_rows(session: Session, flt: ActivityFilter) -> list[dict]:
    """One plain dict per activity, with the geometry under ``geometry``."""
    rows = []
    for a in list_activities(session, flt, limit=MAX_EXPORT_ROWS):
        communes = [c.unit.name for c in a.communes] or (
            [a.reported_unit.name] if a.reported_unit else []
        )
        rows.append(
            {
                "id": a.id,
                "activity_date": a.activity_date,
                "type": a.activity_type.name_vi,
                "organiser": a.organiser.name if a.organiser else None,
                "communes": "; ".join(communes),
                "village": a.village,
                "participants": a.participants,
                "workdays": a.workdays,
                "quantity": a.quantity,
                "quantity_unit": a.quantity_unit,
                "funds_vnd": a.funds_vnd,
                "length_m": _sum(c.length_m for c in a.communes),
                "area_m2": _sum(c.area_m2 for c in a.communes),
                "criteria": "; ".join(f"TC{c.number:02d} {c.name_vi}" for c in a.criteria),
                "description": a.description,
                "created_by": a.created_by,
                "is_demo": "có" if a.is_demo else "không",
                "geometry": to_shape(a.geom) if a.geom is not None else None,
            }
        )
    return rows


def activity_frame(session: Session, flt: ActivityFilter) -> gpd.GeoDataFrame:
    """The filtered activities with Vietnamese column names, EPSG:4326."""
    rows = activity_rows(session, flt)
    frame = gpd.GeoDataFrame(rows, columns=[*COLUMNS, "geometry"], geometry="geometry", crs=4326)
    return frame.rename(columns={k: v[0] for k, v in COLUMNS.items()})


def to_geojson(frame: gpd.GeoDataFrame) -> bytes:
    out = frame.copy()
    out["Ngày"] = [d.isoformat() for d in out["Ngày"]]
    return out.to_json(ensure_ascii=False, drop_id=True).encode("utf-8")


def to_geopackage(frame: gpd.GeoDataFrame) -> bytes:
    """A GeoPackage layer ``hoat_dong`` (mixed geometry types), written by pyogrio."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "hoat_dong.gpkg"
        out = frame.copy()
        out["Ngày"] = [d.isoformat() for d in out["Ngày"]]
        out.to_file(target, layer="hoat_dong", driver="GPKG", engine="pyogrio",
                    geometry_type="Unknown")  # fmt: skip
        return target.read_bytes()


def to_csv(frame: gpd.GeoDataFrame) -> bytes:
    """UTF-8 with a BOM so that Excel shows the diacritics; geometry as WKT, dates dd/mm/yyyy."""
    out = frame.drop(columns="geometry").copy()
    out["Ngày"] = [d.strftime("%d/%m/%Y") for d in out["Ngày"]]
    out["Vị trí (WKT, EPSG:4326)"] = [
        None if g is None else shapely.to_wkt(g, rounding_precision=6) for g in frame.geometry
    ]
    out = out.map(safe_text)
    return out.to_csv(index=False).encode("utf-8-sig")


def to_excel(
    frame: gpd.GeoDataFrame, session: Session | None = None, flt: ActivityFilter | None = None
) -> bytes:
    """A sheet with Vietnamese headers, number formats and a totals row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Hoạt động"
    headers = [v[0] for v in COLUMNS.values()]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in frame.drop(columns="geometry").itertuples(index=False):
        sheet.append([None if v != v else safe_text(v) for v in row])  # NaN → empty cell
    for index, (_, fmt) in enumerate(COLUMNS.values(), start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 14 if fmt else 28
        for cell in sheet[letter][1:]:
            if fmt:
                cell.number_format = fmt
    if session is not None and flt is not None:
        _totals_row(sheet, session, flt)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _totals_row(sheet, session: Session, flt: ActivityFilter) -> None:
    summary = totals(session, flt)
    names = list(COLUMNS)
    row: list[str | int | float | None] = [None] * len(names)
    row[0] = f"Tổng ({summary.count} hoạt động)"
    row[names.index("participants")] = summary.participants
    row[names.index("workdays")] = summary.workdays
    row[names.index("funds_vnd")] = summary.funds_vnd
    row[names.index("quantity_unit")] = "; ".join(f"{q:g} {u}" for u, q in summary.quantities)
    sheet.append(row)
    for index, cell in enumerate(sheet[sheet.max_row], start=1):
        cell.font = Font(bold=True)
        fmt = list(COLUMNS.values())[index - 1][1]
        if fmt and index > 1:
            cell.number_format = fmt


def export_activities(session: Session, flt: ActivityFilter, fmt: str) -> tuple[bytes, str, str]:
    """``(content, media type, file name)`` for ``fmt`` in geojson, gpkg, csv, xlsx."""
    frame = activity_frame(session, flt)
    stamp = dt.date.today().strftime("%Y%m%d")
    writers = {
        "geojson": lambda: to_geojson(frame),
        "gpkg": lambda: to_geopackage(frame),
        "csv": lambda: to_csv(frame),
        "xlsx": lambda: to_excel(frame, session, flt),
    }
    if fmt not in writers:
        from geo.errors import NtmError

        raise NtmError(f"Định dạng xuất «{fmt}» không hỗ trợ: chọn geojson, gpkg, csv hoặc xlsx.")
    return writers[fmt](), MEDIA_TYPES[fmt], f"hoat_dong_{stamp}.{fmt}"
