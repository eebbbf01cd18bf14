"""`bridge render`: draw every step (or one) to equirectangular and projector PNGs and a contact sheet."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bridge.commands.options import allow_option, frame_size_option, room_and_size, room_option, step_number
from bridge.commands.terminal import err, escape, out, print_warnings, progress_bars
from bridge.errors import BridgeError

HELP = "render a scene to equirectangular and projector images"
DESCRIPTION = "Render every step (or one) to DIR/step-NN/equirect.png, DIR/step-NN/projector-K.png and DIR/contact-sheet.png."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, help="scene YAML file")
    room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/<scene name>/")
    p.add_argument("--step", type=step_number, default=None, metavar="N", help="render only step N (1-based)")
    frame_size_option(p)
    allow_option(p)


def run(args) -> int:
    from bridge.render.briefing import load_briefing
    from bridge.render.output import default_out_dir, prepare_out_dir
    from bridge.render.pipeline import render_briefing

    room, size = room_and_size(args)
    started = time.perf_counter()
    briefing = load_briefing(args.scene)
    out_dir = args.out or default_out_dir(briefing.name)
    count = len(briefing.scene.steps)
    if args.step is not None and args.step > count:
        raise BridgeError(f"--step: there is no step {args.step}; the scene has steps 1..{count}")
    steps = [args.step] if args.step is not None else None
    prepare_out_dir(out_dir, None)  # an --out that cannot be used is refused before the progress bars start
    print_warnings(briefing)
    with progress_bars(err) as progress:
        result = render_briefing(briefing, room, out_dir, size, steps, progress)
    elapsed = time.perf_counter() - started
    out.print(f"rendered {len(result.steps)} step(s) of '{escape(briefing.scene.title)}' for {escape(room.name)} "
              f"at {size[0]}×{size[1]} in {elapsed:.1f} s")
    _report(result, room)
    return 0


def _report(result, room) -> None:
    """What was written, the smallest text's visual angle and the layout problems."""
    for n in result.steps:
        out.print(f"  {escape(result.out_dir / f'step-{n:02d}')}/  equirect.png, projector-1..{len(room.projectors)}.png")
    out.print(f"  {escape(result.contact_sheet)}")
    smallest, panel_id = result.smallest_text
    if smallest < float("inf"):
        from bridge.theme import MIN_TEXT_DEG

        verdict = ("legible" if smallest >= MIN_TEXT_DEG
                   else f"[yellow]under the {MIN_TEXT_DEG}° legible across a room: enlarge it[/]")
        out.print(f"smallest text: {smallest:.2f}° of visual angle (panel '{escape(panel_id)}'), {verdict}")
    for fault in result.layout_faults:
        err.print(f"[yellow]warning:[/] {escape(fault)}")
    for hint in result.layout_hints:
        err.print(f"[cyan]hint:[/] {escape(hint)}")
    layout = (f"[yellow]{len(result.layout_faults)} layout problem(s), listed above[/]" if result.layout_faults
              else "no text cut by a panel's edge, overlapping or covering a chart")
    out.print(f"layout: {layout}")
