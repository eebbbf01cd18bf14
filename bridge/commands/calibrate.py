"""`bridge calibrate`: write the test patterns a technician aligns the room's projectors with."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.commands.options import room_and_size, room_option
from bridge.commands.terminal import err, escape, out, progress_bars

HELP = "write the room's alignment test patterns"
DESCRIPTION = ("Write test patterns for aligning the room: DIR/PATTERN/equirect.png and projector-K.png. "
               "grid: yaw/pitch lines every 10° (continuous across projectors when aligned); "
               "blend: flat white (overlaps must not be brighter or darker); ids: each projector's number; "
               "colour: colour bars and a grey ramp.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/calibration/<room>/")
    p.add_argument("--pattern", choices=("grid", "blend", "ids", "colour", "all"), default="all")
    p.add_argument("--size", default="8192x4096", metavar="WxH",
                   help="equirectangular size the patterns are drawn at; default 8192x4096")


def run(args) -> int:
    from bridge.render.output import ImageWriter, default_out_dir, prepare_out_dir, save_frames
    from bridge.room.compositor import Compositor
    from bridge.room.patterns import PATTERNS, pattern_frame

    room, (width, height) = room_and_size(args)
    out_dir = prepare_out_dir(args.out or default_out_dir(Path(room.source).stem, "calibration", "room"), None)
    patterns = PATTERNS if args.pattern == "all" else (args.pattern,)
    compositor = Compositor(room, width, height)
    with progress_bars(err) as progress, ImageWriter() as writer:
        for k, name in enumerate(patterns):
            frame = pattern_frame(name, room, width, height)
            save_frames(out_dir / name, frame, compositor.split(frame), room, writer)
            progress("drawing patterns", k + 1, len(patterns))
    for name in patterns:
        out.print(f"  {escape(out_dir / name)}/  equirect.png, projector-1..{len(room.projectors)}.png")
    out.print(f"wrote {len(patterns)} pattern(s) for {escape(room.name)}")
    return 0
