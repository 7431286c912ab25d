"""Excel import on both databases: template, every row checked, all-or-nothing, no duplicates."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from geo.coords import to_vn2000
from geo.errors import ImportValidationError
from geo.models import Activity, DatasetLoad
from services.activity_import import HEADERS, import_activities, template_workbook
from tests.services.test_activities import TODAY, _point_in, _unit

BY = "Tổ công tác huyện"


def workbook(rows: list[dict], headers=None) -> bytes:
    """A real .xlsx with the template's headers and ``rows`` keyed by field name."""
    book = Workbook()
    sheet = book.active
    fields = list(HEADERS) if headers is None else headers
    sheet.append([HEADERS.get(f, f) for f in fields])
    for row in rows:
        sheet.append([row.get(f) for f in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(**values) -> dict:
    row = {
        "activity_date": dt.datetime(2026, 11, 21),
        "type": "ROAD_HARDEN",
        "organiser": "Sở Xây dựng",
        "participants": 50,
        "workdays": 50,
        "quantity": 0.8,
        "funds_vnd": 12_000_000,
        "description": "Bê tông hoá ngõ xóm",
    }
    row.update(values)
    return row


def _count(session) -> int:
    return session.scalar(sa.select(sa.func.count(Activity.id)))


def _good_rows(session) -> list[dict]:
    p = _point_in(session, "Xã Vĩnh Linh")
    q = _point_in(session, "Xã Cam Lộ")
    x, y = to_vn2000(q.x, q.y)
    d, m = int(p.y), int((p.y - int(p.y)) * 60)
    dms_lat = f"{d}°{m}'{((p.y - d) * 60 - m) * 60:.2f}\"N"
    d, m = int(p.x), int((p.x - int(p.x)) * 60)
    dms_lon = f"{d}°{m}'{((p.x - d) * 60 - m) * 60:.2f}\"E"
    return [
        _row(lat=p.y, lon=p.x, commune="Xã Vĩnh Linh", criteria="2;8"),
        _row(lat=dms_lat, lon=dms_lon, activity_date="14/11/2026", type="Thu gom, xử lý rác thải"),
        _row(vn_x=round(x, 2), vn_y=round(y, 2), organiser="Sở NN&MT"),
        _row(commune="Cam Lộ", village="Thôn Tân Xuân", activity_date="07/11/2026"),
    ]


def test_template_has_the_vietnamese_headers(seeded, tmp_path):
    path = tmp_path / "mau.xlsx"
    path.write_bytes(template_workbook(seeded, TODAY))
    book = load_workbook(path)
    headers = [c.value for c in book["Hoạt động"][1]]
    assert headers[:7] == ["Ngày", "Loại hoạt động (mã hoặc tên)", "Đơn vị tổ chức", "Xã", "Thôn",
                           "Vĩ độ", "Kinh độ"]  # fmt: skip
    assert "Toạ độ VN-2000 X" in headers and "Kinh phí (đồng)" in headers
    guide = [r[0] for r in book["Hướng dẫn"].iter_rows(values_only=True)]
    assert "ROAD_REPAIR" in guide and "Sở Xây dựng" in guide and "Xã Vĩnh Linh" in guide
    book.close()


def test_every_entry_form_of_a_row_is_accepted(seeded):
    report = import_activities(seeded, workbook(_good_rows(seeded)), BY, today=TODAY)
    assert [r.status for r in report.rows] == ["accepted"] * 4, report.rows
    assert [r.row for r in report.rows] == [2, 3, 4, 5]
    made = {a.id: a for a in seeded.scalars(sa.select(Activity))}
    first, second, third, fourth = (made[r.activity_id] for r in report.rows)
    assert {c.unit.name for c in first.communes} == {"Xã Vĩnh Linh"}
    assert sorted(c.number for c in first.criteria) == [2, 8]
    assert {c.unit.name for c in second.communes} == {"Xã Vĩnh Linh"}
    assert second.type_code == "WASTE_COLLECTION"
    assert {c.unit.name for c in third.communes} == {"Xã Cam Lộ"}
    assert fourth.geom is None and fourth.reported_unit.name == "Xã Cam Lộ"
    assert fourth.village == "Thôn Tân Xuân" and len(first.import_key) == 64
    load = seeded.scalars(
        sa.select(DatasetLoad).where(DatasetLoad.dataset == "activities_excel")
    ).one()
    assert load.rows == 4 and load.loaded_by == BY


def test_reimport_does_not_duplicate(seeded):
    content = workbook(_good_rows(seeded))
    import_activities(seeded, content, BY, today=TODAY)
    again = import_activities(seeded, content, BY, today=TODAY)
    assert [r.status for r in again.rows] == ["skipped"] * 4
    assert "Đã nhập trước đây" in again.rows[0].messages[0]
    assert _count(seeded) == 4


def test_identical_rows_in_one_file(seeded):
    row = _good_rows(seeded)[0]
    report = import_activities(seeded, workbook([row, row]), BY, today=TODAY)
    assert [r.status for r in report.rows] == ["accepted", "skipped"]
    assert report.rows[1].messages == ["Trùng hoàn toàn với dòng 2 trong tệp."]


BAD_ROWS = [
    ({"type": "BAN_PHAO"}, "Loại hoạt động: không có loại hoạt động «BAN_PHAO»."),
    ({"participants": 20_000}, "20.000 người là không hợp lý"),
    ({"workdays": -3}, "Ngày công: không được âm"),
    ({"activity_date": "05/12/2026"}, "ở tương lai"),
    ({"activity_date": None}, "chưa nhập ngày"),
    ({"activity_date": "20/11/2026"}, "không phải thứ Bảy"),
    ({"lat": 21.03, "lon": 105.85}, "nằm ngoài tỉnh Quảng Trị, cách ranh giới tỉnh"),
    ({"lat": 1860512.3, "lon": 587211.9}, "không phải là độ"),
    ({"commune": "Xã Không Có"}, "Xã: không có xã «Xã Không Có»"),
    ({"organiser": "Sở Giao thông vận tải"}, "không có đơn vị «Sở Giao thông vận tải» có hiệu lực"),
    ({"criteria": "2;42"}, "không có tiêu chí số 42"),
    ({"lat": 16.8}, "cần cả Vĩ độ và Kinh độ"),
    ({"commune": None}, "chưa có vị trí"),
]


@pytest.mark.parametrize(("change", "message"), BAD_ROWS)
def test_bad_row_refuses_the_whole_file(seeded, change, message):
    rows = _good_rows(seeded)[:1] + [_row(**({"commune": "Xã Cam Lộ"} | change))]
    with pytest.raises(
        ImportValidationError, match="Không nhập dòng nào: 1 dòng bị từ chối"
    ) as caught:
        import_activities(seeded, workbook(rows), BY, today=TODAY)
    refused = [d for d in caught.value.details if d["status"] == "refused"]
    assert [d["row"] for d in refused] == [3]
    assert any(message in m for m in refused[0]["messages"]), refused[0]["messages"]
    assert _count(seeded) == 0


def test_coordinates_in_another_commune_than_named(seeded):
    p = _point_in(seeded, "Xã Vĩnh Linh")
    rows = [_row(lat=p.y, lon=p.x, commune="Xã Cam Lộ")]
    report = import_activities(seeded, workbook(rows), BY, today=TODAY, mode="valid_only")
    assert report.rows[0].messages == [
        "Xã: toạ độ nằm ở Xã Vĩnh Linh, không phải Xã Cam Lộ như ghi ở cột Xã."
    ]
    assert _count(seeded) == 0


def test_valid_only_writes_the_good_rows_and_lists_the_refused(seeded):
    rows = _good_rows(seeded)[:2] + [_row(type="BAN_PHAO", participants=-1)]
    report = import_activities(seeded, workbook(rows), BY, today=TODAY, mode="valid_only")
    assert [r.status for r in report.rows] == ["accepted", "accepted", "refused"]
    assert report.rows[2].messages == [
        "Số người tham gia: không được âm (đang là -1).",
        "Loại hoạt động: không có loại hoạt động «BAN_PHAO».",
        "Vị trí: chưa có vị trí: hãy vẽ trên bản đồ, nhập toạ độ, tải tệp lên hoặc chọn xã.",
    ]
    assert report.as_dict()["accepted"] == 2 and _count(seeded) == 2


def test_not_saturday_and_duplicates_can_be_accepted_for_the_whole_file(seeded):
    p = _point_in(seeded, "Xã Vĩnh Linh")
    rows = [_row(lat=p.y, lon=p.x, activity_date="20/11/2026"),
            _row(lat=p.y, lon=p.x + 0.0001, activity_date="20/11/2026", quantity=0.5)]  # fmt: skip
    with pytest.raises(ImportValidationError) as caught:
        import_activities(seeded, workbook(rows), BY, today=TODAY, accept_not_saturday=True)
    assert "Có thể trùng" in caught.value.details[1]["messages"][0]
    report = import_activities(
        seeded, workbook(rows), BY, today=TODAY, accept_not_saturday=True, accept_duplicates=True
    )
    assert report.count("accepted") == 2


def test_missing_headers_and_wrong_file(seeded):
    with pytest.raises(ImportValidationError, match="Thiếu cột: Đơn vị tổ chức"):
        import_activities(seeded, workbook([_row()], headers=["activity_date", "type"]), BY)
    with pytest.raises(ImportValidationError, match="không phải bảng tính Excel"):
        import_activities(seeded, b"not a workbook", BY)
    with pytest.raises(ImportValidationError, match="Cách nhập «half» không hợp lệ"):
        import_activities(seeded, workbook([]), BY, mode="half")


def test_old_rows_take_the_commune_and_organiser_of_their_date(seeded):
    from services.activity_query import ActivityFilter, totals

    rows = [_row(activity_date="01/06/2024", commune="Xã Vĩnh Chấp")]
    report = import_activities(seeded, workbook(rows), BY, today=TODAY)
    activity = seeded.get(Activity, report.rows[0].activity_id)
    assert activity.reported_unit.name == "Xã Vĩnh Chấp" and activity.reported_unit.valid_to
    assert activity.organiser.code == "QT45-SXD-2020"
    assert totals(seeded, ActivityFilter(unit_id=_unit(seeded, "Xã Vĩnh Linh").id)).count == 1
