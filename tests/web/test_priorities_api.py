"""The priority-list JSON API through the Flask test client, on both databases."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
import sqlalchemy as sa

from geo.models import AdminUnit, AuditEvent, PriorityList
from services.priority_export import HISTORY_HEADERS, ITEM_HEADERS

HOSTILE = "<script>alert(1)</script>"
SUMMARY_KEYS = {"id", "name", "period_from", "period_to", "note", "version", "item_count"}
LIST_KEYS = {"id", "name", "period_from", "period_to", "note", "version", "items"}
ITEM_KEYS = {"unit_id", "name", "code", "added_by", "added_at", "reason"}
HISTORY_KEYS = {"unit_id", "name", "action", "by", "at", "reason"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(autouse=True)
def remove_created_lists(seeded_engine):
    """The web tests commit to the shared seeded database: delete the lists they made."""
    with seeded_engine.connect() as conn:
        last_id = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(PriorityList.id), 0)))
    yield
    with seeded_engine.begin() as conn:
        conn.execute(
            sa.delete(AuditEvent).where(
                AuditEvent.entity.in_(["priority_list", "priority_list_item"]),
                AuditEvent.entity_id > last_id,
            )
        )
        for table in ("priority_list_event", "priority_list_item"):
            conn.execute(
                sa.text(f"DELETE FROM {table} WHERE priority_list_id > :id"), {"id": last_id}
            )
        conn.execute(sa.delete(PriorityList).where(PriorityList.id > last_id))


@pytest.fixture
def units(seeded_engine) -> dict[str, int]:
    """Ids of today's communes by name."""
    with seeded_engine.connect() as conn:
        rows = conn.execute(
            sa.select(AdminUnit.name, AdminUnit.id).where(
                AdminUnit.level == "commune", AdminUnit.valid_to.is_(None)
            )
        ).all()
    return dict(rows)


@pytest.fixture
def old_commune(seeded_engine) -> int:
    with seeded_engine.connect() as conn:
        return conn.scalar(
            sa.select(AdminUnit.id).where(
                AdminUnit.name == "Phường Đông Giang", AdminUnit.valid_to.is_not(None)
            )
        )


def create(client, **fields) -> dict:
    body = {"name": "Xã ưu tiên 2026", "period_from": "2026-01-01", "period_to": "2026-12-31"}
    body |= {"note": "Theo họp giao ban"} | fields
    response = client.post("/api/priority-lists", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add(client, plist: dict, ids: list[int], reason="Xã miền núi") -> dict:
    response = client.post(
        f"/api/priority-lists/{plist['id']}/items",
        json={"unit_ids": ids, "reason": reason, "version": plist["version"]},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_create_then_index_and_show_in_the_agreed_shapes(client):
    created = create(client)
    assert set(created) == LIST_KEYS
    assert created["version"] == 1 and created["items"] == []
    assert (created["period_from"], created["period_to"]) == ("2026-01-01", "2026-12-31")
    index = client.get("/api/priority-lists").get_json()
    [summary] = [s for s in index if s["id"] == created["id"]]
    assert set(summary) == SUMMARY_KEYS and summary["item_count"] == 0
    assert summary["name"] == "Xã ưu tiên 2026"
    assert client.get(f"/api/priority-lists/{created['id']}").get_json() == created


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"period_from": "2026-01-01"}, 422, "name"),
        ({"name": "x" * 201}, 422, "name"),
        ({"name": "A", "period_from": "01/02/2026"}, 422, "period_from"),
        ({"name": "A", "period_from": "2026-05-01", "period_to": "2026-01-01"}, 422, "từ ngày"),
    ],
)
def test_create_refuses_bad_fields_naming_them(client, body, status, field):
    response = client.post("/api/priority-lists", json=body)
    assert response.status_code == status
    error = response.get_json()
    assert set(error) == {"error", "details"} and field in error["error"]


