"""User accounts: create, disable, change password, authenticate with a lockout.

Passwords are hashed with werkzeug's default (scrypt). After ``max_failures``
wrong passwords in a row an account is locked for ``lock_minutes``; the web
layer adds a per-address limiter on top (``webmap.auth``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from http import HTTPStatus

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo.errors import NotFoundError, NtmError
from geo.models import USER_ROLES, Activity, Organisation, UserAccount

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


class AccountLockedError(NtmError):
    """Too many wrong passwords: the account waits before the next try."""

    http_status = HTTPStatus.TOO_MANY_REQUESTS


class PermissionDeniedError(NtmError):
    """The signed-in user's role does not allow this."""

    http_status = HTTPStatus.FORBIDDEN


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise NtmError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")


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
    _check_password(password)
    if session.scalar(sa.select(UserAccount.id).where(UserAccount.username == username)):
        raise NtmError(f"Tên đăng nhập “{username}” đã có người dùng.")
    user = UserAccount(
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=generate_password_hash(password),
        role=role,
        organisation_id=organisation_id,
        is_active=True,
        failed_logins=0,
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
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def change_password(session: Session, username: str, new_password: str) -> UserAccount:
    """Set a new password and clear any lockout."""
    _check_password(new_password)
    user = get_user(session, username)
    user.password_hash = generate_password_hash(new_password)
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    max_failures: int = 5,
    lock_minutes: int = 15,
    now: dt.datetime | None = None,
) -> UserAccount:
    """The account if the password is right; counts failures and locks after ``max_failures``."""
    now = now or _now()
    user = session.scalar(
        sa.select(UserAccount).where(UserAccount.username == (username or "").strip().lower())
    )
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password or "")
        raise AuthenticationError("Sai tên đăng nhập hoặc mật khẩu.")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
        raise AccountLockedError(
            f"Tài khoản tạm khoá do nhập sai mật khẩu nhiều lần. Thử lại sau {minutes} phút."
        )
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + dt.timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        session.flush()
        raise AuthenticationError("Sai tên đăng nhập hoặc mật khẩu.")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
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
