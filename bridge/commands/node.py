"""`bridge node`: one render node of a room on several PCs; `bridge launch SCENE --cluster` starts these.

Run by hand it refuses at once (exit 2) and says what starts it: on its own it would wait for a
controller that never speaks.
"""

from __future__ import annotations

import argparse

HELP = "a render node of a room on several PCs (started by `bridge launch --cluster` under mpirun, not by hand)"
DESCRIPTION = ("Show one output group of a cluster room. `bridge launch SCENE --cluster` starts these under mpirun, "
               "and the controller's F5 restarts a lost one; run by hand it refuses.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help=argparse.SUPPRESS)


def run(args) -> int:
    from bridge.show.cluster.node import serve_node

    return serve_node(args.env)
