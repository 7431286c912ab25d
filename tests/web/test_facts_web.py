"""The fact import page (/facts/import) and the correction API (/api/communes/<id>/...) on both
databases: templates, dry-run previews of real CSV and .xlsx files with row numbers, confirm
writes and checks again, roles, file types by their bytes, history kept, hostile text.

The web fixtures commit into the shared seeded database: ``undo_writes`` removes every row
these tests add and un-supersedes what they superseded."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import html
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    AdminUnit,
    AuditEvent,
    Classification,
    CriterionAssessment,
    DatasetLoad,
    NtmLevel,
)
from services import facts
from tests.hostile_strings import HOSTILE_STRINGS

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning")

TODAY = dt.date.today()
HEADER = ["Mã xã", "Tên xã", "Bộ tiêu chí", "Tiêu chí số", "Kết quả", "Ngày đánh giá", "Nguồn"]
WRITTEN = (CriterionAssessment, Classification, NtmLevel, AuditEvent, DatasetLoad)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def engine(app):
    return app.extensions["ntm_engine"]


@pytest.fixture(autouse=True)
def undo_writes(app):
    engine = app.extensions["ntm_engine"]
    with Session(engine) as s:
        last = {m: s.scalar(sa.select(sa.func.max(m.id))) or 0 for m in WRITTEN}
        open_ids = set(
            s.scalars(sa.select(Classification.id).where(Classification.superseded_at.is_(None)))
        )
    yield
    with Session(engine) as s:
        for model in WRITTEN:
            s.execute(sa.delete(model).where(model.id > last[model]))
        if open_ids:
            s.execute(
                sa.update(Classification)
                .where(Classification.id.in_(open_ids), Classification.superseded_at.is_not(None))
                .values(superseded_at=None)
            )
        s.commit()


@pytest.fixture
def commune(engine) -> tuple[int, str]:
    """(id, code) of Phường Đông Hà as it is today."""
    with Session(engine) as s:
        unit = s.scalars(
            sa.select(AdminUnit).where(
                AdminUnit.code == "19333",
                AdminUnit.level == "commune",
                AdminUnit.valid_to.is_(None),
            )
        ).one()
        return unit.id, unit.code


@pytest.fixture
def criterion(engine) -> tuple[int, str, int]:
    """(id, set legal basis, number) of criterion 2 of the set in force today."""
    with Session(engine) as s:
        cset = facts.criteria_set_on(s, TODAY)
        found = facts.find_criterion(s, cset, 2)
        return found.id, cset.code, found.number


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def preview(client, kind, name, data, status=200) -> str:
    form = {"kind": kind, "csrf_token": client.csrf_token, "file": (io.BytesIO(data), name)}
    with client.post("/facts/import", data=form, content_type="multipart/form-data") as r:
        assert r.status_code == status, r.get_data(as_text=True)[:2000]
        return r.get_data(as_text=True)


def carried(page: str) -> dict:
    form = page.split('id="confirm-import"', 1)[1]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    return {k: html.unescape(v) for k, v in fields.items()}


def confirm(client, fields: dict, status=200) -> str:
    with client.post("/facts/import/confirm", data=fields) as r:
        assert r.status_code == status, r.get_data(as_text=True)[:2000]
        return r.get_data(as_text=True)


def rows_for(code, cset, statuses) -> list[list]:
    return [HEADER] + [
        [code, "", cset, number, status, TODAY.strftime("%d/%m/%Y"), "BC thử"]
        for number, status in statuses
    ]


# --- the import page ------------------------------------------------------------------------


def test_page_and_templates(planner_client):
    with planner_client.get("/facts/import") as r:
        page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Nhập dữ liệu xã từ tệp" in page
    for kind in ("assessments", "classifications", "ntm-levels", "departments", "sponsorships"):
        assert f"/facts/import/template/{kind}.xlsx" in page
    with planner_client.get("/facts/import/template/assessments.xlsx") as r:
        assert r.status_code == 200 and r.mimetype == XLSX
        book = openpyxl.load_workbook(io.BytesIO(r.data), read_only=True)
        headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
        book.close()
    assert "Mã xã" in headers and any("Tiêu chí" in (h or "") for h in headers)
    with planner_client.get("/facts/import/template/nothing.xlsx") as r:
        assert r.status_code == 400 and "Loại dữ liệu" in r.get_data(as_text=True)
    with planner_client.get("/facts/import?lang=en") as r:
        assert "Import commune facts from a file" in r.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_preview_shows_each_row_and_writes_nothing(planner_client, engine, commune, criterion, fmt):
    _, code = commune
    rows = rows_for(code, criterion[1], [(2, "đạt"), (3, "tốt"), (4, "chưa đạt")])
    data = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    before = count(engine, CriterionAssessment)
    page = preview(planner_client, "assessments", f"bao-cao.{fmt}", data)
    assert count(engine, CriterionAssessment) == before
    assert "Xem trước (chưa ghi gì)" in page
    assert re.search(r'<tr class="accepted"><td class="num">2</td>', page)
    assert re.search(r'<tr class="refused"><td class="num">3</td>', page)
    assert "giá trị &#39;tốt&#39; không hợp lệ" in page
    assert "1 dòng bị từ chối" in page and "không ghi dòng nào" in page
    assert 'id="confirm-import"' not in page  # nothing to confirm while a row is refused


def test_confirm_checks_again_and_writes(planner_client, engine, commune, criterion):
    unit_id, code = commune
    good = csv_bytes(rows_for(code, criterion[1], [(2, "đạt"), (3, "chưa đạt")]))
    page = preview(planner_client, "assessments", "tot.csv", good)
    fields = carried(page)
    assert fields["kind"] == "assessments" and fields["filename"] == "tot.csv"
    before = count(engine, CriterionAssessment)

    # a confirm whose bytes do not match the previewed digest is refused
    tampered = fields | {"content": base64.b64encode(good + b"x").decode()}
    assert "không khớp" in confirm(planner_client, tampered, 400)
    # a forged confirm (new bytes and their digest) is checked again row by row: nothing written
    bad = csv_bytes(rows_for(code, criterion[1], [(2, "đạt"), (3, "tệ")]))
    forged = fields | {
        "content": base64.b64encode(bad).decode(),
        "sha256": hashlib.sha256(bad).hexdigest(),
    }
    page = confirm(planner_client, forged, 422)
    assert "Dòng 3" in page or re.search(r'<tr class="refused"><td class="num">3</td>', page)
    # and a PNG under a CSV name is refused by its bytes
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    forged = fields | {
        "content": base64.b64encode(png).decode(),
        "sha256": hashlib.sha256(png).hexdigest(),
    }
    assert "nội dung thực là: png" in confirm(planner_client, forged, 415)
    assert count(engine, CriterionAssessment) == before

    page = confirm(planner_client, fields)
    assert "Kết quả nhập" in page and "đã ghi" in page
    assert count(engine, CriterionAssessment) == before + 2
    with Session(engine) as s:
        now = facts.current_assessments(s, unit_id, criterion[1], TODAY)
        assert [(c.number, c.status) for c in now if c.number in (2, 3)] == [
            (2, "met"),
            (3, "unmet"),
        ]


def test_wrong_file_type_is_refused(planner_client):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    page = preview(planner_client, "assessments", "bang.xlsx", png, 415)
    assert "Tệp “bang.xlsx” không phải loại được nhận" in page and "png" in page
    assert 'id="confirm-import"' not in page


def test_viewer_may_not_import(viewer_client, engine, commune, criterion):
    data = csv_bytes(rows_for(commune[1], criterion[1], [(2, "đạt")]))
    form = {
        "kind": "assessments",
        "csrf_token": viewer_client.csrf_token,
        "file": (io.BytesIO(data), "a.csv"),
    }
    with viewer_client.post("/facts/import", data=form, content_type="multipart/form-data") as r:
        assert r.status_code == 403
    with viewer_client.post("/facts/import/confirm", data={"kind": "assessments"}) as r:
        assert r.status_code == 403


def test_hostile_cells_show_as_text(planner_client, commune, criterion):
    hostile = "<script>window.__xss=1</script>"
    rows = rows_for(commune[1], criterion[1], [(2, hostile)])
    page = preview(planner_client, "assessments", "<img src=x onerror=1>.csv", csv_bytes(rows))
    assert hostile not in page and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert "<img src=x" not in page


# --- the correction API ---------------------------------------------------------------------


def test_assessment_correction_keeps_history(planner_client, commune, criterion):
    unit_id, criterion_id = commune[0], criterion[0]
    url = f"/api/communes/{unit_id}/assessments"
    first = {
        "criterion_id": criterion_id,
        "status": "unmet",
        "assessed_on": TODAY.isoformat(),
        "source": "BC 1",
    }
    with planner_client.post(url, json=first) as r:
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["recorded_by"] == "test-planner"
    second = first | {"status": "met", "source": "BC 2", "note": "sửa lại"}
    with planner_client.post(url, json=second) as r:
        assert r.status_code == 201
    with planner_client.get(f"/api/communes/{unit_id}/assessments/{criterion_id}/history") as r:
        history = r.get_json()
    mine = [(h["status"], h["source"]) for h in history if h["source"] in ("BC 1", "BC 2")]
    assert mine == [("met", "BC 2"), ("unmet", "BC 1")]
    with planner_client.get(f"/api/map/communes/{unit_id}") as r:
        item = next(
            c for c in r.get_json()["criteria"]["items"] if c["criterion_id"] == criterion_id
        )
    assert (item["status"], item["source"]) == ("met", "BC 2")


def test_classification_correction_supersedes_and_keeps(planner_client, engine, commune):
    unit_id = commune[0]
    url = f"/api/communes/{unit_id}/classifications"
    body = {
        "flag": "island",
        "value": "true",
        "period_from": TODAY.isoformat(),
        "legal_basis": "QĐ thử 1",
    }
    with planner_client.post(url, json=body) as r:
        assert r.status_code == 201, r.get_json()
    with planner_client.post(url, json=body | {"value": "false", "legal_basis": "QĐ thử 2"}) as r:
        assert r.status_code == 201
    with Session(engine) as s:
        rows = facts.classification_history(s, unit_id, "island")
        mine = [
            (c.value, c.superseded_at is None)
            for c in rows
            if (c.legal_basis or "").startswith("QĐ thử")
        ]
        assert mine == [("false", True), ("true", False)]
        assert facts.classifications_of(s, unit_id, TODAY)["island"].value == "false"


def test_ntm_level_correction_keeps_history(planner_client, engine, commune):
    unit_id = commune[0]
    url = f"/api/communes/{unit_id}/ntm-levels"
    body = {
        "year": TODAY.year,
        "level": "registered",
        "target_year": TODAY.year + 1,
        "source": "KH thử",
    }
    with planner_client.post(url, json=body) as r:
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["target_level"] == "standard"
    with planner_client.post(
        url, json={"year": TODAY.year, "level": "standard", "source": "KH thử"}
    ) as r:
        assert r.status_code == 201
    with Session(engine) as s:
        assert facts.current_ntm_level(s, unit_id, TODAY.year).level == "standard"
        mine = [row.level for row in facts.ntm_level_history(s, unit_id) if row.source == "KH thử"]
        assert mine == ["standard", "registered"]


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        (
            "assessments",
            {"criterion_id": "{c}", "status": "good", "assessed_on": "{d}"},
            "status",
            "không hợp lệ",
        ),
        (
            "assessments",
            {"criterion_id": "{c}", "status": "met", "assessed_on": "15/09/2025"},
            "assessed_on",
            "YYYY-MM-DD",
        ),
        (
            "assessments",
            {"criterion_id": "{c}", "status": "met", "assessed_on": "2999-01-01"},
            "assessed_on",
            "tương lai",
        ),
        (
            "assessments",
            {"criterion_id": 99999999, "status": "met", "assessed_on": "{d}"},
            "criterion_id",
            "Không có tiêu chí",
        ),
        (
            "assessments",
            {"criterion_id": 0, "status": "met", "assessed_on": "{d}"},
            "criterion_id",
            "số nguyên dương",
        ),
        ("assessments", {"criterion_id": "{c}", "assessed_on": "{d}"}, "status", "Thiếu"),
        (
            "classifications",
            {"flag": "volcanic", "value": "true", "period_from": "{d}"},
            "flag",
            "không hợp lệ",
        ),
        (
            "classifications",
            {"flag": "island", "value": "maybe", "period_from": "{d}", "legal_basis": "QĐ"},
            "value",
            "không hợp lệ",
        ),
        (
            "classifications",
            {"flag": "island", "value": "true", "period_from": "{d}"},
            "legal_basis",
            "căn cứ pháp lý",
        ),
        ("ntm-levels", {"year": 1999, "level": "standard"}, "year", "2010"),
        ("ntm-levels", {"year": 2025, "level": "excellent"}, "level", "không hợp lệ"),
        ("ntm-levels", {"year": 2025, "level": "registered"}, "target_year", "năm mục tiêu"),
    ],
)
def test_bad_values_are_refused_with_the_field(
    planner_client, engine, commune, criterion, path, body, field, words
):
    body = {
        k: criterion[0] if v == "{c}" else TODAY.isoformat() if v == "{d}" else v
        for k, v in body.items()
    }
    before = {m: count(engine, m) for m in WRITTEN}
    with planner_client.post(f"/api/communes/{commune[0]}/{path}", json=body) as r:
        assert r.status_code == 422, r.get_json()
        message = r.get_json()["error"]
    assert f"“{field}”" in message and words.lower() in message.lower(), message
    assert {m: count(engine, m) for m in WRITTEN} == before


def test_unknown_commune_and_bad_body(planner_client, criterion):
    body = {"criterion_id": criterion[0], "status": "met", "assessed_on": TODAY.isoformat()}
    with planner_client.post("/api/communes/99999999/assessments", json=body) as r:
        assert r.status_code == 422 and "99999999" in r.get_json()["error"]
    with planner_client.post("/api/communes/1/assessments", json=[1, 2]) as r:
        assert r.status_code == 400 and "JSON" in r.get_json()["error"]


def test_viewer_may_not_correct(viewer_client, engine, commune, criterion):
    before = count(engine, CriterionAssessment)
    body = {"criterion_id": criterion[0], "status": "met", "assessed_on": TODAY.isoformat()}
    for path in ("assessments", "classifications", "ntm-levels"):
        with viewer_client.post(f"/api/communes/{commune[0]}/{path}", json=body) as r:
            assert r.status_code == 403 and "không được phép" in r.get_json()["error"]
    with viewer_client.get(f"/api/communes/{commune[0]}/assessments/{criterion[0]}/history") as r:
        assert r.status_code == 200
    assert count(engine, CriterionAssessment) == before


def test_hostile_strings_are_stored_and_returned_as_text(planner_client, commune, criterion):
    unit_id, criterion_id = commune[0], criterion[0]
    sent = [s for s in HOSTILE_STRINGS if s.strip() and len(s) <= 2000 and "\x00" not in s]
    for text in sent:
        body = {
            "criterion_id": criterion_id,
            "status": "unknown",
            "assessed_on": TODAY.isoformat(),
            "source": text,
            "note": text,
        }
        with planner_client.post(f"/api/communes/{unit_id}/assessments", json=body) as r:
            assert r.status_code == 201, (text, r.get_json())
            assert r.get_json()["note"] == text.strip()
    with planner_client.get(f"/api/communes/{unit_id}/assessments/{criterion_id}/history") as r:
        assert r.mimetype == "application/json"
        notes = {h["note"] for h in r.get_json()}
    assert {s.strip() for s in sent} <= notes


def test_confirm_carries_files_larger_than_the_default_form_limit(planner_client):
    """Werkzeug keeps form fields under 500 kB by default; the carried file may be larger."""
    big = base64.b64encode(b"a" * 900_000).decode()
    fields = {"kind": "assessments", "filename": "lon.csv", "sha256": "0" * 64, "content": big}
    assert "không khớp" in confirm(planner_client, fields, 400)
