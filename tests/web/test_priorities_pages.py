# ruff: noqa: F811  (pytest fixtures imported from test_priorities_api)
"""The server-rendered priority-list pages: usable without JavaScript, everything escaped."""

from __future__ import annotations

import html
import re

import pytest

from tests.web.auth_fixtures import app_config, login
from tests.web.test_priorities_api import remove_created_lists, units  # noqa: F401 (fixtures)
from webmap.app import create_app

HOSTILE = "<script>alert(1)</script>"


def create(client, name="Xã ưu tiên 2026", note="Theo họp giao ban") -> int:
    response = client.post(
        "/priority-lists",
        data={"name": name, "period_from": "2026-01-01", "period_to": "2026-12-31", "note": note},
    )
    assert response.status_code == 303
    return int(re.search(r"/priority-lists/(\d+)$", response.headers["Location"]).group(1))


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def version_of(text: str) -> str:
    return re.search(r'name="version" value="(\d+)"', text).group(1)


def test_index_lists_names_counts_and_export_links(client, units):
    list_id = create(client)
    detail = page(client, f"/priority-lists/{list_id}")
    client.post(
        f"/priority-lists/{list_id}/items",
        data={"unit_ids": [str(units["Xã Vĩnh Linh"])], "version": version_of(detail)},
    )
    text = page(client, "/priority-lists")
    assert "Danh sách xã ưu tiên" in text and "Xã ưu tiên 2026" in text
    assert "01/01/2026 – 31/12/2026" in text
    row = re.search(rf'<tr>\s*<td><a href="/priority-lists/{list_id}">.*?</tr>', text, re.S)
    assert '<td class="num">1</td>' in row.group(0)
    assert f"/api/priority-lists/{list_id}/export.xlsx" in text
    assert f"/api/priority-lists/{list_id}/export.csv" in text
    assert f'href="/map?list={list_id}">Xem trên bản đồ</a>' in text


def test_add_remove_history_through_forms(client, units):
    who = client.username
    list_id = create(client)
    text = page(client, f"/priority-lists/{list_id}")
    assert "Danh sách chưa có xã nào." in text and "Chưa có thay đổi nào." in text
    assert f'<option value="{units["Xã Vĩnh Linh"]}">Xã Vĩnh Linh</option>' in text
    added = client.post(
        f"/priority-lists/{list_id}/items",
        data={
            "unit_ids": [str(units["Xã Vĩnh Linh"]), str(units["Đặc khu Cồn Cỏ"])],
            "reason": "Xã miền núi",
            "version": version_of(text),
        },
        follow_redirects=True,
    )
    text = added.get_data(as_text=True)
    assert "Đã thêm 2 xã; bỏ qua 0 xã đã có." in text
    assert "Các xã trong danh sách (2)" in text and version_of(text) == "2"
    assert f'<option value="{units["Xã Vĩnh Linh"]}">' not in text
    removed = client.post(
        f"/priority-lists/{list_id}/items/remove",
        data={"unit_ids": [str(units["Đặc khu Cồn Cỏ"])], "reason": "Đã có đỡ đầu", "version": "2"},
        follow_redirects=True,
    )
    text = removed.get_data(as_text=True)
    assert "Đã bớt 1 xã." in text and "Các xã trong danh sách (1)" in text
    history = text[text.index("Lịch sử thêm, bớt") :]
    rows = re.findall(
        r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", history
    )
    assert rows == [
        ("Xã Vĩnh Linh", "Thêm", who),
        ("Đặc khu Cồn Cỏ", "Thêm", who),
        ("Đặc khu Cồn Cỏ", "Bớt", who),
    ]
    assert "Đã có đỡ đầu" in history


def test_compare_form_shows_added_and_removed(client, units):
    earlier, current = create(client, name="Quý I"), create(client, name="Quý II")
    client.post(
        f"/priority-lists/{earlier}/items",
        data={"unit_ids": [str(units["Xã Vĩnh Linh"])], "version": "1"},
    )
    client.post(
        f"/priority-lists/{current}/items",
        data={"unit_ids": [str(units["Đặc khu Cồn Cỏ"])], "version": "1"},
    )
    text = page(client, f"/priority-lists/{current}?compare={earlier}")
    comparison = text[text.index('class="comparison"') :]
    added, removed = comparison.split('class="removed"')
    assert "“Quý I” (1)" in added and "Đặc khu Cồn Cỏ" in added and "Xã Vĩnh Linh" not in added
    assert "Xã Vĩnh Linh" in removed and "Đặc khu Cồn Cỏ" not in removed.split("</div>")[0]
    assert f'<option value="{earlier}" selected>Quý I</option>' in text


def test_hostile_text_is_escaped_everywhere(client, units):
    list_id = create(client, name=HOSTILE, note=HOSTILE)
    client.post(
        f"/priority-lists/{list_id}/items",
        data={"unit_ids": [str(units["Xã Vĩnh Linh"])], "reason": HOSTILE, "version": "1"},
    )
    other = create(client, name="Khác")
    for path in (
        "/priority-lists",
        f"/priority-lists/{list_id}",
        f"/priority-lists/{other}?compare={list_id}",
    ):
        text = page(client, path)
        assert HOSTILE not in text
        assert html.escape(HOSTILE, quote=False) in text.replace("&#34;", '"')


