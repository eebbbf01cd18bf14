"""`bridge import REPORT.pbix --out DIR`: a Power BI report as a briefing that opens and renders as it is."""

from __future__ import annotations

import argparse
import datetime
import shutil
from collections import Counter
from pathlib import Path

from bridge.commands.options import load_room_option, room_option
from bridge.commands.terminal import escape, out
from bridge.errors import BridgeError, printable

NAME = "import"
HELP = "write a briefing from a Power BI report (.pbix): pages become steps, visuals panels round the room"
DESCRIPTION = ("Read a Power BI Desktop report and write DIR/<name>.yaml with the .pbix beside it: each page a step, "
               "each visual the matching panel reading the report's own model and measures, slicers as parameters, "
               "the report's filters and theme; the page's arrangement is laid round the room's walls. What cannot be "
               "converted is listed at the end and as comments in the scene. Nothing in DIR is overwritten.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", type=Path, help="the Power BI report (.pbix)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the briefing (new, or without those files)")
    p.add_argument("--as-of", type=datetime.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="the day the measures' TODAY() gives (default: today), written into the scene")
    room_option(p)


def run(args) -> int:
    from bridge.scaffold.from_report import import_report
    from bridge.scaffold.visuals import Skip

    report: Path = args.report
    if report.suffix.lower() != ".pbix" or not report.is_file():
        raise BridgeError(f"{printable(report)}: not a Power BI report file (.pbix) that exists; name the .pbix to import")
    room = load_room_option(args.room)
    try:
        imported = import_report(report, room, args.as_of)
    except Skip as why:
        raise BridgeError(f"{printable(report.name)}: {why}; there is no briefing to write") from None
    folder: Path = args.out
    scene = folder / f"{_stem(report)}.yaml"
    writes = {scene: imported.text.encode(), folder / report.name: None,
              **{folder / path: data for path, data in imported.images.items()}}
    there = [path for path in writes if path.exists() or path.is_symlink()]
    if there:
        raise BridgeError(f"--out: {printable(there[0])} already exists; Bridge does not overwrite it: "
                          "choose a new folder or move it away")
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            shutil.copyfile(report, path)
        else:
            with open(path, "xb") as file:
                file.write(data)
    out.print(f"wrote {escape(scene)}: {imported.steps} step(s), {imported.panels} panel(s), laid out for {escape(room.name)}")
    out.print(f"visuals converted: {imported.converted} of {imported.visuals}")
    if imported.skipped:
        out.print(f"not converted ({len(imported.skipped)}), also noted in the scene:")
        width = max(len(s.page) for s in imported.skipped)
        counted = Counter((s.page, s.visual, s.reason) for s in imported.skipped)
        for (page, visual, reason), times in counted.items():
            many = f" ×{times}" if times > 1 else ""
            out.print(f"  {escape(page.ljust(width))}  {escape(visual)}{many}: {escape(reason)}")
    out.print(f"next: bridge validate {escape(scene)}  ·  bridge render {escape(scene)}")
    return 0


def _stem(report: Path) -> str:
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in report.stem).strip("-")
    while "--" in name:
        name = name.replace("--", "-")
    return name or "report"
