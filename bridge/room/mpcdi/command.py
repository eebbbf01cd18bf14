"""`bridge room import FILE --out ROOM.yaml` and `bridge room export ROOM --out FILE` (parser in
bridge/commands/room.py): what they print, and the room's errors named as the ROOM argument."""

from __future__ import annotations

from bridge.errors import BridgeError, Problem, printable
from bridge.room.load import load_room
from bridge.room.mpcdi.exporter import export_mpcdi
from bridge.room.mpcdi.importer import import_mpcdi


def cmd_room(args) -> int:
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=True, emoji=False)
    if getattr(args, "action", None) not in ("import", "export"):
        raise BridgeError("room: say what to do: `bridge room import FILE.mpcdi --out ROOM.yaml` or "
                          "`bridge room export ROOM --out FILE.mpcdi`")
    if args.action == "import":
        result = import_mpcdi(args.file, args.out, keep_maps=args.keep_maps)
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
    result = export_mpcdi(room, args.out, args.profile)
    out.print(printable(f"exported {room.name} ({result.regions} projectors, profile {result.profile}) to {result.path} "
                        f"({result.bytes / 1024**2:.1f} MB)"))
    return 0
