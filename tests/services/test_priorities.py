"""Priority lists on both databases: lifecycle, history, conflicts, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import ConflictError, NotFoundError
from geo.models import AdminUnit, AuditEvent, PriorityList, PriorityListEvent
from services import priorities, priority_export
from services.priorities import PriorityValidationError

HOSTILE = "<script>alert(1)</script>"


def unit(seeded, name: str, valid_from: dt.date | None = dt.date(2025, 7, 1)) -> AdminUnit:
    return seeded.scalars(
        sa.select(AdminUnit).where(
            AdminUnit.name == name,
            AdminUnit.level == "commune",
            AdminUnit.valid_from.is_(None)
            if valid_from is None
            else AdminUnit.valid_from == valid_from,
        )
    ).one()


@pytest.fixture
def communes(seeded) -> dict[str, AdminUnit]:
    """Three of today's communes, a former (2020–2025) commune and a district."""
    return {
        "vinh_linh": unit(seeded, "Xã Vĩnh Linh"),
        "con_co": unit(seeded, "Đặc khu Cồn Cỏ"),
        "dong_ha": seeded.scalars(
            sa.select(AdminUnit).where(AdminUnit.kind == "phuong", AdminUnit.valid_to.is_(None))
        ).first(),
        "old": unit(seeded, "Phường Đông Giang", valid_from=None),
        "district": seeded.scalars(
            sa.select(AdminUnit).where(AdminUnit.name == "Huyện Vĩnh Linh")
        ).one(),
    }


def new_list(seeded, **kwargs) -> PriorityList:
    values = {"name": "Xã ưu tiên năm 2026", "period_from": "2026-01-01"}
    values |= {"period_to": "2026-12-31", "note": "Họp ngày 15/01", "by": "Nguyễn Văn A"}
    return priorities.create_list(seeded, **(values | kwargs))


def test_create_list_is_empty_version_1_and_audited(seeded):
    plist = new_list(seeded)
    assert (plist.version, plist.period_from, plist.period_to) == (
        1,
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    [listed] = [s for s in priorities.all_lists(seeded) if s.id == plist.id]
    assert listed.item_count == 0 and listed.name == "Xã ưu tiên năm 2026"
    audit = seeded.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity.like("priority_list%"), AuditEvent.entity_id == plist.id
        )
    ).all()
    assert [(a.entity, a.action, a.by) for a in audit] == [
        ("priority_list", "create", "Nguyễn Văn A")
    ]
    assert audit[0].after["period_to"] == "2026-12-31"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "   "}, "Hãy nhập “name (tên danh sách)”"),
        ({"name": None}, "Hãy nhập “name (tên danh sách)”"),
        ({"name": "x" * 201}, "dài 201 ký tự, tối đa 200 ký tự"),
        ({"period_from": "2026-12-31", "period_to": "2026-01-01"}, "phải trước hoặc bằng"),
        (
            {"period_from": "31/12/2026"},
            "“period_from (từ ngày)” phải là ngày theo dạng YYYY-MM-DD",
        ),
        ({"note": 12}, "“note (ghi chú)” phải là chữ"),
    ],
)
def test_create_list_refuses_bad_input_with_a_message_naming_the_field(seeded, kwargs, message):
    with pytest.raises(PriorityValidationError) as caught:
        new_list(seeded, **kwargs)
    assert message in caught.value.user_msg
    assert caught.value.http_status == 422


def test_name_of_exactly_200_characters_is_accepted(seeded):
    assert len(new_list(seeded, name="Đ" * 200).name) == 200


def test_add_skips_communes_already_present_and_bumps_version(seeded, communes):
    plist = new_list(seeded)
    first = priorities.add_communes(
        seeded,
        plist.id,
        [communes["vinh_linh"].id, communes["con_co"].id],
        version=1,
        by="Trần Thị B",
        reason="Xã miền núi còn thiếu tiêu chí giao thông",
    )
    assert sorted(first.added) == sorted([communes["vinh_linh"].id, communes["con_co"].id])
    assert first.skipped == [] and plist.version == 2
    again = priorities.add_communes(
        seeded,
        plist.id,
        [communes["con_co"].id, communes["dong_ha"].id, communes["dong_ha"].id],
        version=2,
        by="Trần Thị B",
    )
    assert again.added == [communes["dong_ha"].id] and again.skipped == [communes["con_co"].id]
    assert plist.version == 3
    assert len(priorities.items(seeded, plist.id)) == 3
    assert priorities.all_lists(seeded)[0].item_count == 3


