"""Command groups of the ``ntm`` CLI; each module exposes ``commands`` (a list of click commands)
and is listed in ``MODULES``."""

MODULES: list[str] = ["importing", "facts", "demo", "users", "backup", "worker"]
