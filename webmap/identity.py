"""Who is making a change. Until accounts exist (issue 7) changes are attributed to
the name the user gave in this browser session, or to "khách" (guest)."""

from __future__ import annotations

from flask import session

GUEST = "khách"


def current_user_name() -> str:
    return session.get("user_name") or GUEST