def test_adding_only_duplicates_changes_nothing(seeded, communes):
    plist = new_list(seeded)
    priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=1, by="A")
    result = priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=2, by="A")
    assert (result.added, result.skipped, plist.version) == ([], [communes["con_co"].id], 2)


def test_add_refuses_unknown_ids_and_non_communes_by_id_and_adds_nothing(seeded, communes):
    plist = new_list(seeded)
    with pytest.raises(PriorityValidationError) as caught:
        priorities.add_communes(
            seeded,
            plist.id,
            [communes["vinh_linh"].id, 987654, communes["district"].id],
            version=1,
            by="A",
        )
    assert "2 xã không hợp lệ" in caught.value.user_msg
    assert caught.value.details == [
        "Không có xã nào mang mã số 987654.",
        f"“Huyện Vĩnh Linh” (mã số {communes['district'].id}) không phải xã, phường, đặc khu.",
    ]
    assert priorities.items(seeded, plist.id) == [] and plist.version == 1


def test_add_accepts_only_communes_valid_in_the_period(seeded, communes):
    plist = new_list(seeded)
    with pytest.raises(PriorityValidationError) as caught:
        priorities.add_communes(seeded, plist.id, [communes["old"].id], version=1, by="A")
    assert caught.value.details == [
        f"“Phường Đông Giang” (mã số {communes['old'].id}) không có hiệu lực trong "
        "kỳ 01/01/2026 – 31/12/2026 của danh sách."
    ]
    old_list = new_list(seeded, period_from="2024-01-01", period_to="2024-12-31")
    added = priorities.add_communes(seeded, old_list.id, [communes["old"].id], version=1, by="A")
    assert added.added == [communes["old"].id]
    with pytest.raises(PriorityValidationError) as caught:
        priorities.add_communes(seeded, old_list.id, [communes["con_co"].id], version=2, by="A")
    assert "không có hiệu lực trong kỳ 01/01/2024 – 31/12/2024" in caught.value.details[0]
    # a list spanning the reorganisation of 01/07/2025 may hold both
    both = new_list(seeded, period_from="2025-01-01", period_to="2025-12-31")
    ids = [communes["old"].id, communes["con_co"].id]
    assert priorities.add_communes(seeded, both.id, ids, version=1, by="A").added == ids


def test_list_without_period_accepts_todays_communes_only(seeded, communes):
    plist = new_list(seeded, period_from=None, period_to=None)
    with pytest.raises(PriorityValidationError) as caught:
        priorities.add_communes(seeded, plist.id, [communes["old"].id], version=1, by="A")
    assert f"hôm nay ({dt.date.today():%d/%m/%Y})" in caught.value.details[0]
    assert priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=1, by="A")


@pytest.mark.parametrize(
    ("unit_ids", "message"),
    [([], "không rỗng"), (None, "không rỗng"), (["12"], "số nguyên"), ([True], "số nguyên")],
)
def test_add_refuses_malformed_unit_ids(seeded, unit_ids, message):
    plist = new_list(seeded)
    with pytest.raises(PriorityValidationError, match=message):
        priorities.add_communes(seeded, plist.id, unit_ids, version=1, by="A")


