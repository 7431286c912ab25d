"""Sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from services import accounts
from webmap import auth
from webmap.db import get_session

bp = Blueprint("auth", __name__)

TOO_MANY_FROM_ADDRESS = (
    "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Vui lòng chờ ít phút rồi thử lại."
)


def _safe_next(target: str | None) -> str:
    """Only paths of this site (no scheme, no host, no ``//``) are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next_url=next_url, error=None)
    address = request.remote_addr or "?"
    limiter = auth.address_limiter()
    if limiter.blocked(address):
        return _login_page(TOO_MANY_FROM_ADDRESS, next_url, 429)
    session = get_session()
    try:
        user = accounts.authenticate(
            session,
            request.form.get("username", ""),
            request.form.get("password", ""),
            max_failures=int(current_app.config.get("NTM_LOGIN_MAX_FAILURES") or 5),
            lock_minutes=int(current_app.config.get("NTM_LOGIN_LOCK_MINUTES") or 15),
        )
    except (accounts.AuthenticationError, accounts.AccountLockedError) as exc:
        session.commit()  # keep the failure count
        limiter.failed(address)
        return _login_page(exc.user_msg, next_url, int(exc.http_status))
    session.commit()
    auth.sign_in(user)
    return redirect(next_url)


def _login_page(error: str, next_url: str, status: int):
    return render_template("auth/login.html", next_url=next_url, error=error), status


@bp.post("/logout")
def logout():
    auth.sign_out()
    return redirect(url_for("auth.login"))
