"""Importing facts from real CSV and Excel files on both databases: each kind, each
bad input with its row and column, all-or-nothing, no duplicates, code reuse by date,
formula-looking cells kept as text, and the templates filled in and imported back."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from geo.errors import ImportValidationError
from geo.models import (
    AuditEvent,
    Classification,
    CriterionAssessment,
    DatasetLoad,
    NtmLevel,
    Organisation,
    Sponsorship,
)
from services import fact_import, facts
from services.fact_cells import parse_date
from services.fact_columns import EXAMPLE_MARK, KINDS, template_workbook
from tests.services.test_facts import TODAY, unit_id

ASSESSMENT_HEADER = [
    "Mã xã",
    "Tên xã",
    "Bộ tiêu chí",
    "Tiêu chí số",
    "Kết quả (đạt/chưa đạt/chưa rõ)",
    "Ngày đánh giá (dd/mm/yyyy)",
    "Nguồn",
]
CLASSIFICATION_HEADER = [
    "Mã xã",
    "Loại",
    "Giá trị",
    "Từ ngày",
    "Đến ngày",
    "Căn cứ pháp lý",
    "Nguồn",
]
LEVEL_HEADER = ["Mã xã", "Năm", "Mức", "Năm mục tiêu", "Nguồn"]
DEPARTMENT_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Tên viết tắt",
    "Từ ngày",
    "Đến ngày",
    "Đơn vị kế thừa",
]
SPONSORSHIP_HEADER = ["Mã đơn vị", "Mã xã", "Từ ngày", "Đến ngày", "Ghi chú"]


def write_csv(path, rows, delimiter=",", bom=False):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write(tmp_path, fmt, rows, name="facts"):
    """The same rows as a CSV with text dates or an .xlsx with real date cells."""
    if fmt == "csv":
        text_rows = [
            [c.strftime("%d/%m/%Y") if isinstance(c, dt.date) else c for c in r] for r in rows
        ]
        return write_csv(tmp_path / f"{name}.csv", text_rows)
    return write_xlsx(tmp_path / f"{name}.xlsx", rows)


def run(session, kind, path, **kwargs):
    return fact_import.import_facts(session, kind, path, by="Lan", today=TODAY, **kwargs)


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def refusals(report) -> list[str]:
    return [str(o) for o in report.refused]


# --- each kind, from CSV and from Excel ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_assessments(seeded, tmp_path, fmt):
    rows = [
        ASSESSMENT_HEADER,
        ["19333", "Phường Đông Hà", "QĐ 318", 2, "đạt", dt.date(2025, 9, 15), "BC 1"],
        ["19333", "", "", "3", "chưa đạt", dt.date(2025, 9, 15), ""],
        [19333, "", "NTM_XA_2021_2025", 2, "Chưa đạt", dt.date(2025, 11, 20), ""],
    ]
    report = run(seeded, "assessments", write(tmp_path, fmt, rows))
    assert report.written and refusals(report) == []
    assert [o.row for o in report.rows_with("accepted")] == [2, 3, 4]
    dong_ha = unit_id(seeded, "19333", TODAY)
    now = facts.current_assessments(seeded, dong_ha, "NTM_XA_2021_2025", TODAY)
    assert [(s.number, s.status) for s in now if s.has_data] == [(2, "unmet"), (3, "unmet")]
    on_oct = facts.current_assessments(seeded, dong_ha, "NTM_XA_2021_2025", dt.date(2025, 10, 1))
    assert on_oct[1].status == "met" and on_oct[1].source == "BC 1"
    assert on_oct[1].recorded_by == "Lan"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_classifications(seeded, tmp_path, fmt):
    rows = [
        CLASSIFICATION_HEADER,
        ["19333", "miền núi", "có", dt.date(2025, 7, 1), None, "QĐ 861/QĐ-TTg", "Sở DT&TG"],
        ["19333", "nhóm xã", "2", dt.date(2026, 2, 15), None, "QĐ 51/2025/QĐ-TTg", ""],
        ["19333", "hải đảo", "chưa rõ", dt.date(2025, 7, 1), None, "", ""],
    ]
    report = run(seeded, "classifications", write(tmp_path, fmt, rows))
    assert report.written, refusals(report)
    flags = facts.classifications_of(seeded, unit_id(seeded, "19333", TODAY), TODAY)
    assert (flags["mountainous"].value, flags["mountainous"].legal_basis) == (
        "true",
        "QĐ 861/QĐ-TTg",
    )
    assert flags["commune_group"].value == "2"
    assert flags["island"].value is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_ntm_levels(seeded, tmp_path, fmt):
    rows = [
        LEVEL_HEADER,
        ["19333", 2025, "đăng ký", 2027, "KH 2025"],
        ["19366", "2026", "đạt chuẩn", None, ""],
    ]
    report = run(seeded, "ntm-levels", write(tmp_path, fmt, rows))
    assert report.written, refusals(report)
    level = facts.current_ntm_level(seeded, unit_id(seeded, "19333", TODAY), 2025)
    assert (level.level, level.target_level, level.target_year, level.recorded_by) == (
        "registered",
        "standard",
        2027,
        "Lan",
    )
    assert (
        facts.current_ntm_level(seeded, unit_id(seeded, "19366", TODAY), 2026).level == "standard"
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_departments_with_a_successor_later_in_the_file(seeded, tmp_path, fmt):
    rows = [
        DEPARTMENT_HEADER,
        [
            "QT44-BQL-CU",
            "Ban Quản lý cũ",
            "BQL cũ",
            dt.date(2025, 7, 1),
            dt.date(2026, 1, 1),
            "QT44-BQL",
        ],
        ["QT44-BQL", "Ban Quản lý dự án", "BQL", dt.date(2026, 1, 1), None, ""],
    ]
    report = run(seeded, "departments", write(tmp_path, fmt, rows))
    assert report.written, refusals(report)
    old = seeded.scalars(sa.select(Organisation).where(Organisation.code == "QT44-BQL-CU")).one()
    assert old.successor.name == "Ban Quản lý dự án" and old.valid_to == dt.date(2026, 1, 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sponsorships_started_then_ended_by_a_later_file(seeded, tmp_path, fmt):
    start = [SPONSORSHIP_HEADER, ["QT44-SNNMT", "19333", dt.date(2025, 8, 1), None, "đợt 1"]]
    assert run(seeded, "sponsorships", write(tmp_path, fmt, start, "a")).written
    on_day = facts.sponsorships_on(seeded, dt.date(2025, 9, 1))
    assert [(s.department.code, s.unit.name, s.note) for s in on_day] == [
        ("QT44-SNNMT", "Phường Đông Hà", "đợt 1")
    ]
    end = [
        SPONSORSHIP_HEADER,
        ["QT44-SNNMT", "19333", dt.date(2025, 8, 1), dt.date(2026, 1, 1), ""],
    ]
    report = run(seeded, "sponsorships", write(tmp_path, fmt, end, "b"))
    assert "kết thúc ngày 01/01/2026" in report.outcomes[0].message
    assert facts.sponsorships_on(seeded, dt.date(2026, 2, 1)) == []
    assert count(seeded, Sponsorship) == 1


# --- file shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", True), (";", False), (",", True), ("\t", False)]
)
def test_csv_with_bom_and_other_separators(seeded, tmp_path, delimiter, bom):
    rows = [
        ASSESSMENT_HEADER,
        ["19333", "Phường Đông Hà", "QĐ 318", "2", "đạt", "15/09/2025", "a; b"],
    ]
    path = write_csv(tmp_path / "x.csv", rows, delimiter, bom)
    report = run(seeded, "assessments", path)
    assert report.written and len(report.rows_with("accepted")) == 1
    assert seeded.scalars(sa.select(CriterionAssessment.source)).all() == ["a; b"]


def test_english_headers_and_iso_dates(seeded, tmp_path):
    rows = [["commune_code", "criterion", "result", "date"], ["19333", "TC02", "met", "2025-09-15"]]
    report = run(seeded, "assessments", write_csv(tmp_path / "en.csv", rows))
    assert report.written and len(report.rows_with("accepted")) == 1


def test_missing_column_refuses_the_file(seeded, tmp_path):
    path = write_csv(
        tmp_path / "x.csv",
        [["Mã xã", "Tiêu chí số", "Ngày đánh giá"], ["19333", "2", "15/09/2025"]],
    )
    with pytest.raises(ImportValidationError, match="thiếu cột bắt buộc: Kết quả"):
        run(seeded, "assessments", path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.csv", b"M\xe3 x\xe3,K\xeat qu\xe1\n19333,\xf0\xe1t\n", "không ở mã UTF-8"),
        ("x.xlsx", b"not a zip", "không phải Excel"),
        ("x.xls", b"\xd0\xcf\x11\xe0", "định dạng .xls cũ"),
        ("x.csv", b"\n\n", "tệp trống"),
    ],
)
def test_unreadable_files_are_refused(seeded, name, content, message):
    with pytest.raises(ImportValidationError, match=message):
        fact_import.import_facts(seeded, "assessments", content, filename=name, by="Lan")


def test_excel_dates_as_serial_numbers_and_text():
    assert parse_date(45915) == dt.date(2025, 9, 15)
    assert parse_date(dt.datetime(2025, 9, 15, 0, 0)) == dt.date(2025, 9, 15)
    assert parse_date("5/9/2025") == dt.date(2025, 9, 5)
    assert parse_date("2025-09-15 00:00:00") == dt.date(2025, 9, 15)
    for bad in ("31/02/2025", "09/15/2025", "15 tháng 9", "45915"):
        with pytest.raises(ValueError):
            parse_date(bad)


# --- bad rows: row number and column named, nothing written --------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            ["99999", "", "", "2", "đạt", "15/09/2025"],
            "Dòng 3, cột 'Mã xã': Không có xã nào mã 99999 vào ngày 15/09/2025",
        ),
        (
            ["19333", "", "QĐ 318", "25", "đạt", "15/09/2025"],
            "Dòng 3, cột 'Tiêu chí số': Bộ tiêu chí QĐ 318/QĐ-TTg 08/03/2022 không có tiêu chí số 25",
        ),
        (
            ["19333", "", "QĐ 318", "2", "đạt", "01/03/2026"],
            "Dòng 3, cột 'Ngày đánh giá (dd/mm/yyyy)': Ngày đánh giá 01/03/2026 nằm ngoài thời gian áp dụng",
        ),
        (
            ["19333", "", "", "2", "đạt", "01/01/2027"],
            "Dòng 3, cột 'Ngày đánh giá (dd/mm/yyyy)': Ngày đánh giá 01/01/2027 ở tương lai",
        ),
        (
            ["19333", "", "", "2", "tốt", "15/09/2025"],
            "Dòng 3, cột 'Kết quả (đạt/chưa đạt/chưa rõ)': giá trị 'tốt' không hợp lệ: chọn một trong đạt, chưa đạt, không đạt, chưa rõ",
        ),
        (
            ["19333", "", "", "2", "đạt", "31/02/2025"],
            "Dòng 3, cột 'Ngày đánh giá (dd/mm/yyyy)': '31/02/2025' không phải ngày hợp lệ",
        ),
        (["19333", "", "", "", "đạt", "15/09/2025"], "Dòng 3, cột 'Tiêu chí số': thiếu giá trị"),
        (
            ["19333", "", "QĐ 999", "2", "đạt", "15/09/2025"],
            "Dòng 3, cột 'Bộ tiêu chí': Không nhận ra bộ tiêu chí 'QĐ 999'",
        ),
        (["", "", "", "2", "đạt", "15/09/2025"], "Dòng 3, cột 'Mã xã': Thiếu mã xã và tên xã"),
    ],
)
def test_one_bad_assessment_row_writes_nothing(seeded, tmp_path, cells, expected):
    good = ["19333", "Phường Đông Hà", "QĐ 318", "2", "đạt", "15/09/2025", ""]
    path = write_csv(
        tmp_path / "x.csv", [ASSESSMENT_HEADER, good, cells + [""], good[:3] + ["4"] + good[4:]]
    )
    before = (
        count(seeded, CriterionAssessment),
        count(seeded, AuditEvent),
        count(seeded, DatasetLoad),
    )
    report = run(seeded, "assessments", path)
    assert not report.written
    assert [o.row for o in report.refused] == [3]
    assert refusals(report)[0].startswith(expected), refusals(report)
    assert [o.row for o in report.rows_with("accepted")] == [2, 4]
    after = (
        count(seeded, CriterionAssessment),
        count(seeded, AuditEvent),
        count(seeded, DatasetLoad),
    )
    assert after == before
    assert "không ghi dòng nào" in report.summary()


def test_several_bad_cells_of_a_row_are_all_named(seeded, tmp_path):
    path = write_csv(
        tmp_path / "x.csv", [ASSESSMENT_HEADER, ["19333", "", "", "x", "tốt", "hôm qua", ""]]
    )
    columns = [o.column for o in run(seeded, "assessments", path).refused]
    assert columns == [
        "Ngày đánh giá (dd/mm/yyyy)",
        "Kết quả (đạt/chưa đạt/chưa rõ)",
        "Tiêu chí số",
    ]


@pytest.mark.parametrize(
    ("kind", "rows", "expected"),
    [
        (
            "classifications",
            [CLASSIFICATION_HEADER, ["19333", "miền núi", "1", "01/07/2025", "", "QĐ 1", ""]],
            "Dòng 2, cột 'Giá trị': giá trị '1' không hợp lệ: chọn một trong có, không",
        ),
        (
            "classifications",
            [CLASSIFICATION_HEADER, ["19333", "đồng bằng", "có", "01/07/2025", "", "QĐ 1", ""]],
            "Dòng 2, cột 'Loại': giá trị 'đồng bằng' không hợp lệ",
        ),
        (
            "classifications",
            [CLASSIFICATION_HEADER, ["19333", "hải đảo", "có", "01/07/2025", "", "", ""]],
            "Dòng 2, cột 'Căn cứ pháp lý': Cần ghi căn cứ pháp lý",
        ),
        (
            "ntm-levels",
            [LEVEL_HEADER, ["19333", "2026", "đăng ký", "", ""]],
            "Dòng 2, cột 'Năm mục tiêu': Mức 'đăng ký' cần năm mục tiêu",
        ),
        (
            "ntm-levels",
            [LEVEL_HEADER, ["19333", "2030", "đạt chuẩn", "", ""]],
            "Dòng 2, cột 'Năm': Năm 2030 phải từ 2010 đến 2026",
        ),
        (
            "sponsorships",
            [SPONSORSHIP_HEADER, ["QT44-SNNMT", "19333", "01/08/2025", "01/07/2025", ""]],
            "Dòng 2, cột 'Đến ngày': Ngày kết thúc (01/07/2025) phải sau ngày bắt đầu (01/08/2025)",
        ),
        (
            "sponsorships",
            [
                SPONSORSHIP_HEADER,
                ["QT44-SNNMT", "19333", "01/08/2025", "", ""],
                ["QT44-SNNMT", "19333", "01/09/2025", "", ""],
            ],
            "Dòng 3, cột 'Từ ngày': Sở NN&MT đã đỡ đầu Phường Đông Hà từ 01/08/2025",
        ),
        (
            "sponsorships",
            [SPONSORSHIP_HEADER, ["SO-LA", "19333", "01/08/2025", "", ""]],
            "Dòng 2, cột 'Mã đơn vị': Không có đơn vị mã 'SO-LA'",
        ),
        (
            "departments",
            [DEPARTMENT_HEADER, ["QT44-X", "X", "", "", "", "QT44-KHONG"]],
            "Dòng 2, cột 'Đơn vị kế thừa': Không có đơn vị kế thừa mã 'QT44-KHONG'",
        ),
    ],
)
def test_bad_rows_of_other_kinds(seeded, tmp_path, kind, rows, expected):
    before = count(seeded, AuditEvent)
    report = run(seeded, kind, write_csv(tmp_path / "x.csv", rows))
    assert not report.written and refusals(report)[0].startswith(expected), refusals(report)
    assert count(seeded, AuditEvent) == before


def test_dry_run_reports_and_writes_nothing(seeded, tmp_path):
    rows = [ASSESSMENT_HEADER, ["19333", "", "", "2", "đạt", "15/09/2025", ""]]
    before = count(seeded, CriterionAssessment)
    report = run(seeded, "assessments", write_csv(tmp_path / "x.csv", rows), dry_run=True)
    assert len(report.rows_with("accepted")) == 1 and not report.written
    assert count(seeded, CriterionAssessment) == before
    assert "chạy thử" in report.summary()


# --- re-import, code reuse, names, formulas -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        ("assessments", [ASSESSMENT_HEADER, ["19333", "", "", "2", "đạt", "15/09/2025", ""]]),
        (
            "classifications",
            [CLASSIFICATION_HEADER, ["19333", "miền núi", "có", "01/07/2025", "", "QĐ 1", ""]],
        ),
        ("ntm-levels", [LEVEL_HEADER, ["19333", "2025", "đăng ký", "2027", ""]]),
        ("departments", [DEPARTMENT_HEADER, ["QT44-X", "Ban X", "", "01/07/2025", "", ""]]),
        ("sponsorships", [SPONSORSHIP_HEADER, ["QT44-SYT", "19333", "01/08/2025", "", ""]]),
    ],
)
def test_reimporting_the_same_file_does_not_duplicate(seeded, tmp_path, kind, rows):
    path = write_csv(tmp_path / "x.csv", rows)
    assert run(seeded, kind, path).written
    totals = [
        count(seeded, m)
        for m in (
            CriterionAssessment,
            Classification,
            NtmLevel,
            Organisation,
            Sponsorship,
            AuditEvent,
        )
    ]
    again = run(seeded, kind, path)
    assert [o.status for o in again.outcomes] == ["skipped"]
    assert again.outcomes[0].message.startswith("đã có")
    assert [
        count(seeded, m)
        for m in (
            CriterionAssessment,
            Classification,
            NtmLevel,
            Organisation,
            Sponsorship,
            AuditEvent,
        )
    ] == totals


def test_a_reused_code_is_resolved_by_the_row_date(seeded, tmp_path):
    rows = [
        ASSESSMENT_HEADER,
        ["19333", "Phường 1", "", "2", "chưa đạt", "10/05/2024", ""],
        ["19333", "Phường Đông Hà", "", "2", "đạt", "15/09/2025", ""],
    ]
    assert run(seeded, "assessments", write_csv(tmp_path / "x.csv", rows)).written
    units = seeded.execute(
        sa.select(CriterionAssessment.assessed_on, CriterionAssessment.unit_id).order_by(
            CriterionAssessment.assessed_on
        )
    ).all()
    assert units == [
        (dt.date(2024, 5, 10), unit_id(seeded, "19333", dt.date(2024, 5, 10))),
        (dt.date(2025, 9, 15), unit_id(seeded, "19333", TODAY)),
    ]
    assert units[0][1] != units[1][1]


def test_a_name_that_does_not_fit_the_code_on_that_date_is_refused(seeded, tmp_path):
    rows = [ASSESSMENT_HEADER, ["19333", "Phường Đông Hà", "", "2", "đạt", "10/05/2024", ""]]
    report = run(seeded, "assessments", write_csv(tmp_path / "x.csv", rows))
    assert refusals(report) == [
        "Dòng 2, cột 'Mã xã': Tên 'Phường Đông Hà' không khớp với mã 19333: vào ngày 10/05/2024 "
        "mã này là Phường 1."
    ]


def test_code_outside_its_period_says_whose_it_is(seeded, tmp_path):
    rows = [SPONSORSHIP_HEADER, ["QT45-SYT-2025", "18904", "01/04/2025", "", ""]]
    report = run(seeded, "sponsorships", write_csv(tmp_path / "x.csv", rows))
    assert (
        "Không có xã nào mã 18904 vào ngày 01/04/2025 (mã này là của Xã Dân Hóa từ 01/07/2025)"
        in refusals(report)[0]
    )


def test_commune_by_exact_name_when_the_code_is_missing(seeded, tmp_path):
    rows = [
        ASSESSMENT_HEADER,
        ["", "Phường Đông Hà", "", "2", "đạt", "15/09/2025", ""],
        ["", "phường 1", "", "2", "đạt", "10/05/2024", ""],
        ["", "Phường Không Có", "", "2", "đạt", "15/09/2025", ""],
    ]
    report = run(seeded, "assessments", write_csv(tmp_path / "x.csv", rows))
    assert [o.row for o in report.rows_with("accepted")] == [2]
    second, third = refusals(report)
    assert second.startswith("Dòng 3, cột 'Tên xã': Có 2 xã tên 'phường 1' vào ngày 10/05/2024")
    assert second.endswith("hãy ghi mã xã.")
    assert (
        third == "Dòng 4, cột 'Tên xã': Không có xã nào tên 'Phường Không Có' vào ngày 15/09/2025."
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_looking_cells_are_stored_as_text(seeded, tmp_path, fmt):
    formula = '=HYPERLINK("http://evil.example","bấm")'
    rows = [
        ASSESSMENT_HEADER + ["Ghi chú"],
        ["19333", "", "", 2, "đạt", dt.date(2025, 9, 15), formula, "+cmd|' /C calc'!A0"],
    ]
    assert run(seeded, "assessments", write(tmp_path, fmt, rows)).written
    stored = seeded.execute(sa.select(CriterionAssessment.source, CriterionAssessment.note)).one()
    assert tuple(stored) == (formula, "+cmd|' /C calc'!A0")


# --- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_template_has_headers_example_and_guide(kind):
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(kind)))
    try:
        data, guide = book.worksheets
        assert (data.title, guide.title) == ("Dữ liệu", "Hướng dẫn")
        assert [c.value for c in data[1]] == [c.header for c in KINDS[kind]]
        assert EXAMPLE_MARK in [c.value for c in data[2]]
        assert [r[0].value for r in guide.iter_rows(min_row=3)] == [c.header for c in KINDS[kind]]
        assert all(r[2].value for r in guide.iter_rows(min_row=3))
    finally:
        book.close()


FILLED = {
    "assessments": {
        "Mã xã": "19333",
        "Tên xã": "",
        "Tiêu chí số": 4,
        "Ngày đánh giá": dt.date(2025, 10, 2),
        "Nguồn": "BC xã",
    },
    "classifications": {"Mã xã": "19333", "Tên xã": "Phường Đông Hà", "Nguồn": "Sở DT&TG"},
    "ntm-levels": {"Mã xã": "19333", "Tên xã": "", "Nguồn": "KH"},
    "departments": {"Mã đơn vị": "QT44-MOI", "Nguồn": "QĐ thành lập"},
    "sponsorships": {"Mã xã": "19333", "Tên xã": "", "Ghi chú": "phân công"},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_template_round_trip(seeded, tmp_path, kind):
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(template_workbook(kind))
    untouched = run(seeded, kind, blank)
    assert [o.message for o in untouched.outcomes] == ["dòng ví dụ của tệp mẫu, bỏ qua"]
    book = openpyxl.load_workbook(blank)
    sheet = book.worksheets[0]
    for cell in sheet[2]:
        header = sheet.cell(1, cell.column).value
        if header in FILLED[kind]:
            cell.value = FILLED[kind][header]
    book.save(tmp_path / "filled.xlsx")
    book.close()
    report = run(seeded, kind, tmp_path / "filled.xlsx")
    assert report.written and [o.status for o in report.outcomes] == ["accepted"], refusals(report)


# --- the command line -----------------------------------------------------------------------


def test_cli_template_then_import_and_refusal(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy.orm import Session

    from geo.db import make_engine
    from webmap.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    for args in (["db", "upgrade"], ["load", "reference", "--no-boundaries"]):
        assert runner.invoke(main, args).exit_code == 0
    template = runner.invoke(main, ["import", "template", "assessments", str(tmp_path / "m.xlsx")])
    assert template.exit_code == 0 and (tmp_path / "m.xlsx").stat().st_size > 0
    good = write_csv(
        tmp_path / "ok.csv", [ASSESSMENT_HEADER, ["19333", "", "", "2", "đạt", "15/09/2025", ""]]
    )
    dry = runner.invoke(main, ["import", "facts", "assessments", str(good), "--dry-run"])
    assert dry.exit_code == 0 and "chạy thử" in dry.output
    done = runner.invoke(main, ["import", "facts", "assessments", str(good), "--by", "Lan"])
    assert done.exit_code == 0 and "1 dòng hợp lệ" in done.output and "đã ghi" in done.output
    bad = write_csv(
        tmp_path / "bad.csv", [ASSESSMENT_HEADER, ["19333", "", "", "2", "tốt", "15/09/2025", ""]]
    )
    refused = runner.invoke(main, ["import", "facts", "assessments", str(bad)])
    assert refused.exit_code == 1
    assert (
        "Dòng 2, cột 'Kết quả (đạt/chưa đạt/chưa rõ)': giá trị 'tốt' không hợp lệ" in refused.output
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with Session(engine) as session:
            rows = session.execute(
                sa.select(CriterionAssessment.status, CriterionAssessment.recorded_by)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("met", "Lan")]


def test_importer_must_be_named_and_report_is_json_ready(seeded, tmp_path):
    import json

    from services.fact_records import FactError

    path = write_csv(
        tmp_path / "x.csv", [ASSESSMENT_HEADER, ["19333.0", "", "", "2", "đạt", "15/09/2025", ""]]
    )
    with pytest.raises(FactError, match="Thiếu tên người ghi nhận"):
        fact_import.import_facts(seeded, "assessments", path, by=" ")
    report = fact_import.import_facts(
        seeded, "assessments", path, by="Lan", dry_run=True, today=TODAY
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["rows"][0]["status"] == "accepted" and data["rows"][0]["row"] == 2
    assert data["rows"][0]["text"].startswith("Dòng 2: Phường Đông Hà, tiêu chí 2: đạt")


def test_an_xlsx_that_unpacks_too_big_is_refused(seeded, tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "x.xlsx", [ASSESSMENT_HEADER])
    monkeypatch.setattr(fact_import, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ImportValidationError, match="giải nén ra quá"):
        run(seeded, "assessments", path)
