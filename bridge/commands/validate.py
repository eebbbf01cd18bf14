"""`bridge validate`: check a scene and its data without rendering, so mistakes show before the meeting."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.commands.options import DEFAULT_WIDTH, allow_option, load_room_option, room_option
from bridge.commands.terminal import err, escape, out, print_warnings

HELP = "check a scene and its data"
DESCRIPTION = "Check a scene file and its data: keys, values, files, columns, joins and expressions."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, help="scene YAML file")
    room_option(p)
    allow_option(p)


def run(args) -> int:
    from bridge.render.briefing import load_briefing

    room = load_room_option(args.room)
    briefing = load_briefing(args.scene)
    scene = briefing.scene
    out.print(f"[green]ok[/] {escape(args.scene)}: '{escape(scene.title)}' — {len(scene.datasets)} datasets "
              f"({escape(briefing.data.summary())}), {len(scene.panels)} panels, {len(scene.steps)} steps")
    from bridge.render.checks import lit_warnings, overlap_warnings, seam_warnings

    for warning in (seam_warnings(scene, briefing.data.doc, room, briefing.theme) + lit_warnings(scene, briefing.data.doc, room)
                    + overlap_warnings(scene, briefing.data.doc)):
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    for join in briefing.data.joins:
        if join.unmatched_keys:
            sample = ", ".join(join.unmatched_keys[:5])
            err.print(f"[yellow]warning:[/] {escape(join.dataset)}: {len(join.unmatched_keys)} of {join.base_rows} areas "
                      f"have no row (e.g. {escape(sample)}); they are drawn as 'no data'")
    print_warnings(briefing)
    from bridge.render.pipeline import layout_faults

    for fault in layout_faults(briefing, DEFAULT_WIDTH):
        err.print(f"[yellow]warning:[/] {escape(fault)}")
    return 0
