"""Options several commands share (--room, --allow, --size, --step), declared and checked once.

A problem with an option is the option's: `--size: ...`, `--room: ...`, so the user knows what
to change on the command line.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bridge.errors import BridgeError, printable
from bridge.limits import MAX_FRAME_WIDTH

MIN_FRAME_WIDTH = 256
DEFAULT_WIDTH = 4096  # the frame width `render` draws at by default: `validate` checks layout at its texture density
DEFAULT_SIZE = f"{DEFAULT_WIDTH}x{DEFAULT_WIDTH // 2}"


def room_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--room", default=None,
                   help="room profile: a shipped name (see `bridge rooms`) or a YAML path; default: bridge")


def allow_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow", action="append", default=[], type=Path, metavar="DIR",
                   help="also let the scene read files under DIR (repeatable; see docs/reference/limits.md)")


def frame_size_option(p: argparse.ArgumentParser) -> None:
    """--size for commands that render a scene: the equirectangular frame, `DEFAULT_SIZE` unless told."""
    p.add_argument("--size", default=DEFAULT_SIZE, metavar="WxH", help=f"equirectangular frame size, 2:1; default {DEFAULT_SIZE}")


def step_number(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{printable(text[:40])}' is not a step number; steps count from 1, e.g. --step 2") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"there is no step {n}; steps count from 1, e.g. --step 2")
    return n


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,9})\s*[x×X]\s*(\d{1,9})\s*", text)
    if not m:
        raise BridgeError(f"--size: '{printable(text[:40])}' is not WIDTHxHEIGHT, e.g. 4096x2048")
    w, h = int(m.group(1)), int(m.group(2))
    if not MIN_FRAME_WIDTH <= w <= MAX_FRAME_WIDTH:
        raise BridgeError(f"--size: width {w} is outside {MIN_FRAME_WIDTH}..{MAX_FRAME_WIDTH}, e.g. 4096x2048")
    if w != 2 * h:
        raise BridgeError(f"--size: {w}x{h} is not 2:1; an equirectangular frame is twice as wide as tall, e.g. {w}x{w // 2}")
    return w, h


def load_room_option(value: str | None):
    """The --room profile; a problem that names no file is the option's."""
    from bridge.errors import Problem
    from bridge.room.load import load_room

    try:
        return load_room(value)
    except BridgeError as exc:
        raise BridgeError([p if p.file is not None else Problem(None, None, None, f"--room: {p.message}")
                           for p in exc.problems]) from None


def room_and_size(args) -> tuple:
    """(room, (width, height)) from --room and --size, refused if the frames would not fit in memory."""
    from bridge.room.model import check_render_memory

    size = parse_size(args.size)
    room = load_room_option(args.room)
    check_render_memory(room, *size, "--size")
    return room, size
