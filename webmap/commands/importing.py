"""``ntm import``: bring data files into the database (boundaries, facts).

Other command modules add their subcommands to ``import_group`` with
``@import_group.command(...)``.
"""

from __future__ import annotations

import click


@click.group("import")
def import_group() -> None:
    """Import boundaries and facts from files (all-or-nothing)."""


commands = [import_group]


# subcommands defined in their own modules register themselves on import_group
from webmap.commands import boundaries as _boundaries  # noqa: E402,F401
