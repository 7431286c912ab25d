"""Build ntm-map's seed files (services/seed/*.csv) from the domain research.

Run once when the research in ``../shared/data/domain`` changes:

    .venv/bin/python scripts/build_seed.py ../shared/data

Every output row keeps its source. Unknown stays empty: nothing is invented.
Units get stable text keys (``C2020:19333`` = commune 19333 of 2020–2024,
``C2025:19333`` = commune 19333 of today's province) because official codes are
reused across periods.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "services" / "seed"

KINDS = [
    ("Thành phố", "thanh_pho"),
    ("Thị trấn", "thi_tran"),
    ("Thị xã", "thi_xa"),
    ("Đặc khu", "dac_khu"),
    ("Phường", "phuong"),
    ("Huyện", "huyen"),
    ("Xã", "xa"),
]
NQ832 = "2020-01-01"
NQ1281 = "2025-01-01"
NQ1680 = "2025-07-01"
SRC_2025_UNITS = "Nghị quyết 1680/NQ-UBTVQH15 16/06/2025; codes Công văn 1027/CTK-CSCL 25/06/2025"


def kind_of(name: str) -> str:
    for prefix, kind in KINDS:
        if name.casefold().startswith(prefix.casefold() + " "):
            return kind
    raise ValueError(f"cannot tell the kind of {name!r}")


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write(name: str, rows: list[dict], fields: list[str]) -> None:
    with (OUT / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def build_units_and_lineage(data: Path):
    domain = data / "domain"
    communes_2020 = [r for r in read(domain / "quang_tri_communes.csv") if r["gso_code"]]
    crosswalk = read(domain / "quang_tri_admin_crosswalk.csv")
    units_2025 = read(domain / "quang_tri_units_2025.csv")
    districts = json.loads((data / "boundaries-raw/dvhcvn-gis-districts-2020/45.json").read_text())
    district_code = {d["name"]: d["level2_id"] for d in districts["level2s"]}

    units: list[dict] = [
        dict(
            key="P45",
            code="45",
            name="Tỉnh Quảng Trị",
            level="province",
            kind="tinh",
            parent_key="",
            valid_from="1989-07-01",
            valid_to=NQ1680,
            source="Quảng Trị re-established 01/07/1989; merged into the new Quảng Trị by NQ 202/2025/QH15",
        ),
        dict(
            key="P44",
            code="44",
            name="Tỉnh Quảng Trị",
            level="province",
            kind="tinh",
            parent_key="",
            valid_from=NQ1680,
            valid_to="",
            source="NQ 202/2025/QH15 12/06/2025 (Quảng Bình + Quảng Trị); province code 44 per CV 915/CTK-CSCL",
        ),
    ]
    for name, code in district_code.items():
        units.append(
            dict(
                key=f"D2019:{code}",
                code=code,
                name=name,
                level="district",
                kind=kind_of(name),
                parent_key="P45",
                valid_from="",
                valid_to=NQ1680,
                source="GSO district list; boundaries dvhcvn data/gis/45.json (2019)",
            )
        )

    created_2020 = {
        r["new_gso_code"]
        for r in crosswalk
        if r["effective_date"] == NQ832 and r["change_type"] == "merge_new"
    }
    ended_2025a = {r["old_gso_code"] for r in crosswalk if r["effective_date"] == NQ1281}
    for r in communes_2020:
        units.append(
            dict(
                key=f"C2020:{r['gso_code']}",
                code=r["gso_code"],
                name=r["commune_vi"],
                level="commune",
                kind=kind_of(r["commune_vi"]),
                parent_key=f"D2019:{district_code[r['district_vi']]}",
                valid_from=NQ832 if r["gso_code"] in created_2020 else "",
                valid_to=NQ1281 if r["gso_code"] in ended_2025a else NQ1680,
                source=r["source"].split(" | ")[0],
            )
        )

    lineage: list[dict] = []
    key_2020 = {u["code"]: u["key"] for u in units if u["key"].startswith("C2020:")}
    for r in crosswalk:
        base = dict(
            effective_date=r["effective_date"],
            legal_basis=r["legal_basis"],
            confidence=r["confidence"],
            source=r["source"],
        )
        change = r["change_type"].split(" ")[0].replace("renamed_after_merge", "renamed")
        if r["effective_date"] == NQ832:
            old_name = re.sub(r"\s*\(.*\)$", "", r["old_unit_vi"])
            district = district_code[r["old_district_vi"]]
            old_key = f"P2020:{district}:{slug(old_name)}"
            if not any(u["key"] == old_key for u in units):
                units.append(
                    dict(
                        key=old_key,
                        code="",
                        name=old_name,
                        level="commune",
                        kind=kind_of(old_name),
                        parent_key=f"D2019:{district}",
                        valid_from="",
                        valid_to=NQ832,
                        source=f"{r['legal_basis']}: abolished or merged on 01/01/2020",
                    )
                )
            lineage.append(
                dict(
                    old_key=old_key, new_key=key_2020[r["new_gso_code"]], change_type=change, **base
                )
            )
        elif r["effective_date"] == NQ1281:
            if not r["new_gso_code"]:
                continue  # successor not verified: the lineage stays unknown
            new_key = f"C2025a:{r['new_gso_code']}"
            if not any(u["key"] == new_key for u in units):
                old = next(u for u in units if u["key"] == key_2020[r["new_gso_code"]])
                units.append(
                    dict(
                        old,
                        key=new_key,
                        name=r["new_unit_vi"],
                        kind=kind_of(r["new_unit_vi"]),
                        valid_from=NQ1281,
                        valid_to=NQ1680,
                        source=f"{r['legal_basis']} (code retained, new name)",
                    )
                )
            lineage.append(
                dict(
                    old_key=key_2020[r["old_gso_code"]], new_key=new_key, change_type=change, **base
                )
            )

    for r in units_2025:
        units.append(
            dict(
                key=f"C2025:{r['new_gso_code']}",
                code=r["new_gso_code"],
                name=r["new_unit_vi"],
                level="commune",
                kind=kind_of(r["new_unit_vi"]),
                parent_key="P44",
                valid_from=NQ1680,
                valid_to="",
                source=f"{SRC_2025_UNITS}; former province {r['former_province']}; "
                f"constituents: {r['constituents_vi']}",
            )
        )
    renamed_2025a = {
        r["new_gso_code"] for r in crosswalk if r["effective_date"] == NQ1281 and r["new_gso_code"]
    }
    for r in crosswalk:
        if r["effective_date"] != NQ1680:
            continue
        base = dict(
            effective_date=NQ1680,
            legal_basis=r["legal_basis"],
            confidence=r["confidence"],
            source=r["source"],
            change_type=r["change_type"],
        )
        if r["change_type"] == "district_to_special_zone":
            old_key = "D2019:471"
        elif r["old_gso_code"] in renamed_2025a:
            old_key = f"C2025a:{r['old_gso_code']}"
        else:
            old_key = key_2020[r["old_gso_code"]]
        lineage.append(dict(old_key=old_key, new_key=f"C2025:{r['new_gso_code']}", **base))
    return units, lineage


def _flag_rows(
    unit_key, flag, value, period_from, period_to, legal_basis, confidence, rule, source
):
    value = {"TRUE": "true", "FALSE": "false"}.get(value, value)
    return dict(
        unit_key=unit_key,
        flag=flag,
        value=value,
        period_from=period_from,
        period_to=period_to,
        legal_basis=legal_basis,
        confidence=confidence if value else "unknown",
        rule=rule,
        source=source,
    )


def build_classifications(data: Path) -> tuple[list[dict], list[dict]]:
    domain = data / "domain"
    classes, levels = [], []
    for r in read(domain / "quang_tri_communes.csv"):
        if not r["gso_code"]:
            continue
        key = f"C2020:{r['gso_code']}"
        src = r["source"]
        classes.append(
            _flag_rows(
                key,
                "coastal_sandy",
                r["is_coastal_sandy"],
                "2016-01-01",
                "2021-01-01",
                "QĐ 131/QĐ-TTg 25/01/2017",
                "verified",
                "on the QĐ 131 list of xã ĐBKK vùng bãi ngang ven biển và hải đảo",
                src,
            )
        )
        classes.append(
            _flag_rows(
                key,
                "extremely_difficult",
                r["is_extremely_difficult"],
                "2016-01-01",
                "2021-01-01",
                "QĐ 131/QĐ-TTg 25/01/2017; QĐ 582/QĐ-TTg 2017",
                "verified",
                "TRUE for bãi ngang ĐBKK; khu vực III list not retrieved",
                src,
            )
        )
        classes.append(
            _flag_rows(
                key,
                "mountainous",
                r["is_mountainous"],
                "2016-01-01",
                "2021-01-01",
                "QĐ 582/QĐ-TTg 28/4/2017",
                "verified",
                "vùng đồng bào DTTS & miền núi; QT rows not retrieved",
                src,
            )
        )
        status = r["ntm_status_2020"]
        if status:
            levels.append(
                dict(
                    unit_key=key,
                    year="2020",
                    level={"achieved": "standard"}.get(status, status),
                    target_level="",
                    target_year="",
                    confidence="verified",
                    rule="",
                    source=src,
                )
            )
    derived_basis = {
        "mountainous": "QĐ 582/QĐ-TTg 2017; QĐ 1010/QĐ-TTg 2018; QĐ 861/QĐ-TTg 2021 (constituents)",
        "coastal_sandy": "QĐ 131/QĐ-TTg 2017; QĐ 353/QĐ-TTg 2022 (constituents)",
        "island": "NQ 1680/NQ-UBTVQH15",
        "extremely_difficult": "QĐ 131/QĐ-TTg 2017; QĐ 353/QĐ-TTg 2022; khu vực III lists (constituents)",
    }
    rules = {
        "mountainous": "TRUE if more than half of the pre-2025 constituents are in the vùng DTTS&MN",
        "coastal_sandy": "TRUE if any constituent was on QĐ 131 or QĐ 353",
        "island": "TRUE only for đặc khu Cồn Cỏ, the only island unit in NQ 1680",
        "extremely_difficult": "TRUE if more than half of the constituents are ĐBKK, FALSE if none",
    }
    for r in read(domain / "quang_tri_units_2025_classification.csv"):
        key = f"C2025:{r['new_gso_code']}"
        for flag in ("mountainous", "coastal_sandy", "island", "extremely_difficult"):
            rule = rules[flag]
            if flag == "mountainous" and r["mountainous_rule_note"]:
                rule = r["mountainous_rule_note"]
            classes.append(
                _flag_rows(
                    key,
                    flag,
                    r[flag],
                    NQ1680,
                    "",
                    derived_basis[flag],
                    "derived",
                    f"derived from the constituents: {rule}",
                    r["sources"],
                )
            )
        level = r["ntm_level_latest"]
        if level:
            mapped = {
                "all_constituents_dat_chuan": "standard",
                "all_constituents_nang_cao": "advanced",
            }.get(level, level)
            year = r["ntm_level_year"] or "2025"
            rule = (
                ""
                if mapped == "not_applicable"
                else f"every constituent xã had reached this level by {year}; "
                "not a recognition of the new unit (to be assessed under QĐ 51/2025)"
            )
            levels.append(
                dict(
                    unit_key=key,
                    year=year,
                    level=mapped,
                    target_level="",
                    target_year="",
                    confidence="derived",
                    rule=rule,
                    source=r["sources"],
                )
            )
    return classes, levels


def build_criteria(data: Path):
    domain = data / "domain"
    sets = [
        dict(
            code="NTM_XA_2016_2020",
            name="Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2016–2020",
            legal_basis="QĐ 1980/QĐ-TTg 17/10/2016",
            valid_from="2016-12-01",
            valid_to="2022-03-08",
            source="QĐ 1980/QĐ-TTg, hiệu lực 01/12/2016; replaced by QĐ 318/QĐ-TTg 08/03/2022",
        ),
        dict(
            code="NTM_XA_2021_2025",
            name="Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2021–2025",
            legal_basis="QĐ 318/QĐ-TTg 08/03/2022",
            valid_from="2022-03-08",
            valid_to="2026-02-15",
            source="QĐ 318/QĐ-TTg 08/03/2022 (Phụ lục I)",
        ),
        dict(
            code="NTM_XA_2026_2030",
            name="Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2026–2030",
            legal_basis="QĐ 51/2025/QĐ-TTg 29/12/2025",
            valid_from="2026-02-15",
            valid_to="",
            source="QĐ 51/2025/QĐ-TTg 29/12/2025, hiệu lực 15/02/2026: 10 tiêu chí, 47 chỉ tiêu",
        ),
    ]
    criteria, indicators = [], []
    for period in ("2016_2020", "2021_2025", "2026_2030"):
        for r in read(domain / f"criteria_{period}.csv"):
            criteria.append(
                {
                    k: r[k]
                    for k in (
                        "set_code",
                        "number",
                        "code",
                        "name_vi",
                        "name_en",
                        "responsible_department_vi",
                        "source",
                    )
                }
            )
        for r in read(domain / f"indicators_{period}.csv"):
            if not r["indicator_code"] and period == "2026_2030":
                continue  # criterion-level placeholder rows
            indicators.append(
                dict(
                    set_code=r["set_code"],
                    criterion_number=r["criterion_number"],
                    code=r["indicator_code"],
                    name_vi=r["name_vi"],
                    unit=r.get("unit", ""),
                    threshold_general=r.get("threshold_chung", ""),
                    threshold_region=r.get("threshold_bac_trung_bo", ""),
                    threshold_group1=r.get("threshold_group1", ""),
                    threshold_group2=r.get("threshold_group2", ""),
                    threshold_group3=r.get("threshold_group3", ""),
                    confidence=r["confidence"],
                    source=r["source"],
                )
            )
    return sets, criteria, indicators


def main(data: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    units, lineage = build_units_and_lineage(data)
    write(
        "admin_units.csv",
        units,
        ["key", "code", "name", "level", "kind", "parent_key", "valid_from", "valid_to", "source"],
    )
    write(
        "lineage.csv",
        lineage,
        [
            "old_key",
            "new_key",
            "effective_date",
            "change_type",
            "legal_basis",
            "confidence",
            "source",
        ],
    )
    classes, levels = build_classifications(data)
    write(
        "classifications.csv",
        classes,
        [
            "unit_key",
            "flag",
            "value",
            "period_from",
            "period_to",
            "legal_basis",
            "confidence",
            "rule",
            "source",
        ],
    )
    write(
        "ntm_levels.csv",
        levels,
        [
            "unit_key",
            "year",
            "level",
            "target_level",
            "target_year",
            "confidence",
            "rule",
            "source",
        ],
    )
    sets, criteria, indicators = build_criteria(data)
    write("criteria_sets.csv", sets, list(sets[0]))
    write("criteria.csv", criteria, list(criteria[0]))
    write("indicators.csv", indicators, list(indicators[0]))
    types = read(data / "domain" / "activity_types.csv")
    write("activity_types.csv", types, list(types[0]))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
