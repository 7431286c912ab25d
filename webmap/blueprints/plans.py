"""Unit plans: plan pages with their items, the item form beside a map, missed and moved items,
the coming Saturday, plan against actual, the calendar feeds and the JSON API under
``/api/plans``. Each route parses, calls ``services``, and responds.

Who may write (``webmap.auth.PERMISSIONS`` lets planners and unit officers through, then
``own_unit_only`` below): planners and admins every plan; a unit officer only the plans of
their own unit, and of the province plan only the tasks given to their unit (record the
activity, mark missed). The calendar feeds are read with a token instead of a session
(``services.plan_calendar``).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping

from geo.errors import NotFoundError, NtmError
from geo.models import Organisation, PlanFeedToken, PlanItem, UnitPlan
from services import plan_calendar as feeds
from services import plan_progress as progress
from services import plans as svc
from services.accounts import UNIT_ROLES, PermissionDeniedError
from services.activity_query import activity_types, communes_on_day, criteria_of_set_on
from services.fields import is_digits
from services.periods import Period
from services.plan_figures import FIGURES, item_properties, items_on, map_layer, next_saturday
from webmap.auth import WRITE, current_user

# the query-argument readers are the activity pages' (same messages)
from webmap.blueprints.activities import _date_arg, _int_arg, activity_json
from webmap.db import get_session
from webmap.i18n import current_language
from webmap.identity import current_user_name
from webmap.plans_text import pt, script_text
from webmap.request_body import json_object, sent_version, with_etag
from webmap.security import safe_path

bp = Blueprint("plans", __name__)
OWN_UNIT_ONLY = "Bạn chỉ được lập và sửa kế hoạch của chính đơn vị mình."
#: what a unit officer may do to a province-plan task given to their unit
TASK_ACTIONS = {"plans.api_record_activity", "plans.missed_page"}


@bp.context_processor
def words() -> dict:
    return {"pt": pt, "figures": FIGURES}


def _commit():
    get_session().commit()


def _form() -> dict:
    if request.is_json:
        return json_object()
    data: dict = request.form.to_dict()
    data["criteria_ids"] = request.form.getlist("criteria_ids")
    data["confirm_not_saturday"] = data.get("confirm_not_saturday") in ("1", "true", "on")
    return data


# --- who may write ---------------------------------------------------------------------------


@bp.before_request
def own_unit_only():
    """Unit officers write only their own unit's plans (the policy table let them through)."""
    user = current_user() if request.method in WRITE else None
    if user is None or user.role not in UNIT_ROLES:
        return
    if not _officer_may(user, request.endpoint, request.view_args or {}):
        raise PermissionDeniedError(OWN_UNIT_ONLY)


def _officer_may(user, endpoint: str, args: dict) -> bool:
    session, own = get_session(), user.organisation_id
    if "plan_id" in args:
        plan = session.get(UnitPlan, args["plan_id"])
        return plan is None or (plan.kind == "unit" and plan.organisation_id == own)
    if "item_id" in args:
        item = session.get(PlanItem, args["item_id"])
        if item is None:
            return True
        return item.assignee_id == own and (item.plan.kind == "unit" or endpoint in TASK_ACTIONS)
    if "org_id" in args:
        return args["org_id"] == own or session.get(Organisation, args["org_id"]) is None
    if "token_id" in args:
        token = session.get(PlanFeedToken, args["token_id"])
        return token is None or token.organisation_id == own or token.user_id == user.id
    if endpoint == "plans.create_page":
        data = _form()  # nothing chosen: the view names the missing field
        sent = data.get("organisation_id")
        return sent in (None, "") or (str(sent) == str(own) and data.get("kind", "unit") == "unit")
    return True


# --- pages -----------------------------------------------------------------------------------


@bp.get("/plans")
def index():
    session = get_session()
    org_id = _int_arg("unit")
    today = dt.date.today()
    return render_template(
        "plans/index.html", plans=svc.plans_of(session, org_id), unit=org_id,
        organisations=svc.plan_organisations(session, today),
        month=Period.month(today.year, today.month),
    )  # fmt: skip


@bp.post("/plans")
def create_page():
    plan = svc.create_plan(get_session(), _form(), current_user_name())
    _commit()
    return redirect(url_for("plans.plan_page", plan_id=plan.id))


def _progress_tables(plan) -> list[tuple[Organisation, object]]:
    """Plan against actual of the plan's unit, or of each unit a province plan gives tasks."""
    session = get_session()
    period = Period.between(plan.period_from, plan.period_to)
    units = [plan.organisation] if plan.kind == "unit" else sorted(
        {i.assignee for i in plan.items}, key=lambda o: o.name
    )  # fmt: skip
    return [(org, svc.plan_vs_actual(session, org.id, period)) for org in units]


