"""`bridge node`: one render node of a room on several PCs; `bridge launch SCENE --cluster` starts these."""

from __future__ import annotations

import argparse

HELP = "a render node of a room on several PCs (started by mpirun or the controller)"
DESCRIPTION = "Show one output group of a cluster room; `bridge launch SCENE --cluster` starts these."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help=argparse.SUPPRESS)


def run(args) -> int:
    from bridge.show.cluster.node import serve_node

    return serve_node(args.env)
