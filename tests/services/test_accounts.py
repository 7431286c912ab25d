"""Accounts: hashing, roles, lockout, disable, the activity edit rule, the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.errors import NotFoundError, NtmError
from geo.models import Activity, AdminUnit, Organisation
from services import accounts, audit, sign_in

PASSWORD = "mot-mat-khau-dai"


@pytest.fixture
def org(session) -> Organisation:
    org = Organisation(code="QT45-TEST", name="Sở Thử nghiệm", kind="department")
    other = Organisation(code="QT45-OTHER", name="Sở Khác", kind="department")
    session.add_all([org, other])
    session.flush()
    return org


def test_password_is_hashed_with_scrypt(session):
    user = accounts.create_user(session, "Planner.One", PASSWORD, "planner")
    assert user.username == "planner.one"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert accounts.authenticate(session, "PLANNER.ONE", PASSWORD).id == user.id
    assert user.last_login_at is not None


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("a b", PASSWORD, "viewer", "Tên đăng nhập"),
        ("viewer1", "ngan", "viewer", "ít nhất 10"),
        ("viewer1", PASSWORD, "king", "Vai trò"),
        ("dept1", PASSWORD, "department_officer", "phải thuộc một đơn vị"),
    ],
)
def test_create_refuses_bad_input(session, username, password, role, message):
    with pytest.raises(NtmError, match=message):
        accounts.create_user(session, username, password, role)


def test_duplicate_username_refused(session):
    accounts.create_user(session, "viewer1", PASSWORD, "viewer")
    with pytest.raises(NtmError, match="đã có người dùng"):
        accounts.create_user(session, "Viewer1", PASSWORD, "viewer")


def test_wrong_password_and_unknown_user_say_the_same(session):
    accounts.create_user(session, "viewer1", PASSWORD, "viewer")
    with pytest.raises(accounts.AuthenticationError) as wrong:
        accounts.authenticate(session, "viewer1", "sai-mat-khau-roi")
    with pytest.raises(accounts.AuthenticationError) as unknown:
        accounts.authenticate(session, "nobody", "sai-mat-khau-roi")
    assert wrong.value.user_msg == unknown.value.user_msg


LIMITS = sign_in.Limits(max_failures=3, lock_minutes=10, address_limit=50)


def _fail(session, name, address, now, limits=LIMITS):
    sign_in.check(session, name, address, limits, now=now)
    sign_in.failed(session, name, address, limits, now=now)


def test_a_name_locks_from_one_address_only_and_the_lock_doubles(session):
    accounts.create_user(session, "viewer1", PASSWORD, "viewer")
    now = dt.datetime(2026, 11, 26, 8, 0)
    for _ in range(3):
        _fail(session, "viewer1", "10.0.0.1", now)
    with pytest.raises(sign_in.SignInWaitError, match="10 phút") as known:
        sign_in.check(session, "viewer1", "10.0.0.1", LIMITS, now=now)
    # the owner, from their own machine, is not locked out by someone else's guesses
    sign_in.check(session, "viewer1", "10.0.0.2", LIMITS, now=now)
    # an unknown name gets the very same answer: a lock tells nothing about the accounts
    for _ in range(3):
        _fail(session, "khong-co-ai", "10.0.0.1", now)
    with pytest.raises(sign_in.SignInWaitError) as unknown:
        sign_in.check(session, "khong-co-ai", "10.0.0.1", LIMITS, now=now)
    assert known.value.user_msg == unknown.value.user_msg
    # after the wait one more failure locks for twice as long
    later = now + dt.timedelta(minutes=11)
    _fail(session, "viewer1", "10.0.0.1", later)
    with pytest.raises(sign_in.SignInWaitError, match="20 phút"):
        sign_in.check(session, "viewer1", "10.0.0.1", LIMITS, now=later)
    # a right password ends the count
    sign_in.succeeded(session, "viewer1", "10.0.0.1")
    sign_in.check(session, "viewer1", "10.0.0.1", LIMITS, now=later)


def test_an_address_waits_after_too_many_failures_in_the_window(session):
    limits = sign_in.Limits(max_failures=100, address_limit=3)
    now = dt.datetime(2026, 11, 26, 8, 0)
    for i in range(3):
        _fail(session, f"ten-{i}", "10.0.0.7", now, limits)
    with pytest.raises(sign_in.SignInWaitError, match="địa chỉ này"):
        sign_in.check(session, "ten-moi", "10.0.0.7", limits, now=now)
    sign_in.check(session, "ten-moi", "10.0.0.8", limits, now=now)
    sign_in.check(session, "ten-moi", "10.0.0.7", limits, now=now + limits.window)


@pytest.mark.parametrize("password", ["matkhau123", "1234567890", "aaaaaaaaaaaa", "viewer1-2026!"])
def test_common_passwords_and_the_user_name_are_refused(session, password):
    with pytest.raises(NtmError, match="phổ biến|tên đăng nhập"):
        accounts.create_user(session, "viewer1", password, "viewer")


def test_disabled_account_cannot_sign_in_and_can_be_enabled(session):
    accounts.create_user(session, "viewer1", PASSWORD, "viewer")
    accounts.set_active(session, "viewer1", False)
    with pytest.raises(accounts.AuthenticationError):
        accounts.authenticate(session, "viewer1", PASSWORD)
    accounts.set_active(session, "viewer1", True)
    assert accounts.authenticate(session, "viewer1", PASSWORD).is_active


def test_change_password(session):
    accounts.create_user(session, "viewer1", PASSWORD, "viewer")
    accounts.change_password(session, "viewer1", "mat-khau-moi-123")
    with pytest.raises(accounts.AuthenticationError):
        accounts.authenticate(session, "viewer1", PASSWORD)
    assert accounts.authenticate(session, "viewer1", "mat-khau-moi-123")
    with pytest.raises(NtmError):
        accounts.change_password(session, "viewer1", "short")
    with pytest.raises(NotFoundError):
        accounts.change_password(session, "nobody", "mat-khau-moi-123")


def test_organisation_by_code(session, org):
    assert accounts.organisation_by_code(session, "QT45-TEST").id == org.id
    with pytest.raises(NotFoundError, match="QT45-NONE"):
        accounts.organisation_by_code(session, "QT45-NONE")


@pytest.mark.parametrize(
    ("role", "own", "other"),
    [
        ("admin", True, True),
        ("planner", False, False),
        ("department_officer", True, False),
        ("working_group_officer", True, False),
        ("viewer", False, False),
    ],
)
def test_can_edit_activity(session, org, role, own, other):
    user = accounts.create_user(
        session, f"u-{role}".replace("_", "-"), PASSWORD, role, organisation_id=org.id
    )
    other_org = accounts.organisation_by_code(session, "QT45-OTHER")
    mine = Activity(activity_date=dt.date(2026, 1, 3), type_code="x", organiser_id=org.id)
    theirs = Activity(activity_date=dt.date(2026, 1, 3), type_code="x", organiser_id=other_org.id)
    assert accounts.can_edit_activity(user, mine) is own
    assert accounts.can_edit_activity(user, theirs) is other
    user.is_active = False
    assert accounts.can_edit_activity(user, mine) is False
    assert accounts.can_edit_activity(None, mine) is False
    if not other:
        with pytest.raises(accounts.PermissionDeniedError, match="chính đơn vị"):
            accounts.require_activity_edit(user, theirs)


def test_audit_record_and_history(session):
    unit = AdminUnit(name="Xã Thử", level="commune", kind="xa")
    session.add(unit)
    session.flush()
    audit.record(session, "sponsorship", 7, "create", "planner1", None, {"a": 1}, unit.id)
    audit.record(
        session,
        "sponsorship",
        7,
        "update",
        "planner2",
        {"a": 1, "since": dt.date(2026, 1, 1)},
        {"a": 2, "since": dt.date(2026, 1, 1)},
        unit.id,
    )
    audit.record(session, "sponsorship", 8, "delete", "planner2", {"a": 3}, None, None)
    history = audit.history_for_unit(session, unit.id)
    assert [e.action for e in history] == ["update", "create"]
    assert history[0].before == {"a": 1, "since": "2026-01-01"}
    assert audit.changed_fields(history[0].before, history[0].after) == ["a"]
    assert [e.action for e in audit.history_for_entity(session, "sponsorship", 7)] == [
        "create",
        "update",
    ]
    with pytest.raises(ValueError):
        audit.record(session, "sponsorship", 7, "explode", "x")