def test_remove_and_history_keep_who_when_why(seeded, communes):
    plist = new_list(seeded)
    ids = [communes["vinh_linh"].id, communes["con_co"].id]
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    priorities.add_communes(seeded, plist.id, ids, version=1, by="Lê C", reason="Còn 5 tiêu chí")
    removed = priorities.remove_communes(
        seeded, plist.id, [communes["con_co"].id], version=2, by="Phạm D", reason="Đã có đỡ đầu"
    )
    assert removed == [communes["con_co"].id] and plist.version == 3
    assert [i.unit_id for i in priorities.items(seeded, plist.id)] == [communes["vinh_linh"].id]
    entries = priorities.history(seeded, plist.id)
    assert [(e.name, e.action, e.by, e.reason) for e in entries] == [
        ("Xã Vĩnh Linh", "add", "Lê C", "Còn 5 tiêu chí"),
        ("Đặc khu Cồn Cỏ", "add", "Lê C", "Còn 5 tiêu chí"),
        ("Đặc khu Cồn Cỏ", "remove", "Phạm D", "Đã có đỡ đầu"),
    ]
    assert all(before <= e.at <= dt.datetime.now(dt.UTC).replace(tzinfo=None) for e in entries)
    audit = seeded.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_id == plist.id, AuditEvent.unit_id == communes["con_co"].id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(a.entity, a.action, a.by) for a in audit] == [
        ("priority_list_item", "create", "Lê C"),
        ("priority_list_item", "delete", "Phạm D"),
    ]
    assert audit[0].after == {
        "priority_list": "Xã ưu tiên năm 2026",
        "unit_id": communes["con_co"].id,
        "reason": "Còn 5 tiêu chí",
    }
    assert audit[1].before["reason"] == "Đã có đỡ đầu" and audit[1].after is None


def test_remove_refuses_communes_not_in_the_list(seeded, communes):
    plist = new_list(seeded)
    priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=1, by="A")
    with pytest.raises(PriorityValidationError) as caught:
        priorities.remove_communes(
            seeded, plist.id, [communes["con_co"].id, communes["vinh_linh"].id], version=2, by="A"
        )
    assert caught.value.details == [f"mã số xã {communes['vinh_linh'].id} không có trong danh sách"]
    assert len(priorities.items(seeded, plist.id)) == 1 and plist.version == 2


def test_compare_lists_by_unit_with_names(seeded, communes):
    earlier, current = new_list(seeded, name="Quý I"), new_list(seeded, name="Quý II")
    priorities.add_communes(
        seeded, earlier.id, [communes["vinh_linh"].id, communes["con_co"].id], version=1, by="A"
    )
    priorities.add_communes(
        seeded, current.id, [communes["con_co"].id, communes["dong_ha"].id], version=1, by="A"
    )
    diff = priorities.compare(seeded, current.id, earlier.id)
    assert diff.added == [priorities.UnitRef(communes["dong_ha"].id, communes["dong_ha"].name)]
    assert diff.removed == [priorities.UnitRef(communes["vinh_linh"].id, "Xã Vĩnh Linh")]
    same = priorities.compare(seeded, current.id, current.id)
    assert same.added == [] and same.removed == []


def test_stale_version_is_a_conflict_with_a_vietnamese_message(seeded, communes):
    plist = new_list(seeded)
    priorities.update_list(seeded, plist.id, version=1, by="A", name="Đổi tên")
    assert plist.version == 2
    for change in (
        lambda: priorities.update_list(seeded, plist.id, version=1, by="B", note="cũ"),
        lambda: priorities.add_communes(
            seeded, plist.id, [communes["con_co"].id], version=1, by="B"
        ),
        lambda: priorities.delete_list(seeded, plist.id, version=1, by="B"),
    ):
        with pytest.raises(ConflictError) as caught:
            change()
        assert "vừa được người khác thay đổi" in caught.value.user_msg
        assert "Hãy tải lại danh sách" in caught.value.user_msg
        assert caught.value.http_status == 409
    assert plist.name == "Đổi tên" and plist.note == "Họp ngày 15/01" and plist.version == 2


def test_missing_version_is_refused(seeded):
    plist = new_list(seeded)
    with pytest.raises(PriorityValidationError, match="Thiếu “version”"):
        priorities.update_list(seeded, plist.id, version=None, by="A", name="x")


