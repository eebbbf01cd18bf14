"""`bridge new`: start a briefing from data files — a folder with the files and a commented scene."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.commands.terminal import escape, out

HELP = "start a briefing from data files"
DESCRIPTION = ("Start a briefing from data files: detect each file's format and its column of area codes (ONS codes "
               "such as E01… or W06…), join the files on matching codes, and write NAME/NAME.yaml, a commented scene "
               "with a panel per measure (a map when boundaries are given), beside copies of the files in NAME/data/. "
               "An existing NAME is never overwritten.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", type=Path, metavar="NAME", help="the folder to make (it must not exist)")
    p.add_argument("--data", type=Path, nargs="+", required=True, metavar="FILE",
                   help="data files: CSV, Excel, Parquet, GeoJSON, GeoPackage, Shapefile or FlatGeobuf")
    p.add_argument("--title", help="the briefing's title (default: from NAME)")


def run(args) -> int:
    from bridge.scaffold.write import describe, new_briefing

    scene, sources = new_briefing(args.name, args.data, args.title)
    for line in describe(sources):
        out.print(f"  {escape(line)}")
    out.print(f"[green]wrote[/] {escape(scene)} ({len(sources)} file{'s' * (len(sources) != 1)} copied into "
              f"{escape(scene.parent / 'data')})")
    out.print(f"next: bridge validate {escape(scene)}, then bridge preview {escape(scene)}")
    return 0