def test_body_that_is_not_a_json_object_is_a_400(client):
    for data in ("not json", "[1, 2]"):
        response = client.post(
            "/api/priority-lists", data=data, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert "đối tượng JSON" in response.get_json()["error"]


def test_unknown_list_is_a_404_everywhere(client):
    for path in ("", "/history", "/compare/1", "/export.xlsx", "/export.csv"):
        with client.get(f"/api/priority-lists/987654{path}") as response:
            assert response.status_code == 404
            assert "Không tìm thấy danh sách ưu tiên số 987654" in response.get_json()["error"]
    response = client.post("/api/priority-lists/987654/items", json={"unit_ids": [1], "version": 1})
    assert response.status_code == 404


def test_add_skip_remove_and_history_attributed_to_the_user(client, units):
    who = client.username
    plist = create(client)
    vinh_linh, con_co = units["Xã Vĩnh Linh"], units["Đặc khu Cồn Cỏ"]
    first = add(client, plist, [vinh_linh, con_co])
    assert set(first) == {"list", "added", "skipped"}
    assert sorted(first["added"]) == sorted([vinh_linh, con_co]) and first["skipped"] == []
    assert first["list"]["version"] == 2 and set(first["list"]) == LIST_KEYS
    item = next(i for i in first["list"]["items"] if i["unit_id"] == vinh_linh)
    assert set(item) == ITEM_KEYS
    assert (item["name"], item["code"], item["added_by"], item["reason"]) == (
        "Xã Vĩnh Linh",
        "19363",
        who,
        "Xã miền núi",
    )
    assert ISO_UTC.match(item["added_at"])
    again = add(client, first["list"], [con_co])
    assert (again["added"], again["skipped"]) == ([], [con_co])
    removed = client.post(
        f"/api/priority-lists/{plist['id']}/items/remove",
        json={"unit_ids": [con_co], "reason": "Đã có Sở đỡ đầu", "version": 2},
    )
    assert removed.status_code == 200
    body = removed.get_json()
    assert set(body) == {"list", "removed"} and body["removed"] == [con_co]
    assert [i["unit_id"] for i in body["list"]["items"]] == [vinh_linh]
    assert body["list"]["version"] == 3
    history = client.get(f"/api/priority-lists/{plist['id']}/history").get_json()
    assert all(set(h) == HISTORY_KEYS and ISO_UTC.match(h["at"]) for h in history)
    assert [(h["unit_id"], h["action"], h["by"], h["reason"]) for h in history] == [
        (vinh_linh, "add", who, "Xã miền núi"),
        (con_co, "add", who, "Xã miền núi"),
        (con_co, "remove", who, "Đã có Sở đỡ đầu"),
    ]
    [summary] = [s for s in client.get("/api/priority-lists").get_json() if s["id"] == plist["id"]]
    assert summary["item_count"] == 1 and summary["version"] == 3


def test_a_planner_is_recorded_under_their_account(planner_client, units):
    plist = create(planner_client)
    item = add(planner_client, plist, [units["Xã Vĩnh Linh"]])["list"]["items"][0]
    assert item["added_by"] == planner_client.username == "test-planner"


def test_unknown_and_out_of_period_communes_are_refused_by_id(client, units, old_commune):
    plist = create(client)
    response = client.post(
        f"/api/priority-lists/{plist['id']}/items",
        json={"unit_ids": [units["Xã Vĩnh Linh"], 987654, old_commune], "version": 1},
    )
    assert response.status_code == 422
    details = response.get_json()["details"]
    assert details[0] == "Không có xã nào mang mã số 987654."
    assert f"(mã số {old_commune}) không có hiệu lực" in details[1]
    assert client.get(f"/api/priority-lists/{plist['id']}").get_json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1}, "unit_ids"),
        ({"unit_ids": [1]}, "version"),
        ({"unit_ids": "1", "version": 1}, "unit_ids"),
    ],
)
def test_items_request_missing_fields_is_a_422_naming_the_field(client, body, field):
    plist = create(client)
    response = client.post(f"/api/priority-lists/{plist['id']}/items", json=body)
    assert response.status_code == 422 and field in response.get_json()["error"]


