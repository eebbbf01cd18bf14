"""`bridge render`: draw every step (or one) to equirectangular and projector PNGs and a contact sheet."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bridge.commands.options import DEFAULT_SIZE, allow_option, load_room_option, parse_size, room_option, step_number
from bridge.commands.terminal import err, escape, out, print_warnings, progress_bars, warn
from bridge.errors import BridgeError

HELP = "render a scene to equirectangular and projector images"
DESCRIPTION = "Render every step (or one) to DIR/step-NN/equirect.png, DIR/step-NN/projector-K.png and DIR/contact-sheet.png."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, help="scene YAML file")
    room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/<scene name>/")
    p.add_argument("--step", type=step_number, default=None, metavar="N", help="render only step N (1-based)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--size", default=None, metavar="WxH",
                      help="equirectangular frame size, 2:1; default: the room's own density (as `bridge launch` renders)")
    size.add_argument("--draft", action="store_true",
                      help=f"a quick {DEFAULT_SIZE} frame for the writing loop (the projector images are softer than the room)")
    allow_option(p)


def run(args) -> int:
    from bridge.render import stamp
    from bridge.render.output import default_out_dir

    room, size = _room_and_size(args)
    started = time.perf_counter()
    out_dir = args.out or default_out_dir(Path(args.scene).stem)
    steps = [args.step] if args.step is not None else None
    report = stamp.unchanged(out_dir, args.scene, room, size, steps)
    if report is not None:  # nothing it reads (nor Bridge) has changed since the render that wrote out_dir
        for warning in report["warnings"]:
            warn(warning)
        out.print(f"unchanged: {len(report['steps'])} step(s) of '{escape(report['title'])}' for {escape(room.name)} "
                  f"at {size[0]}×{size[1]} are as the last render wrote them ({time.perf_counter() - started:.1f} s)")
        _report(report, room)
        return 0
    return _render(args, room, size, out_dir, steps, started)


def _render(args, room, size: tuple[int, int], out_dir: Path, steps: list[int] | None, started: float) -> int:
    """Load the briefing once, render it, report, and stamp the folder for the next render."""
    from bridge.data import tables
    from bridge.render import stamp
    from bridge.render.briefing import load_briefing
    from bridge.render.output import prepare_out_dir
    from bridge.render.pipeline import render_briefing
    from bridge.scene.model import load_scene

    loaded = load_scene(args.scene)  # read once: the briefing below is built from it
    count = len(loaded[0].steps)
    if args.step is not None and args.step > count:
        raise BridgeError(f"--step: there is no step {args.step}; the scene has steps 1..{count}")
    files_read = stamp.inputs(loaded[0], args.scene)
    tables.keep_tables()  # a step's parameter view reads no file again: the briefing's files are read once
    briefing = load_briefing(args.scene, room=room, loaded=loaded)
    prepare_out_dir(out_dir, None)  # an --out that cannot be used is refused before the progress bars start
    stamp.forget(out_dir)
    print_warnings(briefing)
    with progress_bars(err) as progress:
        result = render_briefing(briefing, room, out_dir, size, steps, progress)
    elapsed = time.perf_counter() - started
    out.print(f"rendered {len(result.steps)} step(s) of '{escape(briefing.scene.title)}' for {escape(room.name)} "
              f"at {size[0]}×{size[1]} in {elapsed:.1f} s")
    report = {"title": briefing.scene.title, "steps": result.steps, "out_dir": str(result.out_dir),
              "contact_sheet": str(result.contact_sheet), "smallest_text": list(result.smallest_text),
              "faults": [str(f) for f in result.layout_faults], "hints": [str(h) for h in result.layout_hints],
              "warnings": [str(w) for w in briefing.data.warnings]}
    _report(report, room)
    written = sorted(Path(result.out_dir).glob("step-*/*.png")) + [Path(str(result.contact_sheet))]
    stamp.write(result.out_dir, files_read, room, size, steps, written, report)
    return 0


def _room_and_size(args) -> tuple:
    """(room, (width, height)): --size, else --draft's quick frame, else the room's own density
    (its sharpest projector's pixels per degree × 360, as `launch` renders; bridge/show/preparer.py
    `default_size`), refused if the frames would not fit in memory."""
    from bridge.room.model import check_render_memory
    from bridge.show.preparer import default_size

    room = load_room_option(args.room)
    size = parse_size(args.size) if args.size else parse_size(DEFAULT_SIZE) if args.draft else default_size(room)
    check_render_memory(room, *size, "--size" if args.size else "--draft" if args.draft else
                        "the room's own density (--draft or --size give a smaller frame)")
    return room, size


def _report(report: dict, room) -> None:
    """What was written, the smallest text's visual angle and the layout problems (`report`: as
    `run` builds it, and as the output folder's stamp keeps it)."""
    for n in report["steps"]:
        folder = Path(report["out_dir"]) / f"step-{n:02d}"
        out.print(f"  {escape(folder)}/  equirect.png, projector-1..{len(room.projectors)}.png")
    out.print(f"  {escape(report['contact_sheet'])}")
    smallest, panel_id = report["smallest_text"]
    if smallest < float("inf"):
        from bridge.theme import MIN_TEXT_DEG

        verdict = ("legible" if smallest >= MIN_TEXT_DEG
                   else f"[yellow]under the {MIN_TEXT_DEG}° legible across a room: enlarge it[/]")
        out.print(f"smallest text: {smallest:.2f}° of visual angle (panel '{escape(panel_id)}'), {verdict}")
    for fault in report["faults"]:
        err.print(f"[yellow]warning:[/] {escape(fault)}")
    for hint in report["hints"]:
        err.print(f"[cyan]hint:[/] {escape(hint)}")
    layout = (f"[yellow]{len(report['faults'])} layout problem(s), listed above[/]" if report["faults"]
              else "no text cut by a panel's edge, overlapping or covering a chart")
    out.print(f"layout: {layout}")