def test_stale_form_is_refused_with_409_and_a_vietnamese_page(client, units):
    list_id = create(client)
    client.post(f"/priority-lists/{list_id}/edit", data={"name": "Tên mới", "version": "1"})
    stale = client.post(
        f"/priority-lists/{list_id}/items",
        data={"unit_ids": [str(units["Xã Vĩnh Linh"])], "version": "1"},
    )
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "vừa được người khác thay đổi" in text and "tải lại" in text
    assert "Các xã trong danh sách (0)" in page(client, f"/priority-lists/{list_id}")


def test_edit_form_keeps_the_note_and_invalid_input_names_the_field(client):
    list_id = create(client)
    response = client.post(
        f"/priority-lists/{list_id}/edit",
        data={
            "name": "Quý III",
            "period_from": "2026-07-01",
            "period_to": "2026-09-30",
            "note": "Theo họp giao ban",
            "version": "1",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Đã lưu." in text and "01/07/2026 – 30/09/2026" in text and "Quý III" in text
    bad = client.post("/priority-lists", data={"name": "", "period_from": "2026-01-01"})
    assert bad.status_code == 422 and "tên danh sách" in bad.get_data(as_text=True)


def test_delete_form_hides_the_list_and_restore_brings_it_back(client):
    list_id = create(client, name="Sẽ xoá")
    response = client.post(
        f"/priority-lists/{list_id}/delete", data={"version": "1"}, follow_redirects=True
    )
    assert "Đã xoá danh sách “Sẽ xoá”." in response.get_data(as_text=True)
    assert client.get(f"/priority-lists/{list_id}").status_code == 404
    index = page(client, "/priority-lists")
    deleted = index[index.index("Danh sách đã xoá") :]
    assert "Sẽ xoá" in deleted and f"/priority-lists/{list_id}/restore" in deleted
    restored = client.post(
        f"/priority-lists/{list_id}/restore", data={"version": "2"}, follow_redirects=True
    )
    assert "Đã khôi phục danh sách “Sẽ xoá”." in restored.get_data(as_text=True)
    index = page(client, "/priority-lists")  # other tests' deleted lists may still be listed
    deleted = index[index.index("Danh sách đã xoá") :] if "Danh sách đã xoá" in index else ""
    assert f"/priority-lists/{list_id}/restore" not in deleted


def test_english(client):
    list_id = create(client)
    assert "Priority commune lists" in page(client, "/priority-lists?lang=en")
    assert "History of additions and removals" in page(client, f"/priority-lists/{list_id}?lang=en")


@pytest.fixture
def signed_in_app(seeded_engine):
    """The app with sign-in required, as deployed."""
    app = create_app(app_config(seeded_engine, "required"))
    yield app
    app.extensions["ntm_engine"].dispose()


def test_with_sign_in_forms_carry_csrf_and_only_planners_change_lists(signed_in_app, units):
    planner = login(signed_in_app.test_client(), "planner")
    text = page(planner, "/priority-lists")
    assert f'name="csrf_token" value="{planner.csrf_token}"' in text
    del planner.environ_base["HTTP_X_CSRFTOKEN"]  # a form posts its field, not the header
    without_token = planner.post("/priority-lists", data={"name": "Không có mã CSRF"})
    assert without_token.status_code == 400
    response = planner.post(
        "/priority-lists", data={"name": "Của planner", "csrf_token": planner.csrf_token}
    )
    assert response.status_code == 303
    list_id = int(response.headers["Location"].rsplit("/", 1)[1])
    detail = page(planner, f"/priority-lists/{list_id}")
    assert detail.count(f'name="csrf_token" value="{planner.csrf_token}"') >= 3
    planner.post(
        f"/priority-lists/{list_id}/items",
        data={
            "unit_ids": [str(units["Xã Vĩnh Linh"])],
            "version": "1",
            "csrf_token": planner.csrf_token,
        },
    )
    assert planner.username in page(planner, f"/priority-lists/{list_id}")
    viewer = login(signed_in_app.test_client(), "viewer")
    assert "Của planner" in page(viewer, "/priority-lists")
    refused = viewer.post(
        f"/priority-lists/{list_id}/delete", data={"version": "2", "csrf_token": viewer.csrf_token}
    )
    assert refused.status_code == 403
    anonymous = signed_in_app.test_client().get("/priority-lists")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_list_dates_typed_as_dd_mm_yyyy_without_javascript(client):
    """The form's text fields are sent as typed when the browser runs no script."""
    response = client.post(
        "/priority-lists",
        data={"name": "Quý IV", "period_from": "01/10/2026", "period_to": "31/12/2026"},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<input type="hidden" data-iso-for="period_from" value="2026-10-01">' in page
    assert 'value="31/12/2026"' in page
    bad = client.post(
        "/priority-lists", data={"name": "Sai", "period_from": "31/02/2026"}
    ).get_data(as_text=True)
    assert "31/02/2026" in bad and "period_from" in bad
