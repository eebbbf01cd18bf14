"""`bridge split`: cut any 2:1 equirectangular picture (a 360° photo) into the room's projector images."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bridge.commands.options import load_room_option, room_option
from bridge.commands.terminal import escape, out

HELP = "split any equirectangular picture into the room's projector images"
DESCRIPTION = "Split a 2:1 equirectangular PNG or JPEG (a 360° photo, a drone panorama) into DIR/projector-K.png."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", type=Path, help="equirectangular PNG or JPEG, exactly 2:1")
    room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/split/<image name>/")


def run(args) -> int:
    from bridge.render.output import default_out_dir, prepare_out_dir, read_equirect, save_frames
    from bridge.room.compositor import Compositor
    from bridge.room.model import check_render_memory

    room = load_room_option(args.room)
    frame = read_equirect(args.image, check=lambda w, h: check_render_memory(room, w, h, str(args.image)))
    out_dir = prepare_out_dir(args.out or default_out_dir(args.image.stem, "split", "image"), None)
    started = time.perf_counter()
    images = Compositor(room, frame.shape[1], frame.shape[0]).split(frame)
    files = save_frames(out_dir, None, images, room)
    out.print(f"split {escape(args.image)} ({frame.shape[1]}×{frame.shape[0]}) for {escape(room.name)} in "
              f"{time.perf_counter() - started:.1f} s:")
    for f in files:
        out.print(f"  {escape(f)}")
    return 0
