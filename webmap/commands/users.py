"""``ntm users``: create, list and disable accounts."""

from __future__ import annotations

import sys

import click

from geo.db import make_session_factory, transaction
from geo.models import USER_ROLES
from services import accounts
from webmap.cli import _engine


@click.group("users")
def users() -> None:
    """Manage the accounts that sign in to the app."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(USER_ROLES), required=True, help="The account's role.")
@click.option("--organisation", "organisation_code", help="Code of the unit the user belongs to.")
@click.option("--name", "display_name", help="Full name shown in the app.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(
    username: str,
    role: str,
    organisation_code: str | None,
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Create an account USERNAME (password from a prompt or --password-stdin)."""
    password = _read_password(password_stdin)
    with transaction(make_session_factory(_engine())) as session:
        org_id = None
        if organisation_code:
            org_id = accounts.organisation_by_code(session, organisation_code).id
        user = accounts.create_user(
            session,
            username,
            password,
            role,
            display_name=display_name,
            organisation_id=org_id,
        )
        click.echo(f"Đã tạo tài khoản {user.username} ({accounts.ROLE_LABELS[role]}).")


@users.command("list")
def list_() -> None:
    """List accounts: username, role, unit, state."""
    with transaction(make_session_factory(_engine())) as session:
        for user in accounts.list_users(session):
            org = user.organisation.code if user.organisation else "-"
            state = "active" if user.is_active else "disabled"
            click.echo(f"{user.username}\t{user.role}\t{org}\t{state}\t{user.display_name}")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable USERNAME: it can no longer sign in and its sessions end."""
    with transaction(make_session_factory(_engine())) as session:
        accounts.set_active(session, username, False)
    click.echo(f"Đã khoá tài khoản {username}.")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable USERNAME again."""
    with transaction(make_session_factory(_engine())) as session:
        accounts.set_active(session, username, True)
    click.echo(f"Đã mở lại tài khoản {username}.")


@users.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password(username: str, password_stdin: bool) -> None:
    """Set a new password for USERNAME (and lift a lockout)."""
    new_password = _read_password(password_stdin)
    with transaction(make_session_factory(_engine())) as session:
        accounts.change_password(session, username, new_password)
    click.echo(f"Đã đổi mật khẩu của {username}.")


commands = [users]


#: accounts ``make demo`` creates: (username, role, organisation code, display name)
DEMO_ACCOUNTS = (
    ("demo-admin", "admin", None, "Quản trị (DEMO)"),
    ("demo-planner", "planner", "QT44-VPDP", "Cán bộ VPĐP NTM (DEMO)"),
    ("demo-so-nnmt", "department_officer", "QT44-SNNMT", "Cán bộ Sở NN&MT (DEMO)"),
    ("demo-viewer", "viewer", None, "Lãnh đạo xem (DEMO)"),
)


@users.command("demo")
@click.option(
    "--file",
    "out",
    type=click.Path(dir_okay=False),
    default="instance/demo-accounts.txt",
    show_default=True,
    help="Where the generated passwords are written (readable by you only).",
)
def demo(out: str) -> None:
    """Create (or reset) the demo accounts, one per role, with new random passwords."""
    import os
    import secrets
    from pathlib import Path

    path = Path(out)
    lines = ["Tài khoản DEMO (tên đăng nhập  mật khẩu  vai trò):"]
    with transaction(make_session_factory(_engine())) as session:
        for username, role, org_code, name in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            org_id = accounts.organisation_by_code(session, org_code).id if org_code else None
            if username in {u.username for u in accounts.list_users(session)}:
                accounts.change_password(session, username, password)
            else:
                accounts.create_user(
                    session, username, password, role, display_name=name, organisation_id=org_id
                )
            lines.append(f"  {username}  {password}  {accounts.ROLE_LABELS[role]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    click.echo(path.read_text(encoding="utf-8"), nl=False)