def test_update_changes_only_given_fields_and_checks_period(seeded):
    plist = new_list(seeded)
    priorities.update_list(seeded, plist.id, version=1, by="A", period_to="2026-06-30")
    assert (plist.name, plist.period_to, plist.note) == (
        "Xã ưu tiên năm 2026",
        dt.date(2026, 6, 30),
        "Họp ngày 15/01",
    )
    with pytest.raises(PriorityValidationError, match="phải trước hoặc bằng"):
        priorities.update_list(seeded, plist.id, version=2, by="A", period_from="2026-07-01")
    with pytest.raises(PriorityValidationError, match="Hãy nhập"):
        priorities.update_list(seeded, plist.id, version=2, by="A", name="")
    assert plist.version == 2
    audit = seeded.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "priority_list",
            AuditEvent.entity_id == plist.id,
            AuditEvent.action == "update",
        )
    ).one()
    assert (audit.before["period_to"], audit.after["period_to"]) == ("2026-12-31", "2026-06-30")


def test_period_cannot_change_to_one_the_listed_communes_did_not_exist_in(seeded, communes):
    plist = new_list(seeded, period_from="2025-01-01", period_to="2025-12-31")
    ids = [communes["old"].id, communes["con_co"].id]
    priorities.add_communes(seeded, plist.id, ids, version=1, by="A")
    with pytest.raises(PriorityValidationError) as caught:
        priorities.update_list(
            seeded, plist.id, version=2, by="A", period_from="2026-01-01", period_to="2026-12-31"
        )
    assert "Không đổi được kỳ thành 01/01/2026 – 31/12/2026: 1 xã" in caught.value.user_msg
    assert caught.value.details == [f"“Phường Đông Giang” (mã số {communes['old'].id})"]
    with pytest.raises(PriorityValidationError) as caught:
        priorities.update_list(seeded, plist.id, version=2, by="A", period_to="2025-06-30")
    assert caught.value.details == [f"“Đặc khu Cồn Cỏ” (mã số {communes['con_co'].id})"]
    priorities.update_list(seeded, plist.id, version=2, by="A", period_to="2025-09-30")
    assert plist.version == 3 and plist.period_to == dt.date(2025, 9, 30)


def test_soft_delete_hides_the_list_and_keeps_its_rows(seeded, communes):
    plist = new_list(seeded)
    priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=1, by="A")
    priorities.delete_list(seeded, plist.id, version=2, by="A")
    with pytest.raises(NotFoundError, match=f"danh sách ưu tiên số {plist.id}"):
        priorities.get_list(seeded, plist.id)
    with pytest.raises(NotFoundError):
        priorities.add_communes(seeded, plist.id, [communes["vinh_linh"].id], version=3, by="A")
    assert plist.id not in [s.id for s in priorities.all_lists(seeded)]
    assert seeded.get(PriorityList, plist.id).deleted_at is not None
    events = seeded.scalars(
        sa.select(PriorityListEvent).where(PriorityListEvent.priority_list_id == plist.id)
    ).all()
    assert len(events) == 1


def test_a_deleted_list_can_be_restored_with_its_communes(seeded, communes):
    plist = new_list(seeded)
    priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=1, by="A")
    priorities.delete_list(seeded, plist.id, version=2, by="A")
    assert [s.id for s in priorities.all_lists(seeded, deleted=True)] == [plist.id]
    with pytest.raises(ConflictError):
        priorities.restore_list(seeded, plist.id, version=2, by="B")
    priorities.restore_list(seeded, plist.id, version=3, by="B")
    assert priorities.get_list(seeded, plist.id).version == 4
    assert [i.unit_id for i in priorities.items(seeded, plist.id)] == [communes["con_co"].id]
    assert priorities.all_lists(seeded, deleted=True) == []
    with pytest.raises(NotFoundError, match="đã xoá nào mang số"):
        priorities.restore_list(seeded, plist.id, version=4, by="B")
    actions = seeded.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity == "priority_list", AuditEvent.entity_id == plist.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "delete", "restore"]


def test_hostile_text_is_stored_as_typed(seeded, communes):
    plist = new_list(seeded, name=HOSTILE, note=HOSTILE)
    priorities.add_communes(
        seeded, plist.id, [communes["con_co"].id], version=1, by=HOSTILE, reason=HOSTILE
    )
    seeded.expire_all()
    assert priorities.get_list(seeded, plist.id).name == HOSTILE
    [item] = priorities.items(seeded, plist.id)
    assert (item.added_by, item.reason) == (HOSTILE, HOSTILE)


