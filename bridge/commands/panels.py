"""`bridge panels`: list the panel types a scene can use, with their keys.

It lists what is registered in this installation: the built-in types (the modules of
bridge/panels/).  A plug-in type is a module that calls `bridge.panels.register` when it is
imported, and nothing imports one automatically, so the help does not promise plug-ins."""

from __future__ import annotations

import argparse
import sys

from bridge.commands.terminal import out

HELP = "list the panel types a scene can use"
DESCRIPTION = ("List the panel types registered in this installation (the built-in ones) and their keys. "
               "A plug-in type is a module that calls bridge.panels.register when imported; "
               "nothing imports one automatically (see docs/developer.md, \"Adding a panel type\").")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (as in the docs)")


def run(args) -> int:
    from rich.table import Table

    from bridge import panels

    if args.markdown:
        sys.stdout.write(panels.markdown_table())
        return 0
    table = Table(title="Panel types (type: NAME in a scene's panels:)")
    for col in ("type", "shows", "its own keys (? optional)"):
        table.add_column(col)
    for name, doc, keys in panels.describe():
        table.add_row(name, doc, ", ".join(keys))
    out.print(table)
    return 0
