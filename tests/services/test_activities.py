"""Recording activities on both databases: every entry path and every bad input of issue 4."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from shapely import LineString, Point, Polygon

from geo import tracks
from geo.coords import to_vn2000
from geo.errors import ConflictError
from geo.models import Activity, AdminUnit, AuditEvent, Criterion, CriterionAssessment, Organisation
from services import activities as svc
from services.activity_query import ActivityFilter, list_activities, suggest_criteria, totals
from services.communes import communes_on
from tests.geo.test_tracks import gpx, jpeg_with_gps, kml, kml_line

TODAY = dt.date(2026, 11, 26)
SATURDAY = dt.date(2026, 11, 21)
BY = "Nguyễn Văn Thử"


def _unit(session, name: str) -> AdminUnit:
    return session.scalars(
        sa.select(AdminUnit).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
    ).one()


def _point_in(session, name: str) -> Point:
    frame = communes_on(session, TODAY)
    return frame.loc[frame["name"] == name, "geometry"].iloc[0].representative_point()


def _organiser(session, code: str = "QT44-SXD") -> Organisation:
    return session.scalars(sa.select(Organisation).where(Organisation.code == code)).one()


def _data(session, **overrides) -> dict:
    point = _point_in(session, "Xã Vĩnh Linh")
    data = {
        "activity_date": "21/11/2026",
        "type_code": "ROAD_REPAIR",
        "organiser_id": _organiser(session).id,
        "participants": 120,
        "workdays": 120,
        "quantity": "1,5",
        "funds_vnd": "25.000.000",
        "description": "Sửa đường thôn <b>Tây</b>",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
    }
    data.update(overrides)
    return data


def _create(session, **overrides) -> Activity:
    return svc.create_activity(session, _data(session, **overrides), BY, today=TODAY)


def _refused(session, field: str, **overrides) -> str:
    with pytest.raises(svc.ActivityError) as caught:
        _create(session, **overrides)
    fields = [d["field"] for d in caught.value.details]
    assert field in fields, caught.value.details
    return next(d["message"] for d in caught.value.details if d["field"] == field)


def _commune_names(activity: Activity) -> set[str]:
    return {c.unit.name for c in activity.communes}


# --- entry paths -----------------------------------------------------------------------------


def test_form_with_drawn_point(seeded):
    activity = _create(seeded)
    assert activity.id and activity.version == 1
    assert _commune_names(activity) == {"Xã Vĩnh Linh"}
    assert activity.quantity == 1.5 and activity.funds_vnd == 25_000_000
    assert activity.quantity_unit == "km"
    event = seeded.scalars(sa.select(AuditEvent).where(AuditEvent.entity_id == activity.id)).one()
    assert event.action == "create" and event.by == BY
    assert event.unit_id == _unit(seeded, "Xã Vĩnh Linh").id
    assert event.after["geometry"]["type"] == "Point"


def test_drawn_line_across_two_communes_counts_length_in_each(seeded):
    a, b = _point_in(seeded, "Phường Đông Hà"), _point_in(seeded, "Phường Nam Đông Hà")
    geometry = json.dumps({"type": "LineString", "coordinates": [[a.x, a.y], [b.x, b.y]]})
    activity = _create(seeded, geometry=geometry)
    lengths = {c.unit.name: c.length_m for c in activity.communes}
    assert {"Phường Đông Hà", "Phường Nam Đông Hà"} <= set(lengths)
    assert all(v > 0 for v in lengths.values())


def test_drawn_polygon_has_area(seeded):
    p = _point_in(seeded, "Xã Cam Lộ")
    square = Polygon([(p.x - 0.001, p.y - 0.001), (p.x + 0.001, p.y - 0.001),
                      (p.x + 0.001, p.y + 0.001), (p.x - 0.001, p.y + 0.001)])  # fmt: skip
    activity = _create(seeded, type_code="ENV_SANITATION", geometry=square.__geo_interface__)
    assert sum(c.area_m2 for c in activity.communes) > 40_000


@pytest.mark.parametrize("notation", ["decimal", "swapped", "dms", "vn2000_tm3", "vn2000_utm48n"])
def test_typed_coordinates_in_each_notation(seeded, notation):
    p = _point_in(seeded, "Xã Vĩnh Linh")

    def dms(v):
        d, m = int(v), int((v - int(v)) * 60)
        return f"{d}°{m}'{((v - d) * 60 - m) * 60:.3f}\""

    fields = {
        "decimal": {"coordinates": f"{p.y:.6f}, {p.x:.6f}"},
        "swapped": {"coordinates": f"{p.x:.6f}, {p.y:.6f}"},
        "dms": {"coordinates": f"{dms(p.y)}N {dms(p.x)}E"},
    }
    for zone in ("tm3", "utm48n"):
        x, y = to_vn2000(p.x, p.y, zone)
        fields[f"vn2000_{zone}"] = {
            "coordinates": f"{x:.2f} {y:.2f}",
            "notation": "vn2000",
            "zone": zone,
        }
    activity = _create(seeded, geometry=None, **fields[notation])
    assert _commune_names(activity) == {"Xã Vĩnh Linh"}
    if notation == "swapped":
        assert "Đã đổi chỗ vĩ độ và kinh độ" in activity.notes[0]


@pytest.mark.parametrize("kind", ["gpx", "kml", "geojson", "photo"])
def test_uploaded_files_place_the_activity(seeded, kind):
    a, b = _point_in(seeded, "Phường Đông Hà"), _point_in(seeded, "Phường Nam Đông Hà")
    files = {
        "gpx": ("tuyen.gpx", gpx(track=((a.x, a.y), (b.x, b.y)))),
        "kml": ("tuyen.kml", kml([kml_line((a.x, a.y), (b.x, b.y))])),
        "geojson": ("tuyen.geojson", json.dumps(LineString([a, b]).__geo_interface__).encode()),
        "photo": ("anh.jpg", jpeg_with_gps(a.y, a.x)),
    }
    uploaded = tracks.read_upload(*files[kind])
    activity = _create(seeded, geometry=uploaded.geometry.__geo_interface__)
    expected = {"Phường Đông Hà"} if kind == "photo" else {"Phường Đông Hà", "Phường Nam Đông Hà"}
    assert expected <= _commune_names(activity)


# --- bad input -------------------------------------------------------------------------------


def test_date_required_and_future_refused(seeded):
    assert "chưa nhập ngày" in _refused(seeded, "activity_date", activity_date="")
    message = _refused(seeded, "activity_date", activity_date="05/12/2026")
    assert message == "Ngày: 05/12/2026 ở tương lai (hôm nay là 26/11/2026)."
    assert "không phải ngày hợp lệ" in _refused(seeded, "activity_date", activity_date="31/02/2026")


def test_not_a_saturday_needs_confirmation(seeded):
    with pytest.raises(
        svc.ConfirmationNeeded, match="25/11/2026 là thứ Tư, không phải thứ Bảy"
    ) as c:
        _create(seeded, activity_date="2026-11-25")
    assert c.value.confirm == "confirm_not_saturday"
    assert _create(seeded, activity_date="2026-11-25", confirm_not_saturday=True).id


def test_unknown_type_refused(seeded):
    assert _refused(seeded, "type_code", type_code="BAN_PHAO") == (
        "Loại hoạt động: không có loại hoạt động «BAN_PHAO»."
    )


def test_type_by_name(seeded):
    assert _create(seeded, type_code="Kiên cố hóa kênh mương").type_code == "CANAL_SOLIDIFY"


def test_organiser_must_exist_and_be_valid_on_the_date(seeded):
    assert "không có sở" in _refused(seeded, "organiser_id", organiser_id=999_999)
    old = _organiser(seeded, "QT45-SGTVT-2020")
    message = _refused(seeded, "organiser_id", organiser_id=old.id)
    assert "Sở Giao thông vận tải không còn hoạt động vào ngày 21/11/2026" in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("participants", -5, "Số người tham gia: không được âm (đang là -5)."),
        ("participants", 20_000, "20.000 người là không hợp lý: tối đa 5.000 cho 1 xã"),
        ("workdays", 1_000, "1.000,0 ngày công vượt quá 360"),
        ("quantity", 900, "900,0 km là không hợp lý (tối đa 200)"),
        ("funds_vnd", -1, "Kinh phí (đồng): không được âm"),
        ("participants", "nhiều", "«nhiều» không phải là số"),
    ],
)
def test_negative_and_absurd_numbers_refused(seeded, field, value, expected):
    assert expected in _refused(seeded, field, **{field: value})


def test_all_problems_reported_at_once(seeded):
    with pytest.raises(svc.ActivityError) as caught:
        _create(seeded, type_code="X", participants=-1, activity_date="")
    assert {d["field"] for d in caught.value.details} >= {
        "type_code",
        "participants",
        "activity_date",
    }
    assert seeded.scalar(sa.select(sa.func.count(Activity.id))) == 0


def test_outside_the_province_gives_the_distance(seeded):
    message = _refused(
        seeded, "geometry", geometry={"type": "Point", "coordinates": [105.85, 21.03]}
    )
    assert "nằm ngoài tỉnh Quảng Trị, cách ranh giới tỉnh" in message
    km = float(
        message.split("cách ranh giới tỉnh ")[1].split(" km")[0].replace(".", "").replace(",", ".")
    )
    assert 300 < km < 500


def test_metres_typed_as_degrees_refused(seeded):
    message = _refused(seeded, "geometry", geometry=None, coordinates="1860512.3, 587211.9")
    assert "không phải là độ" in message and "VN-2000" in message


def test_self_crossing_polygon_refused_or_repaired_with_consent(seeded):
    p = _point_in(seeded, "Xã Cam Lộ")
    d = 0.001
    bowtie = {"type": "Polygon", "coordinates": [[[p.x - d, p.y - d], [p.x + d, p.y + d],
              [p.x + d, p.y - d], [p.x - d, p.y + d], [p.x - d, p.y - d]]]}  # fmt: skip
    assert "tự cắt nhau tại toạ độ" in _refused(seeded, "geometry", geometry=bowtie)
    repaired = _create(seeded, geometry=bowtie, repair_geometry=True)
    assert _commune_names(repaired) == {"Xã Cam Lộ"}


def test_no_place_refused(seeded):
    assert "chưa có vị trí" in _refused(seeded, "geometry", geometry=None)


def test_likely_duplicate_warned_not_merged(seeded):
    first = _create(seeded)
    p = _point_in(seeded, "Xã Vĩnh Linh")
    near = {"type": "Point", "coordinates": [p.x + 0.0002, p.y]}  # about 21 m east
    with pytest.raises(svc.ConfirmationNeeded, match="Có thể trùng") as caught:
        _create(seeded, geometry=near)
    assert caught.value.details[0]["duplicate_id"] == first.id
    second = _create(seeded, geometry=near, confirm_duplicate=True)
    assert second.id != first.id
    far = {"type": "Point", "coordinates": [p.x + 0.001, p.y]}  # about 107 m
    assert _create(seeded, geometry=far).id
    other = _organiser(seeded, "QT44-SNNMT").id
    assert _create(seeded, organiser_id=other).id


def test_reported_commune_without_geometry(seeded):
    unit = _unit(seeded, "Xã Vĩnh Linh")
    activity = _create(seeded, geometry=None, reported_unit_id=unit.id)
    assert activity.geom is None and _commune_names(activity) == {"Xã Vĩnh Linh"}


def test_criteria_must_belong_to_the_set_of_the_date(seeded):
    old = seeded.scalars(sa.select(Criterion).join(Criterion.criteria_set).where(
        Criterion.number == 2, Criterion.criteria_set.has(code="NTM_XA_2016_2020"))).one()  # fmt: skip
    message = _refused(seeded, "criteria_ids", criteria_ids=[old.id])
    assert "không thuộc bộ tiêu chí áp dụng vào ngày đó (QĐ 51/2025/QĐ-TTg" in message


# --- edit, delete, restore, history ------------------------------------------------------------


def test_update_with_version_and_conflict(seeded):
    activity = _create(seeded)
    updated = svc.update_activity(
        seeded, activity.id, _data(seeded, participants=150), "Người sửa", 1, TODAY
    )
    assert updated.version == 2 and updated.participants == 150
    with pytest.raises(ConflictError, match="vừa được người khác sửa"):
        svc.update_activity(
            seeded, activity.id, _data(seeded, participants=99), "Người khác", 1, TODAY
        )
    events = svc.activity_history(seeded, activity.id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].before["participants"] == 120 and events[1].after["participants"] == 150
    assert events[1].by == "Người sửa"


def test_update_moves_the_communes(seeded):
    activity = _create(seeded)
    q = _point_in(seeded, "Xã Cam Lộ")
    data = _data(seeded, geometry={"type": "Point", "coordinates": [q.x, q.y]})
    svc.update_activity(seeded, activity.id, data, BY, activity.version, TODAY)
    assert _commune_names(activity) == {"Xã Cam Lộ"}


def test_delete_and_restore(seeded):
    activity = _create(seeded)
    svc.delete_activity(seeded, activity.id, BY)
    assert activity.deleted_at is not None
    assert list_activities(seeded, ActivityFilter()) == []
    assert list_activities(seeded, ActivityFilter(deleted=True)) == [activity]
    with pytest.raises(svc.ActivityError, match="đã bị xoá: hãy khôi phục"):
        svc.update_activity(seeded, activity.id, _data(seeded), BY, activity.version, TODAY)
    svc.restore_activity(seeded, activity.id, BY)
    assert activity.deleted_at is None
    assert [e.action for e in svc.activity_history(seeded, activity.id)] == [
        "create",
        "delete",
        "restore",
    ]


# --- list, totals, suggestions ---------------------------------------------------------------------


def test_filters_and_totals(seeded):
    a = _create(seeded)
    q = _point_in(seeded, "Xã Cam Lộ")
    _create(seeded, type_code="WASTE_COLLECTION", quantity=3, participants=40, workdays=40,
            funds_vnd=0, geometry={"type": "Point", "coordinates": [q.x, q.y]})  # fmt: skip
    _create(seeded, activity_date="14/11/2026", participants=10, workdays=5)
    everything = totals(seeded, ActivityFilter())
    assert (everything.count, everything.participants, everything.workdays) == (3, 170, 165.0)
    assert everything.funds_vnd == 50_000_000
    assert dict(everything.quantities) == {"km": 3.0, "tấn (t)": 3.0}
    week = ActivityFilter(start=SATURDAY, end=SATURDAY)
    assert totals(seeded, week).count == 2
    in_vinh_linh = ActivityFilter(unit_id=_unit(seeded, "Xã Vĩnh Linh").id)
    assert totals(seeded, in_vinh_linh).count == 2
    assert [
        x.type_code for x in list_activities(seeded, ActivityFilter(type_code="WASTE_COLLECTION"))
    ] == ["WASTE_COLLECTION"]
    assert totals(seeded, ActivityFilter(organiser_id=a.organiser_id)).count == 3
    crit = seeded.scalars(sa.select(Criterion).where(Criterion.criteria_set.has(code="NTM_XA_2026_2030"),
                                                     Criterion.number == 2)).one()  # fmt: skip
    svc.update_activity(seeded, a.id, _data(seeded, criteria_ids=[crit.id]), BY, 1, TODAY)
    assert [x.id for x in list_activities(seeded, ActivityFilter(criterion_id=crit.id))] == [a.id]


def test_criteria_suggestions_from_type_and_unmet(seeded):
    unit = _unit(seeded, "Xã Vĩnh Linh")
    criteria = {c.number: c for c in seeded.scalars(
        sa.select(Criterion).where(Criterion.criteria_set.has(code="NTM_XA_2026_2030")))}  # fmt: skip
    for number, status, day in [(8, "unmet", dt.date(2026, 5, 1)), (5, "unmet", dt.date(2026, 3, 1)),
                                (5, "met", dt.date(2026, 6, 1))]:  # fmt: skip
        seeded.add(CriterionAssessment(unit_id=unit.id, criterion_id=criteria[number].id,
                                       status=status, assessed_on=day))  # fmt: skip
    seeded.flush()
    found = suggest_criteria(seeded, "CANAL_DREDGE", [unit.id], SATURDAY)
    by_number = {s["number"]: s for s in found}
    # CANAL_DREDGE relates to 3 (irrigation → 2 in QĐ 51) and 17 (environment → 8); 8 is also unmet
    assert found[0]["number"] == 8 and by_number[8]["unmet_in"] == [unit.id]
    assert by_number[2]["by_type"] and not by_number[2]["unmet_in"]
    assert 5 not in by_number  # met again since


# --- exports ---------------------------------------------------------------------------------------


@pytest.fixture
def two_activities(seeded):
    a = _create(seeded)
    unit = _unit(seeded, "Xã Cam Lộ")
    b = _create(seeded, geometry=None, reported_unit_id=unit.id, participants=30, workdays=30,
                activity_date="14/11/2026")  # fmt: skip
    return a, b


def test_export_geojson_and_geopackage(seeded, two_activities, tmp_path):
    import pyogrio

    from services.activity_export import export_activities

    content, media, name = export_activities(seeded, ActivityFilter(), "geojson")
    doc = json.loads(content)
    assert media == "application/geo+json" and name.endswith(".geojson")
    assert [f["properties"]["Xã"] for f in doc["features"]] == ["Xã Vĩnh Linh", "Xã Cam Lộ"]
    assert (
        doc["features"][0]["geometry"]["type"] == "Point" and doc["features"][1]["geometry"] is None
    )
    assert doc["features"][0]["properties"]["Mô tả"] == "Sửa đường thôn <b>Tây</b>"
    content, _, _ = export_activities(seeded, ActivityFilter(), "gpkg")
    path = tmp_path / "x.gpkg"
    path.write_bytes(content)
    back = pyogrio.read_dataframe(path, layer="hoat_dong")
    assert list(zip(back["Số người"], back["Xã"], strict=True)) == [
        (120, "Xã Vĩnh Linh"),
        (30, "Xã Cam Lộ"),
    ]
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].geom_type == "Point" and back.geometry.iloc[1] is None


def test_export_csv_has_bom_and_vietnamese_headers(seeded, two_activities):
    from services.activity_export import export_activities

    content, _, _ = export_activities(seeded, ActivityFilter(start=SATURDAY), "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã hoạt động,Ngày,Loại hoạt động,Đơn vị tổ chức,Xã")
    assert len(lines) == 2 and "21/11/2026" in lines[1] and "POINT (" in lines[1]


def test_export_excel_number_formats_and_totals(seeded, two_activities, tmp_path):
    from openpyxl import load_workbook

    from services.activity_export import export_activities

    content, _, _ = export_activities(seeded, ActivityFilter(), "xlsx")
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    book = load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["Mã hoạt động", "Ngày", "Loại hoạt động", "Đơn vị tổ chức", "Xã"]
    date_cell = sheet.cell(row=2, column=2)
    assert date_cell.value.date() == SATURDAY and date_cell.number_format == "dd/mm/yyyy"
    participants = headers.index("Số người") + 1
    assert sheet.cell(row=2, column=participants).number_format == "#,##0"
    assert sheet.cell(row=4, column=1).value == "Tổng (2 hoạt động)"
    assert sheet.cell(row=4, column=participants).value == 150
    book.close()


def test_unknown_export_format_refused(seeded):
    from geo.errors import NtmError
    from services.activity_export import export_activities

    with pytest.raises(NtmError, match="Định dạng xuất «pdf» không hỗ trợ"):
        export_activities(seeded, ActivityFilter(), "pdf")


# --- before the 2025 reorganisation -----------------------------------------------------------------


def test_old_date_is_placed_in_todays_communes_and_says_so(seeded):
    old_organiser = _organiser(seeded, "QT45-SXD-2020")
    activity = _create(seeded, activity_date="01/06/2024", organiser_id=old_organiser.id)
    assert _commune_names(activity) == {"Xã Vĩnh Linh"}
    assert activity.notes == [
        "Chưa có ranh giới xã của ngày 01/06/2024: xã được xác định theo ranh giới hiện nay."
    ]


def test_activity_in_a_former_commune_rolls_up_to_todays(seeded):
    from geo.models import UnitLineage

    today_unit = _unit(seeded, "Xã Vĩnh Linh")
    former = seeded.scalars(
        sa.select(AdminUnit).join(UnitLineage, UnitLineage.old_unit_id == AdminUnit.id)
        .where(UnitLineage.new_unit_id == today_unit.id, AdminUnit.level == "commune")
        .order_by(AdminUnit.name)
    ).first()  # fmt: skip
    assert former is not None and former.valid_to is not None
    day = former.valid_to - dt.timedelta(days=30)
    day -= dt.timedelta(days=(day.weekday() - 5) % 7)
    organiser = _organiser(
        seeded, "QT45-SXD-2020" if day < dt.date(2025, 3, 1) else "QT45-SXD-2025"
    )
    activity = _create(
        seeded, activity_date=day.isoformat(), organiser_id=organiser.id, geometry=None,
        reported_unit_id=former.id,
    )  # fmt: skip
    assert _commune_names(activity) == {former.name}

    found = list_activities(seeded, ActivityFilter(unit_id=today_unit.id))
    assert [a.id for a in found] == [activity.id]
    assert totals(seeded, ActivityFilter(unit_id=today_unit.id)).count == 1
    message = _refused(seeded, "reported_unit_id", geometry=None, reported_unit_id=former.id)
    assert f"{former.name} không tồn tại vào ngày 21/11/2026" in message
