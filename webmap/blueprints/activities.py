"""Saturday activities: the form beside a map, the list with filters and totals, the Excel
import, exports, and the JSON API under ``/api/activities``. Each route parses, calls
``services``, and responds; errors become responses in ``webmap.errors``."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from werkzeug.exceptions import RequestEntityTooLarge

from geo import tracks
from geo.errors import NtmError
from services import activities as svc
from services import activity_query as query
from services.accounts import UNIT_ROLES
from services.activity_export import export_activities
from services.activity_import import MAX_IMPORT_BYTES, import_activities, template_workbook
from services.activity_input import parse_date
from services.fields import is_digits
from services.plan_progress import activity_prefill
from webmap.activities_text import script_text, tr
from webmap.auth import current_user
from webmap.db import get_session
from webmap.identity import current_user_name
from webmap.request_body import if_match_version, json_object, sent_version, with_etag
from webmap.uploads import check_upload

bp = Blueprint("activities", __name__)


@bp.context_processor
def words() -> dict:
    return {"tr": tr, "script_text": script_text}


#: the largest request body these routes accept (the file plus the form around it)
MAX_REQUEST_BYTES = max(tracks.MAX_UPLOAD_BYTES, MAX_IMPORT_BYTES) + 1024 * 1024
UPLOAD_LABEL = "tệp tải lên"
FILTER_ARGS = ("from", "to", "type", "organiser", "commune", "criterion", "deleted")


@bp.before_request
def limit_body_size():
    """Refuse a body over the limit before anything reads it (Flask's own limit is app-wide)."""
    request.max_content_length = MAX_REQUEST_BYTES
    if request.content_length and request.content_length > MAX_REQUEST_BYTES:
        tracks.check_size(request.content_length, UPLOAD_LABEL)


def _commit():
    get_session().commit()


def _int_arg(name: str) -> int | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    if not is_digits(text):
        raise NtmError(f"Tham số «{name}» phải là một số, không phải «{text}».")
    return int(text)


def _date_arg(name: str, default: dt.date | None = None) -> dt.date | None:
    try:
        return parse_date(request.args.get(name)) or default
    except ValueError as exc:
        raise NtmError(f"Tham số «{name}»: {exc}.") from None


def activity_filter() -> query.ActivityFilter:
    """The list filters of the request (``from``, ``to``, ``type``, ``organiser``, ``commune``…)."""
    start, end = _date_arg("from"), _date_arg("to")
    if start and end and start > end:
        raise NtmError("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    return query.ActivityFilter(
        start=start, end=end, type_code=request.args.get("type") or None,
        organiser_id=_int_arg("organiser"), unit_id=_int_arg("commune"),
        criterion_id=_int_arg("criterion"), deleted=request.args.get("deleted") == "1",
    )  # fmt: skip


def _filter_args() -> dict:
    return {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}


def _payload() -> dict:
    """The activity's fields from JSON or from a posted form."""
    if request.is_json:
        return json_object()
    data: dict[str, object] = dict(request.form.to_dict())
    data["criteria_ids"] = request.form.getlist("criteria_ids")
    for flag in ("confirm_not_saturday", "confirm_duplicate", "repair_geometry"):
        data[flag] = data.get(flag) in ("1", "true", "on")
    return data


def activity_json(a) -> dict:
    """An activity for the API and the pages' scripts."""
    communes = [
        {"unit_id": c.unit_id, "name": c.unit.name, "length_m": c.length_m, "area_m2": c.area_m2}
        for c in a.communes
    ]
    return {
        "id": a.id, "version": a.version, "activity_date": a.activity_date.isoformat(),
        "type_code": a.type_code, "type_name": a.activity_type.name_vi,
        "organiser_id": a.organiser_id, "organiser": a.organiser.name if a.organiser else None,
        "participants": a.participants, "workdays": a.workdays, "quantity": a.quantity,
        "quantity_unit": a.quantity_unit, "funds_vnd": a.funds_vnd, "village": a.village,
        "description": a.description, "reported_unit_id": a.reported_unit_id,
        "criteria_ids": [c.id for c in a.criteria], "communes": communes,
        "geometry": mapping(to_shape(a.geom)) if a.geom is not None else None,
        "deleted": a.deleted_at is not None, "created_by": a.created_by,
    }  # fmt: skip


def _form_context(activity=None) -> dict:
    session = get_session()
    day = activity.activity_date if activity else svc.last_saturday()
    return {
        "activity": activity_json(activity) if activity else None,
        "day": day,
        "types": query.activity_types(session),
        "organisers": query.organisers_on(session, day),
        "criteria": query.criteria_of_set_on(session, day),
        "communes": query.communes_on_day(session, day),
    }


# --- pages -----------------------------------------------------------------------------------


@bp.get("/activities")
def list_page():
    session = get_session()
    flt = activity_filter()
    day = flt.end or dt.date.today()
    return render_template(
        "activities/list.html",
        rows=query.list_activities(session, flt), totals=query.totals(session, flt), flt=flt,
        args=_filter_args(), types=query.activity_types(session),
        organisers=query.organisers_on(session, day), communes=query.communes_on_day(session, day),
        criteria=query.criteria_of_set_on(session, day), highlight=_int_arg("highlight"),
    )  # fmt: skip


@bp.get("/activities/new")
def new_page():
    """The form; ``?plan_item=<id>`` pre-fills it from a planned item and saves through the
    plan (``plans.api_record_activity``), so the item is marked done and linked."""
    item_id = _int_arg("plan_item")
    prefill = activity_prefill(get_session(), item_id) if item_id else None
    return render_template("activities/form.html", **_form_context(), prefill=prefill)


@bp.get("/activities/<int:activity_id>/edit")
def edit_page(activity_id: int):
    activity = svc.get_activity(get_session(), activity_id)
    return render_template("activities/form.html", **_form_context(activity))


@bp.get("/activities/<int:activity_id>")
def detail_page(activity_id: int):
    session = get_session()
    activity = svc.get_activity(session, activity_id)
    events = svc.activity_history(session, activity_id)
    return render_template("activities/detail.html", a=activity, events=events, changes=_changes)


def _changes(event) -> list[tuple[str, object, object]]:
    """The fields an audit event changed, with before and after."""
    before, after = event.before or {}, event.after or {}
    skip = {"updated_at", "version", "created_at"}
    keys = [k for k in after if k not in skip and before.get(k) != after.get(k)]
    return [(k, before.get(k), after.get(k)) for k in keys] if before else []


@bp.post("/activities/<int:activity_id>/delete")
def delete_page(activity_id: int):
    svc.delete_activity(
        get_session(), activity_id, current_user_name(), request.form.get("version")
    )
    _commit()
    return redirect(url_for("activities.list_page", deleted="1"))


@bp.post("/activities/<int:activity_id>/restore")
def restore_page(activity_id: int):
    svc.restore_activity(get_session(), activity_id, current_user_name())
    _commit()
    return redirect(url_for("activities.list_page", highlight=activity_id))


@bp.get("/activities/export/<fmt>")
def export(fmt: str):
    content, media_type, name = export_activities(get_session(), activity_filter(), fmt)
    return Response(
        content,
        mimetype=media_type,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.get("/activities/import")
def import_page():
    return render_template("activities/import.html", report=None, error=None)


@bp.post("/activities/import")
def import_excel():
    filename, content = _read_file("file")
    check_upload(filename, content, {"xlsx"}, MAX_IMPORT_BYTES)
    options = {
        "mode": request.form.get("mode") or "all_or_nothing",
        "zone": request.form.get("zone") or "tm3",
        "accept_not_saturday": request.form.get("accept_not_saturday") == "1",
        "accept_duplicates": request.form.get("accept_duplicates") == "1",
    }
    session = get_session()
    user = current_user()
    if user is not None and user.role in UNIT_ROLES:
        options["own_organiser_id"] = user.organisation_id
    try:
        report = import_activities(
            session, content, current_user_name(), filename=filename, **options
        )
    except NtmError as exc:
        session.rollback()
        return render_template("activities/import.html", report=None, error=exc), int(
            exc.http_status
        )
    _commit()
    return render_template("activities/import.html", report=report, error=None)


@bp.get("/activities/import/template.xlsx")
def import_template():
    content = template_workbook(get_session())
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=mau_nhap_hoat_dong.xlsx"},
    )


def _read_file(name: str) -> tuple[str, bytes]:
    """The uploaded file's name and content; the spooled temporary file is closed at once."""
    try:
        upload = request.files.get(name)
    except RequestEntityTooLarge:
        tracks.check_size(request.content_length or MAX_REQUEST_BYTES + 1, UPLOAD_LABEL)
        raise
    if upload is None or not upload.filename:
        raise NtmError("Chưa chọn tệp để tải lên.")
    try:
        return upload.filename, upload.read(MAX_REQUEST_BYTES + 1)
    finally:
        upload.close()


# --- JSON API --------------------------------------------------------------------------------


@bp.get("/api/activities")
def api_list():
    session = get_session()
    flt = activity_filter()
    totals = query.totals(session, flt)
    rows = query.list_activities(session, flt, limit=min(_int_arg("limit") or 500, 5000))
    return jsonify(totals=totals.__dict__, activities=[activity_json(a) for a in rows])


@bp.get("/api/activities/geojson")
def api_geojson():
    rows = query.list_activities(get_session(), activity_filter(), limit=5000)
    features = [
        {"type": "Feature", "id": a["id"], "geometry": a.pop("geometry"), "properties": a}
        for a in map(activity_json, rows)
        if a["geometry"] is not None
    ]
    return jsonify(type="FeatureCollection", features=features)


@bp.post("/api/activities")
def api_create():
    session = get_session()
    activity = svc.create_activity(session, _payload(), current_user_name())
    body = activity_json(activity) | {"notes": activity.notes}
    _commit()
    return jsonify(body), 201


@bp.get("/api/activities/<int:activity_id>")
def api_get(activity_id: int):
    activity = svc.get_activity(get_session(), activity_id)
    return with_etag(jsonify(activity_json(activity)), activity.version)


@bp.put("/api/activities/<int:activity_id>")
def api_update(activity_id: int):
    data = _payload()
    activity = svc.update_activity(
        get_session(), activity_id, data, current_user_name(), sent_version(data)
    )
    body = activity_json(activity)
    _commit()
    return with_etag(jsonify(body), activity.version)


@bp.delete("/api/activities/<int:activity_id>")
def api_delete(activity_id: int):
    version = if_match_version() or _int_arg("version")
    activity = svc.delete_activity(get_session(), activity_id, current_user_name(), version)
    body = activity_json(activity)
    _commit()
    return with_etag(jsonify(body), activity.version)


@bp.post("/api/activities/<int:activity_id>/restore")
def api_restore(activity_id: int):
    body = activity_json(svc.restore_activity(get_session(), activity_id, current_user_name()))
    _commit()
    return jsonify(body)


@bp.get("/api/activities/<int:activity_id>/history")
def api_history(activity_id: int):
    svc.get_activity(get_session(), activity_id)
    events = svc.activity_history(get_session(), activity_id)
    return jsonify(
        [
            {
                "action": e.action,
                "by": e.by,
                "at": e.at.isoformat(),
                "before": e.before,
                "after": e.after,
            }
            for e in events
        ]
    )


@bp.post("/api/activities/locate")
def api_locate():
    """Where a drawn, typed or uploaded geometry falls: communes, parts, criteria to suggest."""
    return jsonify(query.locate(get_session(), _payload()))


#: what a phone can hand over: tracks, placemarks, shapes and geotagged photos
PLACE_FILE_KINDS = {"gpx", "kml", "kmz", "geojson", "jpeg"}


@bp.post("/api/activities/upload")
def api_upload():
    filename, content = _read_file("file")
    tracks.check_size(len(content), filename)
    check_upload(filename, content, PLACE_FILE_KINDS)  # real type and safe archive, before parsing
    result = tracks.read_upload(filename, content)
    return jsonify(
        geometry=mapping(result.geometry), file_kind=result.file_kind,
        feature_count=result.feature_count, note=result.note,
    )  # fmt: skip


@bp.get("/api/activities/options")
def api_options():
    session = get_session()
    day = _date_arg("date", dt.date.today())
    return jsonify(
        organisers=[
            {"id": o.id, "name": o.name, "kind": o.kind} for o in query.organisers_on(session, day)
        ],
        criteria=[
            {"id": c.id, "number": c.number, "name": c.name_vi}
            for c in query.criteria_of_set_on(session, day)
        ],
        communes=[{"id": u.id, "name": u.name} for u in query.communes_on_day(session, day)],
        saturday=svc.last_saturday(day).isoformat(),
    )
