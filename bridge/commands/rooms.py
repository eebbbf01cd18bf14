"""`bridge rooms`: list the room profiles that ship with Bridge, so a user can pick one by name."""

from __future__ import annotations

import argparse

from bridge.commands.terminal import out

HELP = "list the room profiles that ship with Bridge"
DESCRIPTION = "List the shipped room profiles and what each holds."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options."""


def run(args) -> int:
    from rich.table import Table

    from bridge.room.load import DEFAULT_ROOM, load_room, shipped_rooms

    table = Table(title="Room profiles shipped with Bridge (use --room NAME, or a path to your own YAML)")
    for col in ("name", "room", "holds"):
        table.add_column(col)
    for name in sorted(shipped_rooms()):
        room = load_room(name)
        label = f"{name} (default)" if name == DEFAULT_ROOM else name
        table.add_row(label, room.name, room.summary())
    out.print(table)
    return 0
