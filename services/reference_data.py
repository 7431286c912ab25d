"""Load the project's reference facts and the real boundaries into a database.

Facts come from ``services/seed/*.csv`` (built from the domain research by
``scripts/build_seed.py``, each row with its source); boundaries come from the
manifest sources (``geo.sources``). Loading is idempotent: running it twice
changes nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from geo import sources
from geo.measure import area_km2, to_multipolygons
from geo.models import (
    ActivityType,
    AdminUnit,
    Classification,
    CriteriaSet,
    Criterion,
    DatasetLoad,
    Indicator,
    NtmLevel,
    Organisation,
    UnitGeometry,
    UnitLineage,
)

SEED_DIR = Path(__file__).with_name("seed")

#: a colour per activity type, chosen to stay apart on the map (ColorBrewer-like)
ACTIVITY_COLOURS = {
    "ROAD_REPAIR": "#e41a1c",
    "ROAD_HARDEN": "#a50f15",
    "CANAL_SOLIDIFY": "#377eb8",
    "CANAL_DREDGE": "#6baed6",
    "ENV_SANITATION": "#4daf4a",
    "WASTE_COLLECTION": "#8c510a",
    "LANE_TIDY": "#ff7f00",
    "ROAD_LIGHTING": "#d4b000",
    "TREE_FLOWER_ROAD": "#1b9e77",
    "MURAL_ROAD": "#e7298a",
    "CULTURAL_HOUSE": "#984ea3",
    "SANITATION_FACILITY": "#66a61e",
    "HOUSING_SUPPORT": "#a6761d",
    "LEGAL_OUTREACH": "#666666",
    "SUPPORT_VISIT": "#1f78b4",
}

Progress = Callable[[str, int], None]


def _noop(label: str, n: int) -> None:
    pass


def _rows(name: str, seed_dir: Path = SEED_DIR) -> list[dict[str, str]]:
    with (seed_dir / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _none(text: str) -> str | None:
    return text or None


def load_units(session: Session, progress: Progress = _noop) -> dict[str, int]:
    """Insert the administrative units of the seed; return ``{key: id}``."""
    keys: dict[str, int] = {}
    existing = {
        (u.level, u.code, u.name, u.valid_from): u.id for u in session.scalars(sa.select(AdminUnit))
    }
    for row in _rows("admin_units.csv"):
        ident = (row["level"], _none(row["code"]), row["name"], _date(row["valid_from"]))
        if ident in existing:
            keys[row["key"]] = existing[ident]
            continue
        unit = AdminUnit(
            code=_none(row["code"]),
            name=row["name"],
            level=row["level"],
            kind=row["kind"],
            parent_id=keys[row["parent_key"]] if row["parent_key"] else None,
            valid_from=_date(row["valid_from"]),
            valid_to=_date(row["valid_to"]),
            source=row["source"],
        )
        session.add(unit)
        session.flush()
        keys[row["key"]] = unit.id
        progress("units", 1)
    return keys


def load_lineage(session: Session, keys: dict[str, int]) -> int:
    existing = set(
        session.execute(sa.select(UnitLineage.old_unit_id, UnitLineage.new_unit_id)).all()
    )
    added = 0
    for row in _rows("lineage.csv"):
        pair = (keys[row["old_key"]], keys[row["new_key"]])
        if pair in existing:
            continue
        session.add(
            UnitLineage(
                old_unit_id=pair[0],
                new_unit_id=pair[1],
                effective_date=_date(row["effective_date"]),
                change_type=row["change_type"],
                legal_basis=row["legal_basis"],
                confidence=row["confidence"],
                source=row["source"],
            )
        )
        added += 1
    return added


def load_classifications(session: Session, keys: dict[str, int]) -> int:
    if session.scalar(
        sa.select(sa.func.count())
        .select_from(Classification)
        .where(Classification.recorded_by == "seed")
    ):
        return 0
    rows = _rows("classifications.csv")
    session.add_all(
        Classification(
            unit_id=keys[r["unit_key"]],
            flag=r["flag"],
            value=_none(r["value"]),
            period_from=_date(r["period_from"]),
            period_to=_date(r["period_to"]),
            legal_basis=r["legal_basis"],
            confidence=r["confidence"],
            rule=r["rule"],
            source=r["source"],
            recorded_by="seed",
        )
        for r in rows
    )
    return len(rows)


def load_ntm_levels(session: Session, keys: dict[str, int]) -> int:
    if session.scalar(
        sa.select(sa.func.count()).select_from(NtmLevel).where(NtmLevel.recorded_by == "seed")
    ):
        return 0
    rows = _rows("ntm_levels.csv")
    session.add_all(
        NtmLevel(
            unit_id=keys[r["unit_key"]],
            year=int(r["year"]),
            level=r["level"],
            target_level=_none(r["target_level"]),
            target_year=int(r["target_year"]) if r["target_year"] else None,
            confidence=r["confidence"],
            rule=_none(r["rule"]),
            source=r["source"],
            recorded_by="seed",
        )
        for r in rows
    )
    return len(rows)


def load_criteria(session: Session) -> int:
    sets = {s.code: s for s in session.scalars(sa.select(CriteriaSet))}
    for row in _rows("criteria_sets.csv"):
        if row["code"] not in sets:
            sets[row["code"]] = CriteriaSet(
                code=row["code"],
                name=row["name"],
                legal_basis=row["legal_basis"],
                valid_from=_date(row["valid_from"]),
                valid_to=_date(row["valid_to"]),
                source=row["source"],
            )
            session.add(sets[row["code"]])
    session.flush()
    criteria = {(c.criteria_set_id, c.number): c for c in session.scalars(sa.select(Criterion))}
    for row in _rows("criteria.csv"):
        ident = (sets[row["set_code"]].id, int(row["number"]))
        if ident not in criteria:
            criteria[ident] = Criterion(
                criteria_set_id=ident[0],
                number=ident[1],
                code=row["code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                responsible_department=row["responsible_department_vi"],
                source=row["source"],
            )
            session.add(criteria[ident])
    session.flush()
    if not session.scalar(sa.select(sa.func.count()).select_from(Indicator)):
        for row in _rows("indicators.csv"):
            criterion = criteria[(sets[row["set_code"]].id, int(row["criterion_number"]))]
            session.add(
                Indicator(
                    criterion_id=criterion.id,
                    code=_none(row["code"]),
                    name_vi=row["name_vi"],
                    unit=_none(row["unit"]),
                    threshold_general=_none(row["threshold_general"]),
                    threshold_region=_none(row["threshold_region"]),
                    threshold_group1=_none(row["threshold_group1"]),
                    threshold_group2=_none(row["threshold_group2"]),
                    threshold_group3=_none(row["threshold_group3"]),
                    confidence=row["confidence"],
                    source=row["source"],
                )
            )
    return len(criteria)


def load_activity_types(session: Session) -> int:
    known = set(session.scalars(sa.select(ActivityType.code)))
    rows = [r for r in _rows("activity_types.csv") if r["code"] not in known]
    session.add_all(
        ActivityType(
            code=r["code"],
            name_vi=r["name_vi"],
            name_en=r["name_en"],
            unit_of_measure=r["unit_of_measure"],
            related_criterion_numbers=_none(r["related_criterion_numbers"]),
            colour=ACTIVITY_COLOURS.get(r["code"], "#555555"),
        )
        for r in rows
    )
    return len(rows)


def load_organisations(session: Session) -> int:
    by_code = {o.code: o for o in session.scalars(sa.select(Organisation))}
    rows = _rows("organisations.csv")
    for row in rows:
        if row["code"] not in by_code:
            by_code[row["code"]] = Organisation(
                code=row["code"],
                name=row["name"],
                short_name=row["short_name"],
                kind=row["kind"],
                valid_from=_date(row["valid_from"]),
                valid_to=_date(row["valid_to"]),
                source=row["source"],
            )
            session.add(by_code[row["code"]])
    session.flush()
    for row in rows:
        if row["successor_code"]:
            by_code[row["code"]].successor_id = by_code[row["successor_code"]].id
    return len(rows)


# --- boundaries -------------------------------------------------------------------------


def read_source(source: sources.BoundarySource, path: Path) -> gpd.GeoDataFrame:
    """Read a manifest source into a GeoDataFrame with ``code``, ``name``, ``official_area_km2``."""
    if source.format == "dvhcvn":
        raw = json.loads(path.read_text(encoding="utf-8"))
        records = [
            dict(
                code=raw["level1_id"],
                name=raw["name"],
                level="province",
                geometry=shapely.geometry.shape(raw),
            )
        ]
        records += [
            dict(
                code=d["level2_id"],
                name=d["name"],
                level="district",
                geometry=shapely.geometry.shape(d),
            )
            for d in raw["level2s"]
        ]
        frame = gpd.GeoDataFrame(records, crs=4326)
        frame["official_area_km2"] = None
        return frame
    frame = gpd.read_file(path).to_crs(4326)
    frame = frame.rename(columns={"areaKm2": "official_area_km2", "fullName": "name"})
    frame["code"] = frame["code"].astype(str)
    frame["level"] = "province" if source.key.startswith("province") else "commune"
    return frame


def load_boundaries(
    session: Session,
    data_dir: Path | None,
    progress: Progress = _noop,
    fetch: Callable[[str, str], bytes] | None = None,
) -> int:
    """Attach the real polygons of the manifest to their units (one geometry version each)."""
    manifest = sources.load_manifest()
    loaded = 0
    for source in manifest.values():
        if fetch:
            path = sources.locate(source, data_dir=data_dir, fetch=fetch)
        else:
            path = sources.locate(source, data_dir=data_dir)
        sha = sources.sha256_of(path)
        if session.scalar(sa.select(UnitGeometry.id).where(UnitGeometry.sha256 == sha).limit(1)):
            continue
        frame = read_source(source, path)
        frame["geometry"] = to_multipolygons(
            shapely.make_valid(frame.geometry).pipe(gpd.GeoSeries, crs=4326)
        )
        frame["area_km2"] = area_km2(frame.geometry)
        for row in frame.itertuples():
            unit = _unit_for(session, row.level, row.code, source.era)
            session.add(
                UnitGeometry(
                    unit_id=unit.id,
                    geom=from_shape(row.geometry, srid=4326),
                    area_km2=float(row.area_km2),
                    official_area_km2=None
                    if row.official_area_km2 is None
                    else float(row.official_area_km2),
                    source=source.provenance,
                    licence=source.licence,
                    attribution=source.attribution,
                    source_date=source.source_date,
                    sha256=sha,
                    status=source.status,
                )
            )
            loaded += 1
            progress("boundaries", 1)
        session.add(DatasetLoad(dataset=source.key, source=str(path), sha256=sha, rows=len(frame)))
    return loaded


def _unit_for(session: Session, level: str, code: str, era: dt.date) -> AdminUnit:
    unit = session.scalars(
        sa.select(AdminUnit).where(
            AdminUnit.level == level,
            AdminUnit.code == code,
            sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= era),
            sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > era),
        )
    ).one_or_none()
    if unit is None:
        raise LookupError(f"no {level} with code {code} valid on {era}")
    return unit


def load_all(
    session: Session, data_dir: Path | None, progress: Progress = _noop, boundaries: bool = True
) -> dict[str, int]:
    """Load every reference fact and, unless told not to, the real boundaries."""
    keys = load_units(session, progress)
    counts = {
        "units": len(keys),
        "lineage": load_lineage(session, keys),
        "criteria": load_criteria(session),
        "classifications": load_classifications(session, keys),
        "ntm_levels": load_ntm_levels(session, keys),
        "activity_types": load_activity_types(session),
        "organisations": load_organisations(session),
    }
    session.flush()
    if boundaries:
        counts["boundaries"] = load_boundaries(session, data_dir, progress)
    return counts
