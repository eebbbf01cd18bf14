"""`bridge room import|export`: exchange calibrations with alignment tools and media servers (VESA MPCDI)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.commands.terminal import out
from bridge.errors import BridgeError, Problem, printable

HELP = "import a calibration (MPCDI) as a room profile, or export a room as one"
DESCRIPTION = "Exchange calibrations with projector-alignment tools and media servers (VESA MPCDI)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="import|export")
    a = actions.add_parser("import", help="read an MPCDI file and write a room profile with its maps",
                           description="Read an MPCDI calibration (.mpcdi) and write a room profile; per-pixel maps go "
                                       "beside it in ROOM.maps/. Nothing is written unless the whole room loads.")
    a.add_argument("file", type=Path, metavar="FILE.mpcdi")
    a.add_argument("--out", type=Path, required=True, metavar="ROOM.yaml", help="the room profile to write")
    a.add_argument("--keep-maps", action="store_true",
                   help="write every map, even where the room Bridge stored in the file reproduces it")
    a.add_argument("--v-origin", choices=("auto", "bottom", "top"), default="auto",
                   help="where v = 0 lies in a 2d or 3d warp's (u, v): bottom, as the standard, the VESA reference "
                        "library and nDisplay have it; top, for files written the other way; auto (default): bottom, "
                        "unless an older Bridge wrote the file (then top)")
    a = actions.add_parser("export", help="write a room's geometry, blend and black level as an MPCDI file",
                           description="Write a room as an MPCDI archive: per projector a warp, an alpha (blend) and, "
                                       "where a projector lifts black, a beta map, computed from Bridge's own geometry.")
    a.add_argument("room", metavar="ROOM", help="a shipped room's name (see `bridge rooms`) or a profile's path")
    a.add_argument("--out", type=Path, required=True, metavar="FILE.mpcdi")
    a.add_argument("--profile", choices=("3d", "2d", "a3"), default="3d",
                   help="3d: frustum + warp (default); 2d: warp into the 360° canvas; a3: warp as 3D points")


def run(args) -> int:
    from bridge.room.load import load_room
    from bridge.room.mpcdi.exporter import export_mpcdi
    from bridge.room.mpcdi.importer import import_mpcdi

    if getattr(args, "action", None) not in ("import", "export"):
        raise BridgeError("room: say what to do: `bridge room import FILE.mpcdi --out ROOM.yaml` or "
                          "`bridge room export ROOM --out FILE.mpcdi`")
    if args.action == "import":
        result = import_mpcdi(args.file, args.out, keep_maps=args.keep_maps, v_origin=args.v_origin)
        maps = ", ".join(f"{n} {k}" for k, n in result.map_counts.items() if n) or "none: the room in the file matches its maps"
        out.print(printable(f"imported {args.file} (profile {result.profile}, {result.projectors} projectors) as "
                            f"{result.room_file}; maps: {maps}" + (f" in {result.maps_folder}/" if result.maps_folder else "")))
        for note in result.notes:
            out.print(printable(f"note: {note}"))
        return 0
    try:
        room = load_room(args.room)
    except BridgeError as exc:
        raise BridgeError([p if p.file is not None else Problem(None, None, None, f"ROOM: {p.message}")
                           for p in exc.problems]) from None
    exported = export_mpcdi(room, args.out, args.profile)
    out.print(printable(f"exported {room.name} ({exported.regions} projectors, profile {exported.profile}) to {exported.path} "
                        f"({exported.bytes / 1024**2:.1f} MB)"))
    return 0
