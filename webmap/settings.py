"""Every setting of ntm-map, defined once: name, default, help.

The CLI, the app factory and the README read this list; a test fails when a
setting is missing from the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting(
        "DATABASE_URL",
        f"sqlite:///{PROJECT_ROOT / 'instance' / 'ntm.db'}",
        "Database: sqlite:///path (SpatiaLite, embedded default) or "
        "postgresql+psycopg://user@host:port/db (PostGIS).",
    ),
    Setting(
        "NTM_DATA_DIR",
        "",
        "Directory holding the boundary sources named in data/boundaries/manifest.toml "
        "(the Makefile points it at ../shared/data when that exists). Empty: use the "
        "cache, or download from the pinned URLs.",
    ),
    Setting(
        "NTM_SECRET_KEY",
        "",
        "Secret for signing sessions, the same on every web process. Required by `ntm serve` "
        "(production); empty is allowed only under `ntm serve --dev` and in tests (a random "
        "key per process). Make one: python3 -c 'import secrets; print(secrets.token_hex(32))'.",
    ),
    Setting("NTM_LANGUAGE", "vi", "Default interface language: vi or en."),
    Setting(
        "NTM_BASEMAP",
        "none",
        "Base map under the boundaries: none, osm (online tiles, needs internet) or a "
        "local tile URL template such as /tiles/{z}/{x}/{y}.png.",
    ),
    Setting(
        "NTM_AUTH",
        "required",
        "Sign-in: required (nothing visible without signing in), public-read (anyone may "
        "read, changes need sign-in) or off (development only: no sign-in, no CSRF check, "
        "no Content-Security-Policy).",
    ),
    Setting(
        "NTM_HTTPS",
        "off",
        "on when the app is served over https: session cookies get the Secure flag and "
        "responses carry Strict-Transport-Security.",
    ),
    Setting(
        "NTM_LOGIN_MAX_FAILURES",
        "5",
        "Wrong passwords in a row for one user name from one address before that name waits.",
    ),
    Setting(
        "NTM_LOGIN_LOCK_MINUTES",
        "15",
        "Minutes that name waits from that address; doubled at each further failure.",
    ),
    Setting(
        "NTM_LOGIN_ADDRESS_LIMIT",
        "20",
        "Failed sign-ins from one address in ten minutes before the address waits.",
    ),
    Setting(
        "NTM_CHROMIUM", "/usr/bin/chromium", "The Chromium that `ntm worker` renders exports with."
    ),
    Setting(
        "NTM_EXPORT_DIR",
        "",
        "Where finished exports are kept (empty: instance/exports); shared by web and workers.",
    ),
    Setting("NTM_EXPORT_KEEP_HOURS", "24", "Hours a finished export's file is kept, then removed."),
    Setting("NTM_EXPORT_USER_LIMIT", "3", "Exports one user may have waiting or running at once."),
    Setting(
        "NTM_EXPORT_TIMEOUT_S",
        "300",
        "Seconds an export may run before its worker stops the browser and fails it.",
    ),
    Setting("NTM_MAX_UPLOAD_MB", "50", "Largest request body (uploads included), in MB."),
    Setting("NTM_HOST", "127.0.0.1", "Address `ntm serve` listens on."),
    Setting("NTM_PORT", "5000", "Port `ntm serve` listens on."),
    Setting(
        "NTM_WORKERS",
        "",
        "Web worker processes of `ntm serve` (gunicorn). Empty: 2 × CPU cores + 1, at most 9.",
    ),
    Setting(
        "NTM_TIMEOUT",
        "120",
        "Seconds a web worker may spend on one request before gunicorn restarts it.",
    ),
    Setting(
        "NTM_READ_REPLICAS",
        "",
        "PostgreSQL read replicas, database URLs separated by spaces or commas. Read-only "
        "requests (map data, panels, lists, coverage, reports) go to one of them; writes and "
        "the same user's reads just after a write go to DATABASE_URL.",
    ),
    Setting(
        "NTM_REPLICA_MAX_LAG_S",
        "5",
        "A replica that replays more than this many seconds behind the primary is skipped "
        "(reads go to the primary; a log line says so).",
    ),
    Setting(
        "NTM_READ_YOUR_WRITES_S",
        "10",
        "Seconds after a user's write during which that user's reads go to the primary.",
    ),
)


def from_environment(environ: os._Environ | dict | None = None) -> dict[str, str]:
    """Each setting's value: the environment's when set, else the default."""
    environ = os.environ if environ is None else environ
    return {s.name: environ.get(s.name) or s.default for s in SETTINGS}
