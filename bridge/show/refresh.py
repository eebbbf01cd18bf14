"""Data that refreshes during a show: a dataset read again on a timer, or when its file changes.

A dataset may ask for `refresh: 5m` (bridge/scene/spec.py).  Two triggers lead to one path:
the refresh timer comes due, or the file watcher sees a dataset's file change.  Either way the
datasets concerned are read again in a background thread by Bridge's own data load (the reader
each source has: a file, a database), and their tables' digests are compared with those the
frames on the walls were drawn from.  A table that changed asks the background preparer for
fresh frames; the steps' keys hold the digests of the datasets each step reads (`step_keys`),
so only those steps are rendered again, and the new frames are swapped in (bridge/show/reloads.py).
A table that did not change costs nothing more: the room's "data as of" time moves on.
A re-read that fails leaves the last good picture on the walls and says why.

The time a dataset was read travels with the prepared frames (meta.json's `read_at`), so a show
started from the cache says how old its data is, not when it started.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, Problem

log = logging.getLogger("bridge.show")


# -- which steps read which dataset -------------------------------------------------------
def datasets_read(raw_scene: dict, raw_panel: dict) -> set[str]:
    """The datasets a panel's picture may depend on: its own (the base by default), every dataset
    its text names (`people.total`), those the measures it names read, the datasets of the
    parameters it reads, and the base (every joined table is aligned to the base's rows).
    Generous on purpose, as bridge/scene/params.py `reads` is: a step counted here that does not
    change is rendered needlessly; one left out would keep stale data on the walls."""
    from bridge.scene.params import reads, with_measures
    from bridge.scene.yaml_nodes import mapping_in

    datasets = mapping_in(raw_scene, "datasets")
    base = raw_scene.get("base") or next(iter(datasets), None)
    derive = mapping_in(raw_scene, "derive")
    text = json.dumps(raw_panel, default=str)
    text = with_measures(text, derive)
    params = mapping_in(raw_scene, "params")
    for name in reads(raw_scene, raw_panel):  # a parameter whose values come from a dataset's column
        param = params.get(name)
        if isinstance(param, dict) and isinstance(param.get("column"), str):
            text += " " + param["column"]
    found = {str(name) for name in datasets if names_dataset(str(name), text)}
    found.add(str(raw_panel.get("data") or base))
    if base is not None:
        found.add(str(base))
    for name, dataset in datasets.items():  # a dataset joined on a column of another reads that one too
        if str(name) in found and isinstance(dataset, dict):
            found |= {str(other) for other in datasets
                      if names_dataset(str(other), json.dumps(dataset.get("join"), default=str))}
    return found


def panel_datasets(raw_scene: dict) -> dict[str, set[str]]:
    """Each panel's id -> the datasets its picture may depend on (`datasets_read`)."""
    from bridge.scene.yaml_nodes import list_in

    return {str(p.get("id")): datasets_read(raw_scene, p) for p in list_in(raw_scene, "panels") if isinstance(p, dict)}


def forget_tables(names: Iterable[str]) -> None:
    """Drop the named datasets' tables that this process keeps (bridge/data/tables.py `keep_tables`):
    the next load reads them again, even from a file whose size and time did not change."""
    from bridge.data import tables

    kept, names = tables._kept_tables, set(names)
    if kept is not None:
        for key in [k for k in kept if k[0] in names]:
            del kept[key]


def names_dataset(name: str, text: str) -> bool:
    """Whether an expression's text reads dataset `name`: `name.column` or `name["a column"]`."""
    return re.search(rf"\b{re.escape(name)}\s*[.\[]", text) is not None


def step_datasets(raw_scene: dict) -> list[set[str]]:
    """Per step, the datasets its panels may read (and those its marks and fields name)."""
    from bridge.scene.yaml_nodes import list_in

    panels = {p.get("id"): p for p in list_in(raw_scene, "panels") if isinstance(p, dict)}
    names = [str(n) for n in (raw_scene.get("datasets") or {})]
    found = []
    for step in list_in(raw_scene, "steps"):
        step = step if isinstance(step, dict) else {}
        read: set[str] = set()
        for panel_id in step.get("show") or []:
            if panel_id in panels:
                read |= datasets_read(raw_scene, panels[panel_id])
        own = json.dumps(step, default=str)
        read |= {n for n in names if names_dataset(n, own)}
        found.append(read)
    return found


def table_digest(table) -> str:
    """A digest of a dataset as read (rows, columns, polygons, points): equal digests, equal data."""
    import pandas as pd

    h = hashlib.sha256(json.dumps([list(map(str, table.frame.columns)), list(map(str, table.frame.dtypes))]).encode())
    h.update(pd.util.hash_pandas_object(table.frame, index=True).to_numpy().tobytes())
    if table.points is not None:
        h.update(np.ascontiguousarray(table.points).tobytes())
    for polygons in table.geometry or []:
        for polygon in polygons:
            for ring in polygon:
                h.update(np.ascontiguousarray(ring).tobytes())
        h.update(b"|")
    return h.hexdigest()[:24]


def step_keys(briefing, room, size: tuple[int, int], chosen: dict | None = None) -> list[str]:
    """bridge/show/cache.py `step_keys`, with the data a step reads in place of every data file:
    a dataset read again (a file edited, a timer, a database changed) renders again only the
    steps that read it.  Files that are not datasets (the theme, images) count for every step."""
    from bridge import __version__
    from bridge.show.cache import PREPARE_VERSION, effective_params

    scene, raw = briefing.scene, briefing.data.doc.data
    data_files = {p for d in scene.datasets.values() if (p := scene.data_path(d)) is not None} - other_files(scene)
    h = hashlib.sha256(f"v{PREPARE_VERSION}:{__version__}:{room.digest}:{size[0]}x{size[1]}".encode())
    for path in scene.input_files():
        if path not in data_files:
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"<missing>")
    shared = {k: v for k, v in raw.items() if k not in ("panels", "steps", "transition_ms", "title")}
    h.update(json.dumps(shared, sort_keys=True, default=str).encode())
    common = h.hexdigest()
    digests = data_digests(briefing)
    panels = {p.get("id"): p for p in raw["panels"] if isinstance(p, dict)}
    keys = []
    for s, (step, read_data) in enumerate(zip(raw["steps"], step_datasets(raw))):
        own = {k: v for k, v in step.items() if k not in ("title", "notes")}
        shown = [panels.get(panel_id) for panel_id in step.get("show", [])]
        read = set().union(*(briefing.reads(p) for p in step.get("show", []) if p in panels))
        values = effective_params(briefing, s, chosen)
        asked = {name: values[name] for name in sorted(read) if name in values}
        data = {name: digests.get(name) for name in sorted(read_data)}
        digest = hashlib.sha256(json.dumps([common, own, shown, asked, data], sort_keys=True, default=str).encode())
        keys.append(digest.hexdigest()[:24])
    return keys