def test_stale_version_is_a_409_and_changes_nothing(client, units):
    plist = create(client)
    add(client, plist, [units["Xã Vĩnh Linh"]])
    stale = [
        client.post(
            f"/api/priority-lists/{plist['id']}/items",
            json={"unit_ids": [units["Đặc khu Cồn Cỏ"]], "version": 1},
        ),
        client.post(
            f"/api/priority-lists/{plist['id']}/items/remove",
            json={"unit_ids": [units["Xã Vĩnh Linh"]], "version": 1},
        ),
        client.patch(f"/api/priority-lists/{plist['id']}", json={"name": "Khác", "version": 1}),
        client.delete(f"/api/priority-lists/{plist['id']}?version=1"),
    ]
    for response in stale:
        assert response.status_code == 409
        assert "người khác thay đổi" in response.get_json()["error"]
        assert "tải lại" in response.get_json()["error"]
    now = client.get(f"/api/priority-lists/{plist['id']}").get_json()
    assert now["name"] == "Xã ưu tiên 2026" and now["version"] == 2
    assert [i["unit_id"] for i in now["items"]] == [units["Xã Vĩnh Linh"]]


def test_patch_changes_only_the_given_fields(client):
    plist = create(client)
    response = client.patch(
        f"/api/priority-lists/{plist['id']}", json={"name": "Quý I/2026", "version": 1}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == LIST_KEYS
    assert (body["name"], body["note"], body["period_to"], body["version"]) == (
        "Quý I/2026",
        "Theo họp giao ban",
        "2026-12-31",
        2,
    )
    cleared = client.patch(
        f"/api/priority-lists/{plist['id']}", json={"note": None, "period_to": None, "version": 2}
    ).get_json()
    assert (cleared["note"], cleared["period_to"], cleared["version"]) == (None, None, 3)
    bad = client.patch(f"/api/priority-lists/{plist['id']}", json={"name": "", "version": 3})
    assert bad.status_code == 422 and "name" in bad.get_json()["error"]


def test_delete_needs_the_version_hides_the_list_and_restore_brings_it_back(client):
    plist = create(client)
    missing = client.delete(f"/api/priority-lists/{plist['id']}")
    assert missing.status_code == 422 and "version" in missing.get_json()["error"]
    response = client.delete(f"/api/priority-lists/{plist['id']}?version=1")
    assert response.status_code == 204 and response.data == b""
    assert client.get(f"/api/priority-lists/{plist['id']}").status_code == 404
    assert plist["id"] not in [s["id"] for s in client.get("/api/priority-lists").get_json()]
    stale = client.post(f"/api/priority-lists/{plist['id']}/restore", json={"version": 1})
    assert stale.status_code == 409
    restored = client.post(f"/api/priority-lists/{plist['id']}/restore", json={"version": 2})
    assert restored.status_code == 200 and set(restored.get_json()) == LIST_KEYS
    assert restored.get_json()["version"] == 3
    assert client.get(f"/api/priority-lists/{plist['id']}").status_code == 200
    again = client.post(f"/api/priority-lists/{plist['id']}/restore", json={"version": 3})
    assert again.status_code == 404


def test_compare_reports_added_and_removed_with_names(client, units):
    earlier, current = create(client, name="Quý I"), create(client, name="Quý II")
    add(client, earlier, [units["Xã Vĩnh Linh"], units["Đặc khu Cồn Cỏ"]])
    add(client, current, [units["Đặc khu Cồn Cỏ"], units["Phường Đông Hà"]])
    diff = client.get(f"/api/priority-lists/{current['id']}/compare/{earlier['id']}").get_json()
    assert diff == {
        "added": [{"unit_id": units["Phường Đông Hà"], "name": "Phường Đông Hà"}],
        "removed": [{"unit_id": units["Xã Vĩnh Linh"], "name": "Xã Vĩnh Linh"}],
    }


def test_hostile_text_comes_back_as_data_in_json(client, units):
    plist = create(client, name=HOSTILE, note=HOSTILE)
    body = add(client, plist, [units["Xã Vĩnh Linh"]], reason=HOSTILE)
    assert body["list"]["name"] == HOSTILE and body["list"]["items"][0]["reason"] == HOSTILE
    with client.get(f"/api/priority-lists/{plist['id']}") as response:
        assert response.mimetype == "application/json"


def disposition(response) -> tuple[str, str]:
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment; ") and header.isascii()
    fallback = re.search(r'filename="([^"]+)"', header).group(1)
    utf8 = unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))
    return fallback, utf8


