"""Who is signed in, and the one permission check every request passes through.

The policy is data: ``PERMISSIONS`` maps endpoint-name patterns (``fnmatch`` on
``blueprint.view``) and HTTP methods to the roles allowed; the first matching rule
decides. To cover a new blueprint, add a rule above the two catch-alls at the end.
Unknown endpoints are readable by every signed-in user and writable by admins only.

Record-level checks stay in the services: e.g. ``services.accounts.can_edit_activity``
(a unit officer edits only activities their unit organised).

``NTM_AUTH``: ``required`` (default), ``public-read`` (anonymous users may read) or
``off`` (development only; nothing is checked).
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass

from flask import Flask, g, jsonify, redirect, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from geo.models import USER_ROLES, Activity, UserAccount
from services import user_sessions
from services.accounts import OWN_ACTIVITIES_ONLY, ROLE_LABELS, UNIT_ROLES, can_edit_activity
from services.fields import parse_id
from webmap.db import get_session
from webmap.request_body import form_or_json
from webmap.security import SAFE_METHODS, auth_mode

#: no sign-in needed, whatever the mode
ANYONE = "anyone"
#: every signed-in user; anonymous users too under ``public-read``
READERS = "readers"
READ = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY_METHOD = READ | WRITE
PLANNERS = frozenset({"admin", "planner"})
UNIT_OFFICERS = frozenset({"admin", "department_officer", "working_group_officer"})
ADMINS = frozenset({"admin"})


@dataclass(frozen=True)
class Rule:
    """Requests to an endpoint matching ``pattern`` with a method in ``methods``."""

    pattern: str
    methods: frozenset[str]
    allowed: frozenset[str] | str


PERMISSIONS: list[Rule] = [
    Rule("auth.*", ANY_METHOD, ANYONE),
    Rule("static", READ, ANYONE),
    Rule("leaflet_assets", READ, ANYONE),
    Rule("server.*", READ, ANYONE),  # /healthz, /readyz, /favicon.ico
    Rule("admin.*", ANY_METHOD, ADMINS),
    # POSTs that only read (a query too large for a URL)
    Rule("map_api.communes_in_shape", WRITE, READERS),
    # unit officers: activities, their own unit's only (record check: can_edit_activity);
    # before the import rule, as activity imports are theirs
    Rule("*activit*", WRITE, UNIT_OFFICERS),
    # planners: priority lists, sponsorships, classifications, assessments, fact imports
    Rule("*priorit*", WRITE, PLANNERS),
    Rule("*sponsor*", WRITE, PLANNERS),
    Rule("*classification*", WRITE, PLANNERS),
    Rule("*assessment*", WRITE, PLANNERS),
    Rule("*ntm_level*", WRITE, PLANNERS),
    Rule("*import*", WRITE, PLANNERS),
    # unit plans: planners every plan, unit officers their own unit's (record check in
    # webmap.blueprints.plans.own_unit_only); calendar feeds read with a token (checked there);
    # recording a planned item's activity fell under "*activit*" above
    Rule("plans.unit_calendar", READ, ANYONE),
    Rule("plans.user_calendar", READ, ANYONE),
    Rule("plans.make_my_token", WRITE, READERS),
    Rule("plans.*", WRITE, PLANNERS | UNIT_OFFICERS),
    # exports only read: any signed-in user may start one (the export renders as that user)
    Rule("exports.start_export", WRITE, READERS),
    Rule("exports.cancel_export", WRITE, READERS),  # their own jobs only (checked there)
    Rule("*", READ, READERS),
    Rule("*", WRITE, ADMINS),
]


def guard_own_activities(user: UserAccount) -> str | None:
    """Unit officers write only their own unit's activities: the one named by ``activity_id``
    in the URL, and the ``organiser_id`` they send. Returns a refusal message or None."""
    if user.role not in UNIT_ROLES:
        return None
    activity_id = (request.view_args or {}).get("activity_id")
    if activity_id is not None:
        activity = get_session().get(Activity, activity_id)
        if activity is not None and not can_edit_activity(user, activity):
            return OWN_ACTIVITIES_ONLY
    organiser = _sent_organiser_id()
    if organiser is not None and organiser != user.organisation_id:
        return OWN_ACTIVITIES_ONLY
    return None


def _sent_organiser_id() -> int | None:
    """The organiser the request names, read as the service reads it (``parse_id``): a value
    that is not an id is refused here, never skipped."""
    return parse_id(form_or_json().get("organiser_id"), "organiser_id")


#: record-level checks after the table allowed a write: (endpoint pattern, check)
RECORD_GUARDS: list[tuple[str, object]] = [("*activit*", guard_own_activities)]


def rule_for(endpoint: str | None, method: str) -> Rule:
    """The first rule that matches the endpoint and method."""
    name = endpoint or ""
    for rule in PERMISSIONS:
        if method in rule.methods and fnmatch.fnmatchcase(name, rule.pattern):
            return rule
    return PERMISSIONS[-1]


def allowed(rule: Rule, user: UserAccount | None, mode: str) -> bool:
    """Whether ``user`` (None: anonymous) may pass ``rule`` in ``mode``."""
    if mode == "off" or rule.allowed == ANYONE:
        return True
    if rule.allowed == READERS:
        return user is not None or mode == "public-read"
    return user is not None and user.role in rule.allowed


def current_user() -> UserAccount | None:
    """The signed-in account, or None (cached for the request)."""
    if "current_user" not in g:
        g.current_user = _load_user()
    return g.current_user


def _password_mark(user: UserAccount) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _load_user() -> UserAccount | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    db = get_session()
    user = db.get(UserAccount, user_id)
    # a disabled account or a changed password ends every session; sign-out ends this one
    if (
        user is None
        or not user.is_active
        or session.get("pw") != _password_mark(user)
        or not user_sessions.is_live(db, session.get("sid"), user.id)
    ):
        session.pop("user_id", None)
        return None
    return user


def sign_in(user: UserAccount) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too); the caller commits."""
    session.clear()
    session["sid"] = user_sessions.start(get_session(), user.id)
    session["user_id"] = user.id
    session["pw"] = _password_mark(user)
    session.permanent = False
    g.current_user = user


