"""Who is making a change: the signed-in user's name; without sign-in (``NTM_AUTH=off``)
the name the user gave in this browser session, or "khách" (guest)."""

from __future__ import annotations

from flask import session

GUEST = "khách"


def current_user_name() -> str:
    from webmap.auth import current_user

    user = current_user()
    if user is not None:
        return user.username
    return session.get("user_name") or GUEST