def other_files(scene) -> set[Path]:
    """The files a scene reads other than through its datasets: panels' own files, the theme, backdrops."""
    files = {scene.path(relative) for panel in scene.panels for _, relative in panel.files()}
    files |= {scene.path(scene.theme)} if scene.theme else set()
    return files | {scene.path(b.file) for b in scene.backdrops()}


def data_digests(briefing) -> dict[str, str]:
    """Each dataset's digest as this briefing read it (kept on the briefing: hashed once)."""
    kept = getattr(briefing, "_data_digests", None)
    if kept is None:
        kept = {name: table_digest(table) for name, table in briefing.data.tables.items()}
        briefing._data_digests = kept
    return kept


def read_meta(prepared) -> dict:
    """What the prepared frames' entry says of its data: `read_at` (epoch seconds) and `data` (digests)."""
    folder = getattr(prepared, "folder", None)
    if folder is None:
        return {}
    try:
        meta = json.loads((Path(folder) / "meta.json").read_text())
    except (OSError, ValueError):
        return {}
    return {"read_at": meta.get("read_at"), "data": meta.get("data") or {}}


# -- reading datasets again -----------------------------------------------------------------
def reread(scene_path: Path, names: Iterable[str], chosen: dict | None = None) -> dict[str, str]:
    """Read the named datasets again with Bridge's own data load (each source's reader, `where:`,
    `pivot:`, coordinates) and give their digests; BridgeError for what stops it."""
    from bridge.data import tables
    from bridge.scene.model import load_scene

    scene, doc = load_scene(scene_path)
    chosen = chosen or {}
    early = {name: (tables._as_all(param, chosen[name]) if name in chosen else tables._early_default(param))
             for name, param in scene.params.items()}
    digests, problems = {}, []
    forget_tables(names)  # a process keeping tables (the answering worker's) reads them afresh all the same
    for name in names:
        if name not in scene.datasets:
            continue  # the scene no longer has it: the reload of the scene deals with that
        try:
            digests[name] = table_digest(tables._read(name, scene.datasets[name], scene, doc, early))
        except BridgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)
    return digests