def test_two_planners_saving_the_same_version_one_wins(seeded_engine):
    """Both read version 1 in their own sessions; the second save is refused, not merged."""
    with Session(seeded_engine) as setup:
        list_id = new_list(setup).id
        ids = [
            u
            for u in setup.scalars(
                sa.select(AdminUnit.id)
                .where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
                .order_by(AdminUnit.id)
                .limit(2)
            )
        ]
        setup.commit()
    first, second = Session(seeded_engine), Session(seeded_engine)
    try:
        assert priorities.get_list(first, list_id).version == 1
        assert priorities.get_list(second, list_id).version == 1
        priorities.add_communes(first, list_id, [ids[0]], version=1, by="A", reason="của A")
        first.commit()
        with pytest.raises(ConflictError, match="phiên bản 2, bạn đang xem phiên bản 1"):
            priorities.add_communes(second, list_id, [ids[1]], version=1, by="B")
        second.rollback()
        assert [i.unit_id for i in priorities.items(second, list_id)] == [ids[0]]
    finally:
        first.close()
        second.close()
        with seeded_engine.begin() as conn:
            conn.execute(
                sa.delete(AuditEvent).where(
                    AuditEvent.entity.in_(["priority_list", "priority_list_item"]),
                    AuditEvent.entity_id == list_id,
                )
            )
            conn.execute(sa.delete(PriorityList).where(PriorityList.id == list_id))


# --- exports ------------------------------------------------------------------------


@pytest.fixture
def exported_list(seeded, communes) -> PriorityList:
    plist = new_list(seeded, name='=HYPERLINK("http://evil")', note=HOSTILE)
    priorities.add_communes(
        seeded,
        plist.id,
        [communes["vinh_linh"].id, communes["con_co"].id],
        version=1,
        by="@Nguyễn Văn A",
        reason="+Xã miền núi, còn thiếu tiêu chí",
    )
    priorities.remove_communes(
        seeded, plist.id, [communes["con_co"].id], version=2, by="Lê C", reason=HOSTILE
    )
    priorities.add_communes(
        seeded, plist.id, [communes["dong_ha"].id], version=3, by="Lê C", reason="-1+2"
    )
    return plist


def test_excel_export_has_header_block_vietnamese_headers_and_history(
    seeded, communes, exported_list, tmp_path
):
    now = dt.datetime(2026, 3, 1, 18, 5)
    path = tmp_path / "list.xlsx"
    path.write_bytes(priority_export.to_xlsx(seeded, exported_list.id, now=now))
    book = openpyxl.load_workbook(path)
    try:
        assert book.sheetnames == ["Danh sách", "Lịch sử"]
        rows = list(book["Danh sách"].iter_rows(values_only=True))
        history = list(book["Lịch sử"].iter_rows(values_only=True))
        formulas = [
            c.coordinate for s in book for row in s.iter_rows() for c in row if c.data_type == "f"
        ]
    finally:
        book.close()
    assert rows[0][:2] == ("Danh sách xã ưu tiên", '\'=HYPERLINK("http://evil")')
    assert rows[1][:2] == ("Kỳ", "01/01/2026 – 31/12/2026")
    assert rows[2][:2] == ("Ghi chú", HOSTILE)
    assert rows[3][:2] == ("Ngày xuất", "02/03/2026 01:05 (giờ Việt Nam, UTC+7)")
    assert rows[5] == priority_export.ITEM_HEADERS
    assert rows[5][-2] == "Thời điểm thêm (dd/mm/yyyy HH:MM)"
    body = {row[2]: row for row in rows[6:]}
    assert set(body) == {"Xã Vĩnh Linh", communes["dong_ha"].name}
    vinh_linh = body["Xã Vĩnh Linh"]
    assert vinh_linh[1] == "19363" and vinh_linh[3] == "Xã"
    assert vinh_linh[4] == pytest.approx(communes["vinh_linh"].geometries[0].area_km2)
    assert vinh_linh[5] == "'@Nguyễn Văn A"
    assert vinh_linh[7] == "'+Xã miền núi, còn thiếu tiêu chí"
    assert isinstance(vinh_linh[6], dt.datetime)
    assert body[communes["dong_ha"].name][7] == "'-1+2"
    assert [r[0] for r in rows[6:]] == [1, 2]
    assert formulas == []
    assert history[5] == priority_export.HISTORY_HEADERS
    assert [(r[0], r[2], r[3], r[4], r[6]) for r in history[6:]] == [
        (1, "Xã Vĩnh Linh", "Thêm", "'@Nguyễn Văn A", "'+Xã miền núi, còn thiếu tiêu chí"),
        (2, "Đặc khu Cồn Cỏ", "Thêm", "'@Nguyễn Văn A", "'+Xã miền núi, còn thiếu tiêu chí"),
        (3, "Đặc khu Cồn Cỏ", "Bớt", "Lê C", HOSTILE),
        (4, communes["dong_ha"].name, "Thêm", "Lê C", "'-1+2"),
    ]


