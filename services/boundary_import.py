"""Import commune boundaries from a GIS file, all or nothing.

Read (``geo.boundary_io``) → find the CRS and reproject (``geo.crs_detect``) →
check (``geo.boundary_checks``) → match codes to the communes valid on the date →
write new geometry versions. Every problem is collected first and raised together
as one ``ImportValidationError`` naming each feature; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from geo.boundary_checks import (
    CheckReport,
    check_boundaries,
    feature_labels,
    find_overlaps_with,
)
from geo.boundary_fields import kind_from_name, name_key, prepare_frame
from geo.boundary_io import read_boundaries
from geo.crs_detect import outside_province, reproject
from geo.errors import ImportValidationError
from geo.measure import area_km2
from geo.models import METRIC_SRID, STORAGE_SRID, AdminUnit, DatasetLoad, UnitGeometry
from geo.sources import sha256_of
from geo.spatial import index_filter
from services.communes import valid_on

GEOMETRY_STATUSES = ("official", "provisional", "derived", "imported")
_CHUNK = 500

Progress = Callable[[str, int], None]


def _noop(label: str, n: int) -> None:
    pass


@dataclass
class BoundaryImportReport:
    """What an import did and found (also stored on its ``DatasetLoad``)."""

    file: str
    format: str
    features: int
    valid_from: dt.date
    crs: dict
    encoding: str | None = None
    code_column: str = "code"
    name_column: str = "name"
    updated: int = 0
    created: int = 0
    dry_run: bool = False
    dataset_load_id: int | None = None
    checks: CheckReport = field(default_factory=CheckReport)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["valid_from"] = self.valid_from.isoformat()
        return data

    def lines(self) -> list[str]:
        """The report in Vietnamese, for the command line and the import page."""
        head = [
            f"Tệp {self.file} ({self.format}): {self.features} đối tượng, "
            f"hiệu lực từ {self.valid_from:%d/%m/%Y}.",
            f"Hệ toạ độ: {self.crs['crs']} ({_HOW[self.crs['how']]}).",
            f"Cột mã: {self.code_column}; cột tên: {self.name_column}."
            + (f" Bảng mã: {self.encoding}." if self.encoding else ""),
            (
                f"Chạy thử: sẽ thêm phiên bản ranh giới mới cho {self.updated} đơn vị có sẵn; "
                f"sẽ tạo mới {self.created} đơn vị. Chưa ghi gì vào cơ sở dữ liệu."
                if self.dry_run
                else f"Đã thêm phiên bản ranh giới mới cho {self.updated} đơn vị có sẵn; "
                f"tạo mới {self.created} đơn vị."
            ),
        ]
        return head + self.notes + self.checks.lines()


_HOW = {"explicit": "chỉ định", "declared": "khai báo trong tệp", "assumed": "suy ra"}


def communes_valid_on(session: Session, day: dt.date) -> dict[str, list[AdminUnit]]:
    units = session.scalars(
        sa.select(AdminUnit).where(
            AdminUnit.level == "commune",
            AdminUnit.code.is_not(None),
            valid_on(AdminUnit, day),
        )
    )
    by_code: dict[str, list[AdminUnit]] = {}
    for unit in units:
        by_code.setdefault(str(unit.code), []).append(unit)
    return by_code


def _province_on(session: Session, day: dt.date) -> int | None:
    ids = session.scalars(
        sa.select(AdminUnit.id).where(AdminUnit.level == "province", valid_on(AdminUnit, day))
    ).all()
    return ids[0] if len(ids) == 1 else None


def match_units(
    frame: gpd.GeoDataFrame, labels: list[str], by_code: dict, create_missing: bool, day: dt.date
) -> tuple[list[int | None], list[str], list[str]]:
    """Unit id per feature (``None`` = to create), problems, and notes on differing names."""
    ids: list[int | None] = []
    problems: list[str] = []
    notes: list[str] = []
    for i, (code, name) in enumerate(zip(frame["code"], frame["name"], strict=True)):
        units = by_code.get(code, []) if code else []
        if len(units) > 1:
            problems.append(
                f"{labels[i]}: có {len(units)} đơn vị cùng mã {code} vào ngày {day:%d/%m/%Y}"
            )
            ids.append(None)
        elif units:
            ids.append(units[0].id)
            if (
                name
                and name_key(name) not in name_key(units[0].name)
                and name_key(units[0].name) not in name_key(name)
            ):
                notes.append(
                    f"{labels[i]}: tên trong tệp khác tên đã có '{units[0].name}' (giữ tên đã có)"
                )
        else:
            ids.append(None)
            if code and not create_missing:
                problems.append(
                    f"{labels[i]}: mã {code} không khớp đơn vị cấp xã nào "
                    f"có hiệu lực ngày {day:%d/%m/%Y} "
                    "(dùng --create-missing để tạo đơn vị mới)"
                )
    return ids, problems, notes


@dataclass
class CheckedImport:
    """A boundary file read, reprojected, checked and matched: ready to write."""

    frame: gpd.GeoDataFrame
    unit_ids: list[int | None]
    report: BoundaryImportReport
    sha256: str


def check_import(
    session: Session,
    path: Path,
    valid_from: dt.date,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    create_missing: bool = False,
    progress: Progress = _noop,
) -> CheckedImport:
    """Everything an import does before writing; raise ``ImportValidationError`` listing
    every problem by feature."""
    read = read_boundaries(path, encoding=encoding, layer=layer)
    progress("read", 1)
    frame, code_col, name_col = prepare_frame(read.frame, code_column, name_column)
    labels = feature_labels(frame)
    progress("features", len(frame))
    frame, decision = reproject(frame, crs)
    progress("crs", 1)
    outside = outside_province(frame, labels)
    frame, checks = check_boundaries(frame, labels)
    progress("checks", 1)
    by_code = communes_valid_on(session, valid_from)
    unit_ids, problems, name_notes = match_units(frame, labels, by_code, create_missing, valid_from)
    problems = outside + checks.problems + problems
    if not problems:
        _overlaps_with_current(session, frame, unit_ids, valid_from, checks)
    if problems:
        raise ImportValidationError(
            f"Không nhập tệp {path.name}: {len(problems)} lỗi, chưa ghi gì vào cơ sở dữ liệu. "
            "Hãy sửa các đối tượng sau rồi nhập lại.",
            details=problems,
        )
    report = BoundaryImportReport(
        file=path.name,
        format=read.format,
        features=len(frame),
        valid_from=valid_from,
        crs=decision.to_dict(),
        encoding=read.encoding,
        code_column=code_col,
        name_column=name_col,
        checks=checks,
        notes=read.notes + ([decision.note] if decision.note else []) + name_notes,
    )
    return CheckedImport(frame, unit_ids, report, sha256_of(path))


def import_boundaries(
    session: Session,
    path: Path | str,
    valid_from: dt.date,
    *,
    source: str,
    licence: str | None = None,
    attribution: str | None = None,
    status: str = "imported",
    source_date: dt.date | None = None,
    loaded_by: str = "system",
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: Progress = _noop,
    **options,
) -> BoundaryImportReport:
    """Import the communes of a boundary file valid from ``valid_from``; all or nothing.

    ``options`` are those of ``check_import`` (columns, CRS, encoding, layer,
    ``create_missing``). With ``dry_run`` everything is checked and nothing written.
    """
    _check_arguments(valid_from, status, source, today or dt.date.today())
    checked = check_import(session, Path(path), valid_from, progress=progress, **options)
    report = checked.report
    if dry_run:
        report.dry_run = True
        report.created = sum(u is None for u in checked.unit_ids)
        report.updated = report.features - report.created
        return report
    provenance = dict(
        source=source,
        licence=licence,
        attribution=attribution,
        status=status,
        source_date=source_date or valid_from,
    )
    with session.begin_nested():
        _write(session, checked.frame, checked.unit_ids, valid_from, provenance, report, progress)
        load = DatasetLoad(
            dataset="boundaries",
            source=f"{report.file}: {source}",
            sha256=checked.sha256,
            rows=report.features,
            loaded_by=loaded_by,
            report=report.to_dict(),
        )
        session.add(load)
        session.flush()
    report.dataset_load_id = load.id
    return report


def current_boundaries(
    session: Session, day: dt.date, bounds: np.ndarray, exclude: set[int]
) -> gpd.GeoDataFrame:
    """Current boundaries of the communes valid on ``day`` whose shape meets ``bounds``."""
    frame_geom = sa.func.ST_GeomFromText(shapely.box(*bounds).wkt, STORAGE_SRID)
    rows = session.execute(
        sa.select(AdminUnit.id, AdminUnit.code, sa.func.ST_AsBinary(UnitGeometry.geom))
        .join(UnitGeometry, UnitGeometry.unit_id == AdminUnit.id)
        .where(
            AdminUnit.level == "commune",
            UnitGeometry.is_current,
            valid_on(AdminUnit, day),
            index_filter(session, "unit_geometry", "geom", UnitGeometry.id, frame_geom),
            sa.func.ST_Intersects(UnitGeometry.geom, frame_geom),
            AdminUnit.id.not_in(exclude),
        )
    ).all()
    kept = list(rows)
    return gpd.GeoDataFrame(
        {"code": [str(r[1]) for r in kept]},
        geometry=shapely.from_wkb([bytes(r[2]) for r in kept]) if kept else [],
        crs=STORAGE_SRID,
    )


def _overlaps_with_current(session, frame, unit_ids, day, checks: CheckReport) -> None:
    """Add overlaps with the current boundaries of communes the file leaves as they are."""
    geoms = frame.geometry.values
    bounds = shapely.total_bounds(geoms)
    existing = current_boundaries(session, day, bounds, {u for u in unit_ids if u is not None})
    if existing.empty:
        return
    overlaps, slivers = find_overlaps_with(
        frame.to_crs(METRIC_SRID).geometry.values,
        [str(c) for c in frame["code"]],
        existing.to_crs(METRIC_SRID).geometry.values,
        list(existing["code"]),
        checks.sliver_m2,
    )
    checks.overlaps += overlaps
    checks.slivers_ignored += slivers


def _check_arguments(valid_from: dt.date, status: str, source: str, today: dt.date) -> None:
    problems = []
    if valid_from > today:
        problems.append(
            f"ngày hiệu lực {valid_from:%d/%m/%Y} ở tương lai (hôm nay {today:%d/%m/%Y})"
        )
    if status not in GEOMETRY_STATUSES:
        problems.append(f"trạng thái '{status}' không hợp lệ; dùng: {', '.join(GEOMETRY_STATUSES)}")
    if not source or not source.strip():
        problems.append("thiếu nguồn dữ liệu (--source): ranh giới nào cũng phải ghi nguồn")
    if problems:
        raise ImportValidationError("Không nhập được ranh giới: " + "; ".join(problems) + ".")


def _write(session, frame, unit_ids, valid_from, provenance, report, progress) -> None:
    new_positions = [i for i, u in enumerate(unit_ids) if u is None]
    if new_positions:
        created = _create_units(
            session, frame.iloc[new_positions], valid_from, provenance["source"]
        )
        for position, unit_id in zip(new_positions, created, strict=True):
            unit_ids[position] = unit_id
        report.created = len(created)
        report.notes.append(
            f"Đã tạo {len(created)} đơn vị cấp xã mới hiệu lực từ {valid_from:%d/%m/%Y}."
        )
    created_positions = set(new_positions)
    existing = [u for i, u in enumerate(unit_ids) if i not in created_positions]
    for start in range(0, len(existing), _CHUNK):
        session.execute(
            sa.update(UnitGeometry)
            .where(
                UnitGeometry.unit_id.in_(existing[start : start + _CHUNK]), UnitGeometry.is_current
            )
            .values(is_current=False)
        )
    report.updated = len(existing)
    areas = area_km2(frame.geometry)
    rows = [
        dict(
            unit_id=unit_id,
            geom=from_shape(geom, srid=STORAGE_SRID),
            area_km2=float(area),
            official_area_km2=None if pd.isna(official) else float(official),
            is_current=True,
            **provenance,
        )
        for unit_id, geom, area, official in zip(
            unit_ids, frame.geometry.values, areas, frame["official_area_km2"], strict=True
        )
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(sa.insert(UnitGeometry), rows[start : start + _CHUNK])
        progress("write", len(rows[start : start + _CHUNK]))


def _create_units(session, frame, valid_from: dt.date, source: str) -> list[int]:
    parent_id = _province_on(session, valid_from)
    rows = [
        dict(
            code=code,
            name=name,
            level="commune",
            kind=kind_from_name(name),
            parent_id=parent_id,
            valid_from=valid_from,
            source=source,
        )
        for code, name in zip(frame["code"], frame["name"], strict=True)
    ]
    ids: list[int] = []
    for start in range(0, len(rows), _CHUNK):
        result = session.execute(
            sa.insert(AdminUnit).returning(AdminUnit.id, sort_by_parameter_order=True),
            rows[start : start + _CHUNK],
        )
        ids += list(result.scalars())
    return ids
