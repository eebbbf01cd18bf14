"""Write the folder `bridge new` makes: the data files copied into NAME/data/ and a commented
scene NAME/NAME.yaml.  The folder is built under a temporary name beside it and renamed into
place at the end, so nothing the user already has is touched and a failure leaves nothing behind."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from bridge.errors import BridgeError, printable
from bridge.scaffold.detect import DataFile, read_file
from bridge.scaffold.scene import LARGE, PLACES, SMALL, Panel, Source, add_panels, literal, plan, quoted


def new_briefing(folder: Path, data: list[Path], title: str | None = None) -> tuple[Path, list[Source]]:
    """Make `folder` with the data and a scene that reads it; (the scene's path, the datasets)."""
    name = folder.name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise BridgeError(f"NAME: {printable(name)!r} is not a usable folder name; use letters, digits, '-', '_' or '.'")
    if folder.exists() or folder.is_symlink():
        raise BridgeError(f"NAME: {printable(folder)} already exists; nothing was written. Choose another name, "
                          "or move the existing one away")
    if not folder.parent.is_dir():
        raise BridgeError(f"NAME: {printable(folder.parent)} is not a folder; make it first")
    names = [p.name for p in data]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BridgeError(f"--data: two files are called {', '.join(twice)}; rename one so each can be copied in")
    files = [read_file(p) for p in data]
    sources, base = plan(files)
    if base is None:
        raise BridgeError("--data: no file has a column of area codes (ONS codes such as E01012345 or W06000015, "
                          "one per row); give at least one table of areas, or boundaries (GeoJSON, GeoPackage)")
    add_panels(sources, base)
    text = scene_text(title or name.replace("-", " ").replace("_", " ").capitalize(), sources, base)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        (work / "data").mkdir()
        for f in files:
            shutil.copyfile(f.path, work / "data" / f.path.name)
        (work / f"{name}.yaml").write_text(text, encoding="utf-8")
        if folder.exists() or folder.is_symlink():  # made while the files were read
            raise BridgeError(f"NAME: {printable(folder)} already exists; nothing was written")
        os.rename(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder / f"{name}.yaml", sources


def scene_text(title: str, sources: list[Source], base: Source) -> str:
    """The scene as commented YAML."""
    files = ", ".join(s.file.path.name for s in sources)
    out = ["# A starting briefing written by `bridge new`: a start, not a report. Check every guess below,",
           "# then `bridge validate` this file, `bridge preview` it while you edit, and `bridge render` it.",
           f"title: {quoted(literal(title))}",
           f"source: {quoted(literal('Data: ' + files))}   # say who published the data, and when",
           "disclosure: {min_count: 5}          # counts of people below 5 are drawn as \"suppressed\"",
           "", "datasets:"]
    for source in sources:
        out += _dataset(source, base)
    steps: list[tuple[str, list[str]]] = [("About this briefing", ["title", "about"])]
    about = literal(_about(sources, base))
    height = max(5, round(3 + 1.6 * -(-len(about) // 80)))  # about 80 characters a line at 60°, 1.6° a line
    out += ["", "panels:", "  # ---- ahead: what this briefing is ----------------------------------------------",
            "  - id: title", "    type: text", "    style: title", f"    text: {quoted(literal(title))}",
            "    yaw: 0", "    pitch: 7", "    width: 60", "    height: 6",
            "  - id: about", "    type: text", f"    text: {quoted(about)}",
            "    yaw: 0", f"    pitch: {2 - height / 2:g}", "    width: 60", f"    height: {height}"]
    for source in sources:
        for part, (large, small) in enumerate(_chunks(source.panels)):
            shown = []
            heading = source.file.path.name + (f" ({part + 1})" if part else "")
            out.append(f"  # ---- from {heading} " + "-" * max(4, 70 - len(heading)))
            for panels, where in ((large, LARGE), (small, SMALL)):
                for panel, yaw in zip(panels, PLACES):
                    out += _panel(panel, yaw, where)
                    shown.append(panel.id)
            steps.append((f"From {heading}", shown))
    out += ["", "steps:   # one step per file; move panels between steps, and write what to say in notes:"]
    for step_title, shown in steps:
        out += [f"  - title: {quoted(literal(step_title))}", f"    show: [{', '.join(shown)}]",
                "    notes: What the room should see here."]
    return "\n".join(out) + "\n"


def _dataset(source: Source, base: Source) -> list[str]:
    f = source.file
    lines = [f"  {source.name}:   # {f.path.name}: {source.note}", f"    path: {quoted('data/' + f.path.name)}"]
    if f.key is not None:
        lines.append(f"    key: {quoted(f.key)}")
    counts = f.counts
    if counts:
        lines.append("    # whole numbers named like counts of people or households: small ones are suppressed "
                     "(remove any that are not)")
        lines.append(f"    counts: [{', '.join(quoted(c) for c in counts)}]")
    if source is not base and not source.joined:
        lines.append("    join: false")
    if f.skipped:
        lines.append(f"    # left out of the panels: {'; '.join(f.skipped[:6])}{' …' if len(f.skipped) > 6 else ''}")
    return lines


def _about(sources: list[Source], base: Source) -> str:
    joined = [s.file.path.name for s in sources if s.joined and s is not base]
    text = f"{len(base.file.codes):,} areas ({base.file.geography}) from **{base.file.path.name}**"
    if joined:
        text += ", joined on their area codes with " + ", ".join(joined)
    return text + ". Replace this with what the room should take away."


def _chunks(panels: list[Panel]):
    """(large, small) panels for each step: at most one of each kind in each of the five places."""
    large = [p for p in panels if p.size == "large"]
    small = [p for p in panels if p.size == "small"]
    n = len(PLACES)
    for i in range(0, max(len(large), len(small)), n):
        yield large[i:i + n], small[i:i + n]


def _panel(panel: Panel, yaw: int, where: dict) -> list[str]:
    lines = [f"  - id: {panel.id}   # {panel.comment}"] + [f"    {line}" for line in panel.lines]
    where = {**where, "width": panel.width or where["width"]}
    return lines + [f"    yaw: {yaw}"] + [f"    {k}: {v}" for k, v in where.items()]


def describe(sources: list[Source]) -> list[str]:
    """What was found, a line per file, for the terminal."""
    return [f"{s.name}: {s.file.path.name} — {s.note}; {len(s.panels)} panel{'s' * (len(s.panels) != 1)}" for s in sources]


__all__ = ["DataFile", "describe", "new_briefing", "read_file", "scene_text"]
