"""Watch the scene and its data files while the show runs, by polling their stat.

Polling a handful of files a few times a second costs nothing and sees every kind of
save (in place, or an editor's write-and-rename) on every file system, network shares
included.  A change is reported once the files have been still for `settle` seconds,
so a half-written file or a burst of saves triggers one re-preparation.
"""

from __future__ import annotations

import os
from pathlib import Path


def _signature(path: Path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class FileWatcher:
    def __init__(self, paths, interval: float = 0.25, settle: float = 0.3):
        self.interval, self.settle = interval, settle
        self._next = 0.0
        self._pending_since: float | None = None
        self.set_paths(paths)

    def set_paths(self, paths) -> None:
        """Watch these files from now on (after a reload the scene may name other data)."""
        self.paths = [Path(p) for p in paths]
        old = getattr(self, "_seen", {})
        # Files already watched keep their last reported state, so a save made while the
        # previous change was being prepared is still seen as a change.
        self._seen = {p: old[p] if p in old else _signature(p) for p in self.paths}
        self._last = {p: _signature(p) for p in self.paths}

    def poll(self, now: float) -> list[Path]:
        """Files changed since the last report, once they have settled; [] otherwise."""
        if now < self._next:
            return []
        self._next = now + self.interval
        current = {p: _signature(p) for p in self.paths}
        if current != self._last:  # still moving: wait for it to settle
            self._last = current
            self._pending_since = now
            return []
        if current == self._seen:
            self._pending_since = None
            return []
        if self._pending_since is None:
            self._pending_since = now
        if now - self._pending_since < self.settle:
            return []
        self._pending_since = None
        changed = [p for p in self.paths if current[p] != self._seen[p]]
        self._seen = current
        return changed
