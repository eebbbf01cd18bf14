"""`bridge preview`: a local page that shows a scene as it is written and updates on every save."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bridge.commands.options import room_option
from bridge.commands.terminal import escape, out
from bridge.errors import BridgeError

HELP = "preview a scene in the browser, updated on every save"
DESCRIPTION = ("Serve a page to this computer alone with the step's 360° view, the flat frame with the room's band, projector "
               "areas, blend seams and panels drawn over it, the projectors' images, and the layout faults and warnings; "
               "it updates each time the scene, its theme or a file it reads is saved.  Stop with Ctrl+C.")
DEFAULT_PREVIEW_SIZE = "2048x1024"  # a draft: quick to redraw, sharp enough to judge a layout


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scene", type=Path, help="scene YAML file")
    p.add_argument("--port", type=int, default=0,
                   help="port to serve on; default: the scene's own preview port (the same each time), else a free one")
    p.add_argument("--host", default="127.0.0.1",
                   help="127.0.0.1 (default: this computer alone) or 0.0.0.0 (the local network too)")
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    room_option(p)
    p.add_argument("--size", default=DEFAULT_PREVIEW_SIZE, metavar="WxH",
                   help=f"equirectangular frame size, 2:1; default {DEFAULT_PREVIEW_SIZE}")


def run(args) -> int:
    from bridge.commands.options import room_and_size
    from bridge.preview.app import PreviewServer

    if args.host not in ("127.0.0.1", "localhost", "0.0.0.0"):
        raise BridgeError(f"--host: {args.host[:40]!r} is not 127.0.0.1 (this computer alone) or 0.0.0.0 (the local network)")
    if not 0 <= args.port <= 65535:
        raise BridgeError(f"--port: {args.port} is not a port number (0..65535)")
    if not args.scene.is_file():
        raise BridgeError(f"{args.scene}: no such scene file")
    room, size = room_and_size(args)
    server = PreviewServer(args.scene, room, size, args.port, remote=args.host == "0.0.0.0")
    try:
        out.print(f"previewing {escape(args.scene)} for {escape(room.name)} at {size[0]}×{size[1]}")
        out.print(f"  open {escape(server.url)}")
        out.print("  the page updates when the scene or a file it reads is saved; Ctrl+C stops")
        if not args.no_browser:
            import webbrowser

            webbrowser.open(server.url)
        while server.preview.process.is_alive():
            time.sleep(0.5)
        raise BridgeError("the preview's drawing process stopped; start bridge preview again")
    except KeyboardInterrupt:
        return 0
    finally:
        server.close()