@bp.get("/plans/<int:plan_id>")
def plan_page(plan_id: int):
    session = get_session()
    plan = svc.get_plan(session, plan_id)
    items = sorted(plan.items, key=lambda i: (i.planned_date, i.id))
    return render_template(
        "plans/plan.html", plan=plan, items=items, tables=_progress_tables(plan),
        today=dt.date.today(), organisations=svc.plan_organisations(session, plan.period_from),
        types=activity_types(session), tokens=feeds.tokens_of(session, organisation_id=plan.organisation_id),
        new_token=request.args.get("new_token"),
    )  # fmt: skip


def _item_form(plan, item=None):
    session = get_session()
    day = item.planned_date if item else next_saturday(max(plan.period_from, dt.date.today()))
    config = {
        "item": item_properties(item) | {"geometry": _geometry(item)} if item else None,
        "text": script_text(), "lang": current_language(),
        "save": url_for("plans.api_update_item", item_id=item.id) if item
        else url_for("plans.api_add_item", plan_id=plan.id),
        "method": "PUT" if item else "POST",
        "boundaries": url_for("map_api.boundaries", level=1),
        "done": url_for("plans.plan_page", plan_id=plan.id),
    }  # fmt: skip
    return render_template(
        "plans/item_form.html", plan=plan, item=item, day=min(day, plan.period_to),
        types=activity_types(session), communes=communes_on_day(session, day),
        criteria=criteria_of_set_on(session, day), config=config,
        organisations=svc.plan_organisations(session, day),
    )  # fmt: skip


def _geometry(item):
    return mapping(to_shape(item.geom)) if item.geom is not None else None


@bp.get("/plans/<int:plan_id>/items/new")
def new_item_page(plan_id: int):
    return _item_form(svc.get_plan(get_session(), plan_id))


@bp.get("/plans/items/<int:item_id>/edit")
def edit_item_page(item_id: int):
    item = svc.get_item(get_session(), item_id)
    return _item_form(item.plan, item)


@bp.post("/plans/items/<int:item_id>/missed")
def missed_page(item_id: int):
    item = progress.mark_missed(
        get_session(), item_id, request.form.get("missed_reason", ""), current_user_name(),
        request.form.get("version"),
    )  # fmt: skip
    _commit()
    return redirect(url_for("plans.plan_page", plan_id=item.plan_id))


@bp.post("/plans/items/<int:item_id>/move")
def move_page(item_id: int):
    data = _form()
    new = progress.move_item(get_session(), item_id, data, current_user_name(), data.get("version"))
    _commit()
    return redirect(url_for("plans.plan_page", plan_id=new.plan_id))


