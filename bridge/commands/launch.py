"""`bridge launch`: the live show; this module reads the options, `bridge.show.launch` runs the show.

The options' own text (scene or --patterns, --fit, --size) is checked here, before anything opens.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bridge.commands.options import allow_option, load_room_option, parse_size, room_option
from bridge.commands.terminal import out, progress_bars
from bridge.errors import BridgeError, printable

HELP = "run the live show on the room's displays"
DESCRIPTION = ("Prepare every step (cached), open the room's outputs and step through with a keyboard or "
               "presentation clicker. Keys: next Right/Down/PgDn/Space/Enter/N, previous Left/Up/PgUp/"
               "Backspace/P, Home/End, digits+Enter jump, B or . blackout, W white-out, F freeze, V pause/play video, "
               "R reload, Esc or Q twice quit.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, nargs="?", help="scene YAML file (omit with --patterns)")
    p.add_argument("--patterns", action="store_true",
                   help="show the calibration patterns (grid, blend, ids, colour) as steps instead of a scene")
    room_option(p)
    p.add_argument("--windowed", action="store_true", help="one normal window scaled to fit, for rehearsing at a desk")
    p.add_argument("--layout", choices=("span", "per-projector"), default=None,
                   help="override the room profile's display layout")
    p.add_argument("--size", default=None, metavar="WxH", help="equirectangular frame size, 2:1; default: matched to the room")
    p.add_argument("--fit", default=None, metavar="WxH", help="--windowed: largest window size; default 90%% of the screen")
    p.add_argument("--log", type=Path, default=None, help="log file; default: out/<scene name>/show.log")
    p.add_argument("--no-cache", action="store_true", help="prepare the steps again even if cached")
    p.add_argument("--remote", action="store_true",
                   help="serve the phone remote and the watch page on the local network (default: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="the web server's port (default 8765; 0: the scene's own "
                                                          "port, the same at every launch, or a free one if taken)")
    p.add_argument("--tls-cert", type=Path, default=None, metavar="PEM",
                   help="serve the remote and watch page over https with this certificate (with --tls-key)")
    p.add_argument("--tls-key", type=Path, default=None, metavar="PEM", help="the certificate's private key (no passphrase)")
    p.add_argument("--compositor", choices=("auto", "gpu", "cpu"), default="auto",
                   help="where a video backdrop's frames are split for the projectors: gpu (one upload per window, "
                        "the shader samples it), cpu, or auto (gpu on a graphics card, cpu under software OpenGL)")
    p.add_argument("--cluster", action="store_true",
                   help="a room on several PCs: run mpirun with a controller (this show's keys, console and log) and one "
                        "render node per output group (projectors' host: in the room profile)")
    p.add_argument("--hosts", type=Path, default=None, metavar="FILE",
                   help="--cluster: Open MPI host file, one PC per line (the controller's first)")
    allow_option(p)


def parse_fit(text: str | None) -> tuple[int, int] | None:
    """--fit WxH: the largest window size, at least 16x16; None when not given."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[x×X]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) < 16 or int(m.group(2)) < 16:
        raise BridgeError(f"--fit: '{printable(text[:40])}' is not WIDTHxHEIGHT of at least 16x16, e.g. 1280x720")
    return int(m.group(1)), int(m.group(2))


def run(args) -> int:
    from bridge.show.launch import LaunchOptions, launch

    if args.hosts is not None and not args.cluster:  # refused before anything: it would be silently ignored
        raise BridgeError("--hosts: a host file is for a room on several PCs; add --cluster (bridge launch SCENE "
                          "--cluster --hosts FILE), or leave out --hosts to run the show on this PC")
    if (args.scene is None) == (not args.patterns):
        raise BridgeError("launch: give a scene file, or --patterns to show the test patterns (not both)")
    options = LaunchOptions(
        scene=args.scene, windowed=args.windowed, layout=args.layout, fit=parse_fit(args.fit),
        size=parse_size(args.size) if args.size else None, log=args.log, use_cache=not args.no_cache,
        remote=args.remote, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key,
        compositor=args.compositor, cluster=args.cluster, hosts=args.hosts)
    return launch(options, lambda: load_room_option(args.room), out, lambda: progress_bars(out))
