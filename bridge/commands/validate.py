"""`bridge validate`: check a scene and its data without rendering, so mistakes show before the meeting."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.commands.options import DEFAULT_WIDTH, allow_option, load_room_option, room_option
from bridge.commands.terminal import err, escape, out, print_warnings
from bridge.errors import counted

HELP = "check a scene and its data"
DESCRIPTION = "Check a scene file and its data: keys, values, files, columns, joins and expressions."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, help="scene YAML file")
    room_option(p)
    allow_option(p)


def run(args) -> int:
    from bridge.data import tables
    from bridge.render.briefing import load_briefing

    tables.keep_tables()  # a step's parameter view (checked in the layout pass) reads no file again
    room = load_room_option(args.room)
    briefing = load_briefing(args.scene)
    scene = briefing.scene
    out.print(f"[green]ok[/] {escape(args.scene)}: '{escape(scene.title)}' — {counted(len(scene.datasets), 'dataset')} "
              f"({escape(briefing.data.summary())}), {counted(len(scene.panels), 'panel')}, "
              f"{counted(len(scene.steps), 'step')}")
    from bridge.render.checks import lit_warnings, overlap_warnings, seam_warnings

    for warning in (seam_warnings(scene, briefing.data.doc, room, briefing.theme) + lit_warnings(scene, briefing.data.doc, room)
                    + overlap_warnings(scene, briefing.data.doc)):
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    # join warnings (areas with no row) are located data warnings: print_warnings prints them
    print_warnings(briefing)
    _disclosure(briefing)
    from bridge.render.pipeline import layout_faults

    faults, hints = layout_faults(briefing, DEFAULT_WIDTH)
    for fault in faults:
        err.print(f"[yellow]warning:[/] {escape(fault)}")
    for hint in hints:
        err.print(f"[cyan]hint:[/] {escape(hint)}")
    return 0


def _text_fields(doc) -> list[tuple]:
    """(panel id, key, expression, dataset) of each {expression} field in the panels' texts as
    written (the loaded briefing holds them filled in): the panels are rebuilt from the YAML the
    briefing already read, so the scene file is read and checked once."""
    from bridge.data.expressions import ExpressionError, template
    from bridge.scene.model import scene_model

    found = []
    for panel in scene_model().model_validate(doc.data).panels:
        for keys, text in panel.texts():
            try:
                parts = template.split(text)
            except ExpressionError:
                continue  # reported where the text is filled
            found += [(panel.id, ".".join(map(str, keys)) + " " + part.written, part.expression, panel.data)
                      for part in parts if isinstance(part, template.Field) and part.parameter is None]
    return found


def _disclosure(briefing) -> None:
    """Say which values disclosure control guards, and warn of count-like columns it does not."""
    from bridge.data.disclosure import guarded_values, uncounted_columns

    data, scene = briefing.data, briefing.scene
    values = [(panel.id, ".".join(map(str, path)), text, panel.data) for panel in scene.panels
              for path, text in panel.expressions() if path[0] != "where"]
    guarded, _ = guarded_values(data, values + _text_fields(briefing.data.doc))
    small = f"1–{data.min_count - 1}" if data.min_count > 2 else "1"
    if guarded:
        shown = ", ".join(guarded[:6]) + (f" and {len(guarded) - 6} more" if len(guarded) > 6 else "")
        out.print(f"disclosure: counts of people from {small} are drawn as \"suppressed\" in "
                  f"{counted(len(guarded), 'panel value')}: {escape(shown)}")
    else:
        out.print(f"disclosure: no panel value here counts people (built from columns in counts:, point counts or "
                  f"measures with count: true), so nothing is suppressed, not even counts from {small}")
    for warning in uncounted_columns(data):
        err.print(f"[yellow]warning:[/] {escape(warning)}")
