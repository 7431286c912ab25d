"""Account administration (admins only, by the permission table)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from geo.errors import NtmError
from geo.models import Organisation
from services import accounts as account_service
from services import audit
from webmap import auth
from webmap.db import get_session
from webmap.identity import current_user_name

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _organisations(session) -> list[Organisation]:
    return list(
        session.scalars(sa.select(Organisation).order_by(Organisation.kind, Organisation.name))
    )


@bp.get("/accounts")
def accounts():
    session = get_session()
    return render_template(
        "admin/accounts.html",
        users=account_service.list_users(session),
        organisations=_organisations(session),
        messages=get_flashed_messages(with_categories=True),
    )


def _account_facts(user) -> dict:
    """What the audit trail keeps of an account (never the password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "organisation_id": user.organisation_id,
        "is_active": user.is_active,
    }


def _done(message: str, category: str = "ok"):
    flash(message, category)
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts")
def create_account():
    form = request.form
    session = get_session()
    org_id = form.get("organisation_id", type=int) or None
    try:
        user = account_service.create_user(
            session,
            form.get("username", ""),
            form.get("password", ""),
            form.get("role", ""),
            display_name=form.get("display_name") or None,
            organisation_id=org_id,
        )
    except NtmError as exc:
        session.rollback()
        return _done(exc.user_msg, "error")
    audit.record(session, "user_account", user.id, "create", current_user_name(), None,
                 _account_facts(user))  # fmt: skip
    session.commit()
    return _done(f"Đã tạo tài khoản “{user.username}”.")


@bp.post("/accounts/<username>/active")
def set_active(username: str):
    session = get_session()
    active = request.form.get("active") == "1"
    if not active and username == current_user_name():
        return _done("Không thể tự khoá tài khoản của chính mình.", "error")
    before = _account_facts(account_service.get_user(session, username))
    user = account_service.set_active(session, username, active)
    audit.record(session, "user_account", user.id, "update", current_user_name(), before,
                 _account_facts(user))  # fmt: skip
    session.commit()
    verb = "Đã mở lại" if active else "Đã khoá"
    return _done(f"{verb} tài khoản “{user.username}”.")


@bp.post("/accounts/<username>/password")
def change_password(username: str):
    session = get_session()
    try:
        user = account_service.change_password(
            session, username, request.form.get("password", ""), keep_session=auth.session_id()
        )
    except NtmError as exc:
        session.rollback()
        return _done(exc.user_msg, "error")
    audit.record(session, "user_account", user.id, "update", current_user_name(),
                 {"password": "(cũ)"}, {"password": "(mới)"})  # fmt: skip
    session.commit()
    if user.username == current_user_name():
        auth.keep_signed_in(user)  # a new password ends other sessions, not this one
    return _done(f"Đã đổi mật khẩu của “{user.username}”.")
