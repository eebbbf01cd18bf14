"""`bridge export`: the briefing as a static web site (and a PDF handout) to send after the meeting."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.commands.options import allow_option, frame_size_option, room_and_size, room_option
from bridge.commands.terminal import err, escape, out, progress_bars, warn

HELP = "write the briefing as a static web site (and a PDF handout) to send after the meeting"
DESCRIPTION = ("Render every step and write a self-contained site (opens from disk or any web host) "
               "with each step's 360° view, titles, notes and every panel's content as text; --pdf "
               "adds a tagged (PDF/UA) handout that screen readers can read: each step from a new A4 page.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, help="scene YAML file")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: out/<scene name>/export)")
    p.add_argument("--pdf", action="store_true",
                   help="also write briefing.pdf, a tagged (PDF/UA) handout: each step's projector images, notes and text")
    room_option(p)
    frame_size_option(p)
    allow_option(p)


def run(args) -> int:
    from bridge.export.site import export_briefing

    room, size = room_and_size(args)
    written = export_briefing(args.scene, room, args.out, size, pdf=args.pdf, progress_bars=progress_bars(err), warn=warn)
    for line in written:
        out.print(escape(line))
    return 0