def keep_signed_in(user: UserAccount) -> None:
    """After the user changed their own password: this session stays valid, others end."""
    session["pw"] = _password_mark(user)


def sign_out() -> None:
    """End this session on the server too (a copy of its cookie no longer works)."""
    db = get_session()
    user_sessions.end(db, session.get("sid"))
    db.commit()
    session.clear()
    g.current_user = None


def session_id() -> str | None:
    return session.get("sid")


def enforce_permissions():
    """``before_request``: apply ``PERMISSIONS``; anonymous pages go to the login page."""
    mode = auth_mode()
    if mode == "off" or request.endpoint is None:
        return None
    rule = rule_for(request.endpoint, request.method)
    if rule.allowed == ANYONE:
        return None
    user = current_user()
    if not allowed(rule, user, mode):
        return _needs_sign_in() if user is None else _forbidden()
    if user is not None and request.method in WRITE:
        for pattern, guard in RECORD_GUARDS:
            if fnmatch.fnmatchcase(request.endpoint, pattern) and (refusal := guard(user)):
                return _forbidden(refusal)
    return None


def _needs_sign_in():
    message = "Bạn cần đăng nhập để xem hoặc thay đổi dữ liệu này."
    if request.path.startswith("/api/"):
        return jsonify(error=message, details=[]), 401
    if request.method in SAFE_METHODS:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return _page(message, 401)


def _forbidden(message: str = "Vai trò của bạn không được phép thực hiện thao tác này."):
    if request.path.startswith("/api/"):
        return jsonify(error=message, details=[]), 403
    return _page(message, 403)


def _page(message: str, status: int):
    from flask import render_template

    return render_template("error.html", message=message, details=[]), status


def init_app(app: Flask) -> None:
    """The permission hook and ``current_user`` in templates."""
    app.before_request(enforce_permissions)
    app.context_processor(
        lambda: {
            "current_user": _user_for_page(),
            "auth_mode": auth_mode(),
            "roles": USER_ROLES,
            "role_labels": ROLE_LABELS,
        }
    )


def _user_for_page() -> UserAccount | None:
    """``current_user`` for templates; None when the database is down (the error page renders)."""
    try:
        return current_user()
    except SQLAlchemyError:
        g.current_user = None
        return None
