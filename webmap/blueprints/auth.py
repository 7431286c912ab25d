"""Sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from services import accounts, audit, sign_in
from webmap import auth
from webmap.db import get_session
from webmap.security import safe_path

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_path(request.values.get("next"), url_for("home.index"))
    if request.method == "GET":
        return render_template("auth/login.html", next_url=next_url, error=None)
    address = request.remote_addr or "?"
    username = request.form.get("username", "")[:200]
    limits = _limits()
    session = get_session()
    try:
        sign_in.check(session, username, address, limits)
        user = accounts.authenticate(session, username, request.form.get("password", ""))
    except sign_in.SignInWaitError as exc:
        return _login_page(exc.user_msg, next_url, int(exc.http_status))
    except accounts.AuthenticationError as exc:
        session.rollback()
        sign_in.failed(session, username, address, limits)
        audit.record(session, "user_account", 0, "sign_in_fail", by=_typed(username))
        session.commit()
        return _login_page(exc.user_msg, next_url, int(exc.http_status))
    sign_in.succeeded(session, username, address)
    audit.record(session, "user_account", user.id, "sign_in", by=user.username)
    auth.sign_in(user)
    session.commit()
    return redirect(next_url)


def _typed(username: str) -> str:
    """The name as typed, for the audit trail (kept short, never the password)."""
    return (username.strip() or "(trống)")[:120]


def _limits() -> sign_in.Limits:
    config = current_app.config
    return sign_in.Limits(
        max_failures=int(config.get("NTM_LOGIN_MAX_FAILURES") or 5),
        lock_minutes=int(config.get("NTM_LOGIN_LOCK_MINUTES") or 15),
        address_limit=int(config.get("NTM_LOGIN_ADDRESS_LIMIT") or 20),
    )


def _login_page(error: str, next_url: str, status: int):
    return render_template("auth/login.html", next_url=next_url, error=error), status


@bp.post("/logout")
def logout():
    user = auth.current_user()
    if user is not None:
        audit.record(get_session(), "user_account", user.id, "sign_out", by=user.username)
    auth.sign_out()
    return redirect(url_for("auth.login"))
