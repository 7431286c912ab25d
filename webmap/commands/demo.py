"""``ntm load demo``: write (or remove) the reproducible demo scenario.

The ``load`` group lives in ``webmap.cli``; this module adds its subcommand to it.
"""

from __future__ import annotations

import click

from geo.db import make_session_factory, transaction
from webmap.cli import _engine, load


@load.command("demo")
@click.option("--seed", default=None, type=int, help="Random seed (same seed, same scenario).")
@click.option(
    "--activities",
    "n_activities",
    default=2000,
    show_default=True,
    type=click.IntRange(0),
    help="How many Saturday activities to generate.",
)
@click.option("--remove", is_flag=True, help="Delete every demo row instead of loading.")
def load_demo(seed: int | None, n_activities: int, remove: bool) -> None:
    """Load the demo scenario (labelled "dữ liệu minh hoạ"); loading twice adds nothing.

    To change the seed of a loaded scenario, run with --remove first.
    """
    from services import demo

    engine = _engine()
    try:
        with transaction(make_session_factory(engine)) as session:
            if remove:
                counts = demo.remove_demo(session)
            else:
                with click.progressbar(
                    length=demo.progress_total(n_activities),
                    label="Đang tạo dữ liệu minh hoạ",
                ) as bar:
                    counts = demo.load_demo(
                        session,
                        seed=demo.DEFAULT_SEED if seed is None else seed,
                        n_activities=n_activities,
                        progress=lambda label, n: bar.update(n),
                    )
    finally:
        engine.dispose()
    for name, count in counts.items():
        click.echo(f"  {name}: {count}")


#: the command is attached to ``load`` above; nothing new at the top level
commands: list[click.Command] = []
