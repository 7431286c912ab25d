"""User accounts: create, disable, change password, authenticate with a lockout.

Passwords are hashed with werkzeug's default (scrypt). After ``max_failures``
wrong passwords in a row an account is locked for ``lock_minutes``; the web
layer adds a per-address limiter on top (``webmap.auth``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from http import HTTPStatus
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo.errors import NotFoundError, NtmError
from geo.models import USER_ROLES, Activity, Organisation, UserAccount
from services import user_sessions

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
ROLE_LABELS = {
    "admin": "Quản trị hệ thống",
    "planner": "Cán bộ điều phối (lập kế hoạch)",
    "department_officer": "Cán bộ sở, ban, ngành",
    "working_group_officer": "Cán bộ tổ công tác",
    "viewer": "Người xem",
}
#: roles whose account must name the unit they belong to
UNIT_ROLES = ("department_officer", "working_group_officer")
OWN_ACTIVITIES_ONLY = "Bạn chỉ được ghi và sửa hoạt động do chính đơn vị mình tổ chức."
#: an unknown username costs as much as a wrong password (no timing oracle)
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class AuthenticationError(NtmError):
    """Wrong username or password (never says which)."""

    http_status = HTTPStatus.UNAUTHORIZED


class PermissionDeniedError(NtmError):
    """The signed-in user's role does not allow this."""

    http_status = HTTPStatus.FORBIDDEN


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The blocklist (services/seed/common_passwords.txt), lower case."""
    text = (Path(__file__).parent / "seed" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _check_password(password: str, username: str) -> None:
    """At least ``MIN_PASSWORD_LENGTH`` characters, not a common password, not the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise NtmError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        raise NtmError("Mật khẩu này quá phổ biến, dễ bị đoán: hãy chọn mật khẩu khác.")
    name = username.strip().lower()
    if len(name) >= 3 and name in lowered:
        raise NtmError("Mật khẩu không được chứa tên đăng nhập: hãy chọn mật khẩu khác.")


def organisation_by_code(session: Session, code: str) -> Organisation:
    org = session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFoundError(f"Không có đơn vị mã “{code}”. Xem danh sách đơn vị trong hệ thống.")
    return org


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    organisation_id: int | None = None,
) -> UserAccount:
    """A new active account; the username is stored in lower case."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise NtmError(
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang "
            "(2–80 ký tự)."
        )
    if role not in USER_ROLES:
        raise NtmError(f"Vai trò “{role}” không hợp lệ; chọn một trong: {', '.join(USER_ROLES)}.")
    if role in UNIT_ROLES and organisation_id is None:
        raise NtmError("Cán bộ sở, ngành hoặc tổ công tác phải thuộc một đơn vị: hãy chọn đơn vị.")
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NtmError(f"Không có đơn vị số {organisation_id}: hãy chọn đơn vị trong danh sách.")
    _check_password(password, username)
    if session.scalar(sa.select(UserAccount.id).where(UserAccount.username == username)):
        raise NtmError(f"Tên đăng nhập “{username}” đã có người dùng.")
    user = UserAccount(
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=generate_password_hash(password),
        role=role,
        organisation_id=organisation_id,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> UserAccount:
    user = session.scalar(
        sa.select(UserAccount).where(UserAccount.username == username.strip().lower())
    )
    if user is None:
        raise NotFoundError(f"Không có tài khoản “{username}”.")
    return user


def list_users(session: Session) -> list[UserAccount]:
    return list(session.scalars(sa.select(UserAccount).order_by(UserAccount.username)))


def set_active(session: Session, username: str, active: bool) -> UserAccount:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    user = get_user(session, username)
    user.is_active = active
    if not active:
        user_sessions.end_all(session, user.id)
    session.flush()
    return user


def change_password(
    session: Session, username: str, new_password: str, keep_session: str | None = None
) -> UserAccount:
    """Set a new password; every session of the account ends (but ``keep_session``)."""
    user = get_user(session, username)
    _check_password(new_password, user.username)
    user.password_hash = generate_password_hash(new_password)
    user_sessions.end_all(session, user.id, keep=keep_session)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str, now=None) -> UserAccount:
    """The account if the name and password are right; the same error for every failure
    (unknown name, wrong password, disabled account). Throttling: ``services.sign_in``."""
    user = session.scalar(
        sa.select(UserAccount).where(UserAccount.username == (username or "").strip().lower())
    )
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password or "")
        raise AuthenticationError("Sai tên đăng nhập hoặc mật khẩu.")
    if not check_password_hash(user.password_hash, password or ""):
        raise AuthenticationError("Sai tên đăng nhập hoặc mật khẩu.")
    user.last_login_at = now or _now()
    session.flush()
    return user


def can_edit_activity(user: UserAccount | None, activity: Activity) -> bool:
    """Admins edit any activity; unit officers only their own unit's; others none."""
    if user is None or not user.is_active:
        return False
    if user.role == "admin":
        return True
    if user.role in UNIT_ROLES:
        return user.organisation_id is not None and activity.organiser_id == user.organisation_id
    return False


def require_activity_edit(user: UserAccount | None, activity: Activity) -> None:
    """Raise ``PermissionDeniedError`` unless ``can_edit_activity``."""
    if not can_edit_activity(user, activity):
        raise PermissionDeniedError(OWN_ACTIVITIES_ONLY)