def test_csv_export_is_utf8_with_bom_and_parses_back(seeded, communes, exported_list):
    data = priority_export.to_csv(seeded, exported_list.id)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == priority_export.ITEM_HEADERS
    body = {row[2]: row for row in rows[1:]}
    assert set(body) == {"Xã Vĩnh Linh", communes["dong_ha"].name}
    row = body["Xã Vĩnh Linh"]
    area = communes["vinh_linh"].geometries[0].area_km2
    assert row[4] == priority_export.vietnamese_number(area) and "," in row[4]
    assert row[5] == "'@Nguyễn Văn A" and row[7] == "'+Xã miền núi, còn thiếu tiêu chí"
    dt.datetime.strptime(row[6], "%d/%m/%Y %H:%M")
    assert body[communes["dong_ha"].name][7] == "'-1+2"


def test_csv_and_excel_keep_hostile_markup_as_plain_text(seeded, communes, tmp_path):
    plist = new_list(seeded, name=HOSTILE)
    priorities.add_communes(
        seeded, plist.id, [communes["con_co"].id], version=1, by="A", reason=HOSTILE
    )
    rows = list(
        csv.reader(io.StringIO(priority_export.to_csv(seeded, plist.id).decode("utf-8-sig")))
    )
    assert rows[1][7] == HOSTILE
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(priority_export.to_xlsx(seeded, plist.id))
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        values = [v for row in book["Danh sách"].iter_rows(values_only=True) for v in row]
    finally:
        book.close()
    assert values.count(HOSTILE) == 2


def test_neutralise_covers_every_formula_start_and_drops_control_characters():
    for start in "=+-@\t\r":
        assert priority_export.neutralise(f"{start}1+1") == f"'{start}1+1"
    assert priority_export.neutralise("Xã\x00 A\x07") == "Xã A"
    assert priority_export.neutralise(None) == ""


def test_empty_list_exports_headers_only(seeded, tmp_path):
    plist = new_list(seeded, period_from=None, period_to=None, note=None)
    rows = list(
        csv.reader(io.StringIO(priority_export.to_csv(seeded, plist.id).decode("utf-8-sig")))
    )
    assert rows == [list(priority_export.ITEM_HEADERS)]
    path = tmp_path / "empty.xlsx"
    path.write_bytes(priority_export.to_xlsx(seeded, plist.id))
    book = openpyxl.load_workbook(path)
    try:
        sheet = list(book["Danh sách"].iter_rows(values_only=True))
    finally:
        book.close()
    assert sheet[1][:2] == ("Kỳ", "không đặt kỳ") and sheet[2][:2] == ("Ghi chú", "chưa có dữ liệu")
    assert len(sheet) == 6


def test_addable_communes_are_those_valid_in_the_period_and_not_yet_listed(seeded, communes):
    plist = new_list(seeded)
    before = priorities.addable_communes(seeded, plist.id)
    assert len(before) == 78
    priorities.add_communes(seeded, plist.id, [communes["con_co"].id], version=1, by="A")
    after = [ref.unit_id for ref in priorities.addable_communes(seeded, plist.id)]
    assert len(after) == 77 and communes["con_co"].id not in after
    assert communes["old"].id not in after
    spanning = new_list(seeded, period_from="2025-01-01", period_to="2025-12-31")
    ids = [ref.unit_id for ref in priorities.addable_communes(seeded, spanning.id)]
    assert communes["old"].id in ids and communes["con_co"].id in ids