@bp.post("/plans/items/<int:item_id>/delete")
def delete_item_page(item_id: int):
    session = get_session()
    plan_id = svc.get_item(session, item_id).plan_id
    svc.delete_item(session, item_id, current_user_name(), request.form.get("version"))
    _commit()
    return redirect(url_for("plans.plan_page", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/province-tasks")
def province_tasks_page(plan_id: int):
    data = _form()
    department = data.get("department_id") or ""
    if not is_digits(str(department)):
        raise NtmError("Hãy chọn sở, ngành được giao việc.")
    svc.assign_sponsored_communes(
        get_session(), plan_id, int(department), data, current_user_name()
    )
    _commit()
    return redirect(url_for("plans.plan_page", plan_id=plan_id))


@bp.get("/plans/saturday")
def saturday_page():
    session = get_session()
    user = current_user()
    org_id = _int_arg("unit") or (user.organisation_id if user else None)
    day = _date_arg("date") or next_saturday()
    return render_template(
        "plans/saturday.html", day=day, items=items_on(session, day, org_id), unit=org_id,
        organisations=svc.plan_organisations(session, day),
    )  # fmt: skip


# --- calendar feeds --------------------------------------------------------------------------


def _ics(org_id: int | None, name: str) -> Response:
    items = feeds.feed_items(get_session(), org_id)
    body = feeds.calendar_ics(items, name, request.host.split(":")[0])
    return Response(
        body, mimetype="text/calendar",
        headers={"Content-Disposition": "inline; filename=ke-hoach.ics", "Cache-Control": "private, max-age=900"},
    )  # fmt: skip


def _needs_sign_in():
    if request.args.get("token"):
        raise NotFoundError("Địa chỉ lịch không còn hiệu lực (mã đã bị thu hồi hoặc sai).")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.get("/plans/<int:org_id>/calendar.ics")
def unit_calendar(org_id: int):
    """A unit's plan calendar: with the unit's token, or for a signed-in user."""
    session = get_session()
    org = session.get(Organisation, org_id)
    row = feeds.feed_for(session, request.args.get("token"))
    if not (row is not None and row.organisation_id == org_id) and current_user() is None:
        return _needs_sign_in()
    if org is None:
        raise NotFoundError(f"Không có đơn vị số {org_id}.")
    return _ics(org_id, f"Kế hoạch Ngày thứ 7 – {org.name}")


@bp.get("/plans/me/calendar.ics")
def user_calendar():
    """The calendar of the token's user (their unit's items)."""
    session = get_session()
    row = feeds.feed_for(session, request.args.get("token"))
    user = current_user()
    if row is None or row.user_id is None:
        if user is None:
            return _needs_sign_in()
        org_id = user.organisation_id
    else:
        org_id = feeds.feed_organisation(session, row)
    return _ics(org_id, "Kế hoạch Ngày thứ 7 của tôi")


@bp.post("/plans/<int:org_id>/calendar-tokens")
def make_unit_token(org_id: int):
    session = get_session()
    if session.get(Organisation, org_id) is None:
        raise NotFoundError(f"Không có đơn vị số {org_id}.")
    token = feeds.make_token(session, current_user_name(), organisation_id=org_id)
    _commit()
    url = url_for("plans.unit_calendar", org_id=org_id, token=token, _external=True)
    return render_template(
        "plans/token.html",
        url=url,
        back=safe_path(request.form.get("back"), url_for("plans.index")),
    )


@bp.post("/plans/me/calendar-tokens")
def make_my_token():
    user = current_user()
    if user is None:
        raise PermissionDeniedError("Hãy đăng nhập để tạo lịch của mình.")
    token = feeds.make_token(get_session(), current_user_name(), user_id=user.id)
    _commit()
    url = url_for("plans.user_calendar", token=token, _external=True)
    return render_template("plans/token.html", url=url, back=url_for("plans.saturday_page"))


@bp.post("/plans/calendar-tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    feeds.revoke_token(get_session(), token_id)
    _commit()
    return redirect(safe_path(request.form.get("back"), url_for("plans.index")))


# --- JSON API --------------------------------------------------------------------------------


@bp.get("/api/plans/items/<int:item_id>")
def api_get_item(item_id: int):
    item = svc.get_item(get_session(), item_id)
    return jsonify(item_properties(item) | {"geometry": _geometry(item)})


@bp.post("/api/plans/<int:plan_id>/items")
def api_add_item(plan_id: int):
    item = svc.add_item(get_session(), plan_id, _form(), current_user_name())
    body = item_properties(item) | {"geometry": _geometry(item)}
    _commit()
    return jsonify(body), 201


@bp.put("/api/plans/items/<int:item_id>")
def api_update_item(item_id: int):
    data = _form()
    item = svc.update_item(get_session(), item_id, data, current_user_name(), sent_version(data))
    body = item_properties(item) | {"geometry": _geometry(item)}
    _commit()
    return with_etag(jsonify(body), item.version)


@bp.post("/api/plans/items/<int:item_id>/activity")
def api_record_activity(item_id: int):
    """The activity a planned item became (from the pre-filled activity form); the item is done."""
    session = get_session()
    activity = progress.record_activity(session, item_id, _form(), current_user_name())
    plan_id = svc.get_item(session, item_id).plan_id
    body = activity_json(activity) | {"redirect": url_for("plans.plan_page", plan_id=plan_id)}
    _commit()
    return jsonify(body), 201


@bp.get("/api/plans/map")
def api_map():
    """Planned work of a date range for the planner map, and communes with undone work."""
    today = dt.date.today()
    start = _date_arg("from", today - dt.timedelta(days=90))
    end = _date_arg("to", today + dt.timedelta(days=90))
    if start > end:
        raise NtmError("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    return jsonify(map_layer(get_session(), start, end))


@bp.get("/api/plans/progress")
def api_progress():
    """Plan against actual of a unit (``unit``) over ``from``..``to``."""
    org_id = _int_arg("unit")
    start, end = _date_arg("from"), _date_arg("to")
    if org_id is None or start is None or end is None:
        raise NtmError("Cần các tham số unit, from và to.")
    result = svc.plan_vs_actual(get_session(), org_id, Period.between(start, end))
    return jsonify(organisation_id=org_id, start=start.isoformat(), end=end.isoformat(),
                   rows=result.rows, totals=result.totals)  # fmt: skip