@dataclass
class Reread:
    """What one re-read found: each dataset's digest, when it was read, or why it could not be."""

    names: list[str]
    reason: str
    read_at: float = 0.0  # epoch seconds
    digests: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class Refresh:
    """The show's refresh timers, the datasets' files, and the re-reads running in the background."""

    def __init__(self, scene_path: Path, prepared, clock=time.monotonic):
        self.scene_path = Path(scene_path)
        self.clock = clock
        self.intervals: dict[str, float] = {}  # dataset -> seconds between re-reads
        self.files: dict[Path, set[str]] = {}  # a dataset's file -> the datasets reading it
        self.step_reads: list[set[str]] = []  # per step, the datasets it may read (`step_datasets`)
        self.due_at: dict[str, float] = {}
        self.digests: dict[str, str] = {}  # what the frames on the walls were drawn from
        self.asked: dict[str, str] = {}  # new data already being prepared (not asked for again)
        self.read_at: float | None = None  # when that data was read (epoch seconds)
        self.rereads = 0  # re-reads finished
        self._thread: threading.Thread | None = None
        self._result: Reread | None = None
        self._queued: tuple[set[str], str] | None = None
        self.update(prepared)

    def update(self, prepared) -> None:
        """New frames are on the walls: learn the scene's datasets again, and the data they show."""
        meta = read_meta(prepared)
        self.digests = dict(meta.get("data") or {})
        self.asked = {}
        self.read_at = meta.get("read_at")
        if not prepared.watched:  # test patterns: no data
            return
        try:
            from bridge.scene.model import load_scene

            scene, doc = load_scene(self.scene_path)
        except BridgeError:
            return  # the preparation reports it
        self.step_reads = step_datasets(doc.data)
        now = self.clock()
        self.intervals = {n: float(d.refresh) for n, d in scene.datasets.items() if isinstance(d.refresh, (int, float))}
        self.due_at = {n: self.due_at.get(n, now + s) for n, s in self.intervals.items()}
        self.files = {}
        others = {Path(p).resolve() for p in other_files(scene)}
        for name, dataset in scene.datasets.items():
            path = scene.data_path(dataset)
            if path is not None and Path(path).resolve() not in others:
                self.files.setdefault(Path(path).resolve(), set()).add(name)

    def steps_reading(self, names: Iterable[str]) -> list[int]:
        """The steps whose pictures may read one of these datasets."""
        names = set(names)
        return [s for s, read in enumerate(self.step_reads) if read & names]

    def refreshed_steps(self) -> list[int]:
        """The steps reading a dataset that asks to be read again on a timer (`refresh:`)."""
        return self.steps_reading(self.intervals)

    def shown(self, found: Reread, names: Iterable[str]) -> None:
        """New data of these datasets, as `found` read it, is on the walls (the answering worker drew it)."""
        self.digests.update({n: found.digests[n] for n in names if n in found.digests})
        self.read_at = max(self.read_at or 0.0, found.read_at)

    def datasets_of(self, changed: Iterable[Path]) -> tuple[set[str], bool]:
        """The datasets reading these changed files, and whether any other file (the scene, a theme) changed."""
        names: set[str] = set()
        others = False
        for path in changed:
            found = self.files.get(Path(path).resolve())
            if found:
                names |= found
            else:
                others = True
        return names, others

    def due(self) -> list[str]:
        """The datasets whose refresh time has come (their next one is counted from now)."""
        now = self.clock()
        names = [n for n, at in self.due_at.items() if now >= at]
        for n in names:
            self.due_at[n] = now + self.intervals[n]
        return names

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, names: Iterable[str], reason: str, chosen: dict | None = None) -> None:
        """Read these datasets again in the background (one re-read at a time; later ones wait, merged)."""
        names = set(names)
        if not names:
            return
        if self.busy or self._result is not None:
            queued = self._queued or (set(), "")
            self._queued = (queued[0] | names, queued[1] or reason)
            return
        log.info("refresh: reading %s again (%s)", ", ".join(sorted(names)), reason)
        self._thread = threading.Thread(target=self._run, args=(sorted(names), reason, dict(chosen or {})),
                                        name="bridge-refresh", daemon=True)
        self._thread.start()

    def _run(self, names: list[str], reason: str, chosen: dict) -> None:
        found = Reread(names, reason, time.time())
        try:
            found.digests = reread(self.scene_path, names, chosen)
        except BridgeError as exc:
            found.problems = exc.problems
        except Exception as exc:  # noqa: BLE001 - a reader's bug must not stop the show
            log.error("refresh crashed:\n%s", traceback.format_exc())
            found.problems = [Problem(None, None, None, f"reading {', '.join(names)} again failed: {exc}")]
        self._result = found

    def poll(self, chosen: dict | None = None) -> Reread | None:
        """A finished re-read, once; the next queued one starts."""
        if self._result is None or self.busy:
            return None
        found, self._result = self._result, None
        self.rereads += 1
        if self._queued is not None:
            names, reason = self._queued
            self._queued = None
            self.start(names, reason, chosen)
        return found

    def changed(self, found: Reread) -> list[str]:
        """The datasets whose data differ from the frames on the walls; for the others, the walls'
        data is as of this read."""
        changed = sorted(n for n, d in found.digests.items() if self.digests.get(n) != d and self.asked.get(n) != d)
        self.asked.update({n: found.digests[n] for n in changed})
        if not any(self.digests.get(n) != d for n, d in found.digests.items()) and found.digests and self.read_at is not None:
            self.read_at = max(self.read_at, found.read_at)
        return changed

    def as_of(self) -> str | None:
        """"HH:MM", the local time the data on the walls was read; None when not known."""
        if self.read_at is None:
            return None
        return time.strftime("%H:%M", time.localtime(self.read_at))
