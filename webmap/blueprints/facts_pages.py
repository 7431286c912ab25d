"""The fact import page ``/facts/import``: pick a kind, download its Excel template, upload a
CSV or .xlsx, see a dry-run preview row by row, then confirm.

Between preview and confirm the file travels back with the confirm form: its bytes in a hidden
base64 field with their SHA-256 (nothing is kept on the server or in the signed cookie, which
is too small). The confirm step trusts none of it: the digest must match the bytes, the bytes
pass ``check_upload`` again, and ``import_facts`` checks every row again in one all-or-nothing
transaction before writing. Reading the page is open to signed-in users; both POSTs (endpoint
names contain ``import``) are for planners.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from geo.errors import NtmError
from services.fact_import import KINDS, import_facts, template_workbook
from webmap.db import get_session
from webmap.facts_text import script_text, tr
from webmap.identity import current_user_name
from webmap.uploads import UploadTooLargeError, check_upload, display_name

bp = Blueprint("facts_pages", __name__, url_prefix="/facts")

MAX_IMPORT_BYTES = 5 * 1024 * 1024
#: the confirm form carries the file as base64 (4/3 of its size) plus a few small fields
MAX_FORM_BYTES = MAX_IMPORT_BYTES * 4 // 3 + 64 * 1024
ALLOWED = {"csv", "xlsx"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def words() -> dict:
    return {"tr": tr, "kinds": list(KINDS)}


@bp.app_context_processor
def facts_script_words() -> dict:
    """``facts_script_text()`` for the planner map's ``static/planner/facts.js`` tag."""
    return {"facts_script_text": script_text}


@bp.before_request
def limit_body_size():
    request.max_content_length = MAX_FORM_BYTES + 1024 * 1024
    request.max_form_memory_size = MAX_FORM_BYTES


def _kind(raw: str | None) -> str:
    if raw not in KINDS:
        raise NtmError(f"Loại dữ liệu “{raw or ''}” không có; chọn: {', '.join(KINDS)}.")
    return raw


def _page(status: int = 200, **context):
    kind = context.pop("kind", None) or request.values.get("kind")
    context.setdefault("report", None)
    context.setdefault("error", None)
    context.setdefault("carry", None)
    return render_template(
        "facts/import.html", kind=kind if kind in KINDS else "assessments", **context
    ), status


def _uploaded() -> tuple[str, bytes]:
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise UploadTooLargeError(
            f"Tệp quá lớn; giới hạn là {MAX_IMPORT_BYTES // 1048576} MB."
        ) from None
    if upload is None or not upload.filename:
        raise NtmError("Chưa chọn tệp để tải lên (trường “Tệp”).")
    try:
        return upload.filename, upload.read(MAX_IMPORT_BYTES + 1)
    finally:
        upload.close()


def _carried() -> tuple[str, bytes]:
    """The file sent back by the confirm form, its digest checked against its bytes."""
    filename = request.form.get("filename") or ""
    try:
        data = base64.b64decode(request.form.get("content") or "", validate=True)
    except (binascii.Error, ValueError):
        raise NtmError("Nội dung tệp gửi lại bị hỏng; hãy tải tệp lên lại.") from None
    if hashlib.sha256(data).hexdigest() != request.form.get("sha256"):
        raise NtmError("Tệp gửi lại không khớp với tệp đã xem trước; hãy tải tệp lên lại.")
    return filename, data


def _run(kind: str, filename: str, data: bytes, dry_run: bool):
    check_upload(filename, data, ALLOWED, MAX_IMPORT_BYTES)
    session = get_session()
    try:
        report = import_facts(
            session, kind, data, by=current_user_name(), filename=display_name(filename),
            dry_run=dry_run,
        )  # fmt: skip
    except NtmError:
        session.rollback()
        raise
    if report.written:
        session.commit()
    else:
        session.rollback()
    return report


@bp.get("/import")
def import_page():
    return _page()


@bp.get("/import/template/<kind>.xlsx")
def import_template(kind: str):
    content = template_workbook(_kind(kind))
    return Response(
        content,
        mimetype=XLSX_TYPE,
        headers={"Content-Disposition": f"attachment; filename=mau_{kind}.xlsx"},
    )


@bp.post("/import")
def import_preview():
    """Check the uploaded file and show every row's outcome; nothing is written."""
    kind = request.form.get("kind")
    try:
        kind = _kind(kind)
        filename, data = _uploaded()
        report = _run(kind, filename, data, dry_run=True)
    except NtmError as exc:
        return _page(int(exc.http_status), error=exc, kind=kind)
    carry = None
    if not report.refused:
        carry = {
            "filename": display_name(filename),
            "content": base64.b64encode(data).decode("ascii"),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return _page(report=report, carry=carry, kind=kind)


@bp.post("/import/confirm")
def import_confirm():
    """Check the previewed file again from the start and, if every row passes, write it."""
    kind = request.form.get("kind")
    try:
        kind = _kind(kind)
        filename, data = _carried()
        report = _run(kind, filename, data, dry_run=False)
    except NtmError as exc:
        return _page(int(exc.http_status), error=exc, kind=kind)
    return _page(422 if report.refused else 200, report=report, kind=kind)