def test_excel_export_downloads_a_real_workbook(client, units, tmp_path):
    plist = create(client, name="=cmd|' /C calc'!A0 Đông Hà", note=HOSTILE)
    add(client, plist, [units["Xã Vĩnh Linh"], units["Đặc khu Cồn Cỏ"]], reason="@SUM(1+1)")
    with client.get(f"/api/priority-lists/{plist['id']}/export.xlsx") as response:
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        fallback, utf8 = disposition(response)
        (tmp_path / "list.xlsx").write_bytes(response.data)
    assert fallback == f"danh-sach-uu-tien-{plist['id']}-cmd-c-calc-a0-dong-ha.xlsx"
    assert utf8 == "Danh sách ưu tiên - =cmd|' -C calc'!A0 Đông Hà.xlsx"
    book = openpyxl.load_workbook(tmp_path / "list.xlsx")
    try:
        rows = list(book["Danh sách"].iter_rows(values_only=True))
        history = list(book["Lịch sử"].iter_rows(values_only=True))
    finally:
        book.close()
    assert rows[0][1] == "'=cmd|' /C calc'!A0 Đông Hà" and rows[2][1] == HOSTILE
    assert rows[5] == ITEM_HEADERS and history[5] == HISTORY_HEADERS
    assert sorted(r[2] for r in rows[6:]) == ["Xã Vĩnh Linh", "Đặc khu Cồn Cỏ"]
    assert {r[7] for r in rows[6:]} == {"'@SUM(1+1)"} and {r[5] for r in rows[6:]} == {
        client.username
    }
    assert [r[3] for r in history[6:]] == ["Thêm", "Thêm"]


def test_csv_export_downloads_utf8_with_bom(client, units):
    plist = create(client, name="Danh sách <b>Quý II</b>")
    add(client, plist, [units["Xã Vĩnh Linh"]], reason=HOSTILE)
    with client.get(f"/api/priority-lists/{plist['id']}/export.csv") as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        fallback, utf8 = disposition(response)
        data = response.data
    assert fallback == f"danh-sach-uu-tien-{plist['id']}-danh-sach-b-quy-ii-b.csv"
    assert utf8 == "Danh sách ưu tiên - Danh sách <b>Quý II<-b>.csv"
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == ITEM_HEADERS
    assert rows[1][1:4] == ["19363", "Xã Vĩnh Linh", "Xã"] and rows[1][7] == HOSTILE


def test_numbers_beyond_a_database_integer_are_refused_not_crashed(client):
    huge = 10**20
    assert client.get(f"/api/priority-lists/{huge}").status_code == 404
    plist = create(client)
    items = client.post(
        f"/api/priority-lists/{plist['id']}/items", json={"unit_ids": [huge], "version": 1}
    )
    assert items.status_code == 422 and str(huge) in items.get_json()["details"][0]
    patch = client.patch(f"/api/priority-lists/{plist['id']}", json={"name": "B", "version": huge})
    assert patch.status_code == 422 and "version" in patch.get_json()["error"]
    assert client.delete(f"/api/priority-lists/{plist['id']}?version={huge}").status_code == 422


def test_additions_and_removals_show_in_the_communes_own_history(client, units):
    plist = create(client, name="Danh sách <b>A</b>")
    body = add(client, plist, [units["Xã Vĩnh Linh"]], reason="Xã miền núi")
    client.post(
        f"/api/priority-lists/{plist['id']}/items/remove",
        json={"unit_ids": [units["Xã Vĩnh Linh"]], "version": body["list"]["version"]},
    )
    events = client.get(f"/api/communes/{units['Xã Vĩnh Linh']}/history").get_json()["events"]
    ours = [e for e in events if e["entity"] == "priority_list_item"]
    assert [(e["action"], e["entity_id"]) for e in ours] == [
        ("delete", plist["id"]),
        ("create", plist["id"]),
    ]
    page = client.get(f"/communes/{units['Xã Vĩnh Linh']}/history").get_data(as_text=True)
    assert "Xã trong danh sách ưu tiên" in page and "Danh sách &lt;b&gt;A&lt;/b&gt;" in page
