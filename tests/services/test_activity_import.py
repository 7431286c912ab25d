"""Excel import on both databases: template, every row checked, all-or-nothing, no duplicates."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from openpyxl import Workbook, load_workbook
from shapely import LineString

from geo.coords import to_vn2000
from geo.errors import ImportValidationError
from geo.models import Activity, AuditEvent, DatasetLoad
from geo.spatial import communes_for_geometry, join_activities_to_communes, to_db_geometry
from services import activities as svc
from services.accounts import OWN_ACTIVITIES_ONLY
from services.activity_import import HEADERS, RowResult, import_activities, template_workbook
from services.communes import communes_on
from services.demo import NEW_UNITS_DAY
from tests.services.test_activities import TODAY, _organiser, _point_in, _unit

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
    for activity in (first, second, third, fourth):  # drawn and reported alike
        assert {c.activity_date for c in activity.communes} == {activity.activity_date}
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


# --- the bulk path gives what recording the rows one by one gives ---------------------------


def _varied_rows(session, existing) -> list[dict]:
    """~50 rows: every entry form, every refusal, duplicates in chains and unplaced ones."""
    frame = communes_on(session, TODAY).sort_values("code")
    points = [g.representative_point() for g in frame.geometry.iloc[::6]]
    rows = [
        _row(lat=round(p.y, 6), lon=round(p.x, 6), criteria="2" if i % 3 else None,
             participants=20 + i, organiser="Sở Xây dựng" if i % 2 else "Sở NN&MT")
        for i, p in enumerate(points)
    ]  # fmt: skip
    a = _point_in(session, "Xã Cam Lộ")
    x, y = to_vn2000(a.x, a.y)
    near = existing.geom_point
    rows += [
        _row(
            vn_x=round(x, 2), vn_y=round(y, 2), organiser="Sở NN&MT", type="Thu gom, xử lý rác thải"
        ),
        _row(lat=a.x, lon=a.y, description="vĩ độ và kinh độ đổi chỗ"),
        _row(lat=a.y, lon=a.x, activity_date="07/11/2026"),
        _row(lat=a.y + 0.0002, lon=a.x, activity_date="07/11/2026", quantity=0.3),  # twin of ↑
        _row(
            lat=a.y + 0.0004, lon=a.x, activity_date="07/11/2026", quantity=0.4
        ),  # 44 m from ↑ only
        _row(lat=near.y + 0.0001, lon=near.x, organiser="QT44-SXD", quantity=0.2),  # recorded twin
        _row(commune="Cam Lộ", activity_date="31/10/2026"),
        _row(commune="Xã Cam Lộ", activity_date="31/10/2026", quantity=0.1),  # unplaced twin
        _row(commune="Xã Cam Lộ", activity_date="31/10/2026", organiser="Sở NN&MT"),
        _row(activity_date="01/06/2024", commune="Xã Vĩnh Chấp"),
        _row(activity_date="01/06/2024", lat=a.y, lon=a.x, organiser="QT45-SXD-2020"),
        _row(lat=a.y, lon=a.x, commune="Xã Vĩnh Linh", activity_date="24/10/2026"),
        _row(
            lat=a.y,
            lon=a.x,
            participants=9_000,
            workdays=50_000,
            quantity=500,
            activity_date="17/10/2026",
        ),
        _row(lat=21.03, lon=105.85),
        _row(lat=1860512.3, lon=587211.9),
        _row(lat=16.8),
        _row(commune="Xã Không Có"),
        _row(commune=None),
        _row(type="BAN_PHAO", participants=-1, commune="Cam Lộ"),
        _row(activity_date="05/12/2026", commune="Cam Lộ"),
        _row(activity_date="20/11/2026", commune="Cam Lộ", quantity=0.7),
        _row(activity_date="không rõ", commune="Cam Lộ"),
        _row(activity_date=None, commune="Cam Lộ"),
        _row(organiser="Sở Giao thông vận tải", commune="Cam Lộ"),
        _row(organiser=None, commune="Cam Lộ"),
        _row(criteria="2;42", commune="Cam Lộ"),
        _row(funds_vnd=10**12, commune="Cam Lộ"),
        _row(lat=a.y, lon=a.x, activity_date="14/11/2026", quantity=0.9),
        _row(lat=a.y, lon=a.x, activity_date="14/11/2026", quantity=0.9),  # identical: skipped
    ]
    return rows


def _outcome(session, results: list[RowResult]) -> tuple[list, dict]:
    """Statuses, messages (activity ids as row numbers) and what each accepted row wrote."""
    row_of = {r.activity_id: r.row for r in results if r.status == "accepted"}

    def plain_ids(message: str) -> str:
        def swap(m):
            return (
                f"hoạt động số {'dòng ' + str(row_of[int(m[1])]) if int(m[1]) in row_of else m[1]}"
            )

        return re.sub(r"hoạt động số (\d+)", swap, message)

    rows = [(r.row, r.status, [plain_ids(m) for m in r.messages]) for r in results]
    written = {}
    for r in results:
        if r.status == "accepted" and session.get(Activity, r.activity_id):
            event = session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.entity == "activity", AuditEvent.entity_id == r.activity_id
                )
            ).one()
            after = {k: v for k, v in event.after.items() if k not in ("id", "created_at")}
            written[r.row] = (after, event.unit_id, event.action, event.by)
    return rows, written


def _both_paths(session, content: bytes, **options):
    """The outcome of the per-row path (then rolled back) and of the bulk path."""
    outcomes = []
    for method in ("per_row", "bulk"):
        attempt = session.begin_nested()
        try:
            report = import_activities(session, content, BY, today=TODAY, method=method, **options)
            outcomes.append(_outcome(session, report.rows))
        except ImportValidationError as exc:
            refused = _outcome(session, [RowResult(**d) for d in exc.details])
            outcomes.append((exc.user_msg, refused))
        attempt.rollback()
    return outcomes


@pytest.fixture
def existing(seeded):
    """An activity recorded by the form before the import, and a row imported earlier."""
    point = _point_in(seeded, "Xã Vĩnh Linh")
    activity = svc.create_activity(
        seeded,
        {"activity_date": "21/11/2026", "type_code": "ROAD_REPAIR",
         "organiser_id": _organiser(seeded).id, "geometry": point},
        BY, today=TODAY,
    )  # fmt: skip
    activity.geom_point = point
    import_activities(seeded, workbook([_row(commune="Xã Vĩnh Linh", village="Thôn 1")]), BY,
                      today=TODAY)  # fmt: skip
    return activity


def test_bulk_path_gives_what_the_per_row_path_gives(seeded, existing):
    rows = _varied_rows(seeded, existing) + [_row(commune="Xã Vĩnh Linh", village="Thôn 1")]
    per_row, bulk = _both_paths(seeded, workbook(rows), mode="valid_only")
    assert bulk[0] == per_row[0]
    assert bulk[1] == per_row[1]
    statuses = [status for _, status, _ in bulk[0]]
    assert statuses.count("accepted") >= 15 and statuses.count("refused") >= 20
    assert statuses.count("skipped") == 2
    messages = " ".join(m for _, _, ms in bulk[0] for m in ms)
    for expected in ("Có thể trùng", f"hoạt động số {existing.id}", "hoạt động số dòng",
                     "cách ranh giới tỉnh", "Chưa có ranh giới xã", "không phải Xã Vĩnh Linh",
                     "đổi chỗ", "không phải thứ Bảy", "Đã nhập trước đây"):  # fmt: skip
        assert expected in messages, expected


def test_bulk_path_refuses_the_whole_file_like_the_per_row_path(seeded, existing):
    content = workbook(_varied_rows(seeded, existing))
    per_row, bulk = _both_paths(seeded, content)
    assert bulk == per_row and "Không nhập dòng nào" in bulk[0]
    assert seeded.scalar(sa.select(sa.func.count(Activity.id))) == 2


def test_bulk_path_with_confirmations_accepts_like_the_per_row_path(seeded, existing):
    content = workbook(_varied_rows(seeded, existing))
    options = {"mode": "valid_only", "accept_not_saturday": True, "accept_duplicates": True}
    per_row, bulk = _both_paths(seeded, content, **options)
    assert bulk == per_row
    assert not any("Có thể trùng" in m for _, _, ms in bulk[0] for m in ms)


def test_a_refused_twin_is_no_twin_of_the_next_row(seeded):
    a = _point_in(seeded, "Xã Cam Lộ")
    rows = [_row(lat=a.y + k * 0.0003, lon=a.x, quantity=0.1 * (k + 1)) for k in range(3)]
    report = import_activities(seeded, workbook(rows), BY, today=TODAY, mode="valid_only")
    assert [r.status for r in report.rows] == ["accepted", "refused", "accepted"]
    first = report.rows[0].activity_id
    assert f"(hoạt động số {first})" in report.rows[1].messages[0]


def test_join_activities_to_communes_matches_communes_for_geometry(seeded):
    a, b = _point_in(seeded, "Xã Vĩnh Linh"), _point_in(seeded, "Xã Cam Lộ")
    shapes = [
        LineString([(a.x, a.y), (b.x, b.y)]),
        a.buffer(0.08),
        b,
    ]
    organiser = _organiser(seeded)
    made = [
        Activity(activity_date=day, type_code="ROAD_REPAIR", organiser_id=organiser.id,
                 geom=to_db_geometry(shape))
        for shape in shapes for day in (dt.date(2026, 11, 21), dt.date(2024, 6, 1))
    ]  # fmt: skip
    seeded.add_all(made)
    seeded.flush()
    today = dt.date(2026, 11, 21)
    rule = sa.case((Activity.activity_date < NEW_UNITS_DAY, today), else_=Activity.activity_date)
    added = join_activities_to_communes(seeded, [m.id for m in made], rule)
    assert join_activities_to_communes(seeded, [m.id for m in made], rule) == 0
    seeded.expire_all()
    expected = 0
    for activity in made:
        day = today if activity.activity_date < NEW_UNITS_DAY else activity.activity_date
        parts = communes_for_geometry(seeded, to_shape(activity.geom), day)
        expected += len(parts)
        got = sorted((c.unit_id, c.length_m, c.area_m2) for c in activity.communes)
        # the activity's own date, not the day its communes were chosen on
        assert {c.activity_date for c in activity.communes} == {activity.activity_date}
        want = sorted((p.unit_id, p.length_m, p.area_m2) for p in parts)
        assert [g[0] for g in got] == [w[0] for w in want]
        for g, w in zip(got, want, strict=True):
            for got_m, want_m in zip(g[1:], w[1:], strict=True):
                assert got_m == (None if want_m is None else pytest.approx(want_m, rel=1e-9))
    assert added == expected and expected >= 8


@pytest.mark.parametrize("method", ["bulk", "per_row"])
def test_unit_officer_imports_only_their_own_units_work(seeded, method):
    """An officer of Sở Xây dựng imports a file with a row of Sở NN&MT: that row is refused
    (both paths), and with all-or-nothing nothing is written."""
    rows = _good_rows(seeded)
    own = _organiser(seeded, "QT44-SXD").id
    content = workbook(rows)
    with pytest.raises(ImportValidationError) as refused:
        import_activities(seeded, content, BY, today=TODAY, own_organiser_id=own, method=method)
    assert _count(seeded) == 0
    [bad] = [d for d in refused.value.details if d["status"] == "refused"]
    assert bad["row"] == 4  # the third data row: Sở NN&MT
    assert bad["messages"] == ["Đơn vị tổ chức: " + OWN_ACTIVITIES_ONLY]
    report = import_activities(
        seeded, content, BY, today=TODAY, own_organiser_id=own, method=method, mode="valid_only"
    )
    assert [r.status for r in report.rows] == ["accepted", "accepted", "refused", "accepted"]
