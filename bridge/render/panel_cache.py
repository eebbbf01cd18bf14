"""Drawn panels on disk, by content: a re-render after editing one panel redraws one panel.

A panel's picture is a pure function of what `draw_panel` is given: the panel's resolved spec
(its texts filled in), the content its data gave, the source line, the theme, the texture size
and density, the rows a step marks, any file it reads itself (an image, a raster) and the code
that draws it.  The key is a hash of all of these, so `render`, `preview`, `launch` and `export`
share one store (`$BRIDGE_CACHE/panels`, else `~/.cache/bridge/panels`, beside the lookup tables
and the prepared cache) and a changed data file changes the content, hence the key, of exactly
the panels that show it.

An entry is two files: the pixels as a `.npy` array (read with `allow_pickle=False`) and a JSON
record of its shape, its SHA-256 and what drawing found (smallest text, faults, hints).  Nothing
read back is unpickled; an entry whose hash, shape or record does not check out is removed and the
panel drawn again.  The store is bounded (KEEP_BYTES, least recently used first out) and never
fills the disk (DISK_SPARE left free).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

CACHE_VERSION = 1  # bump when what an entry holds changes
KEEP_BYTES = 1024**3  # the store's bound on disk; the oldest entries go first
DISK_SPARE = 512 * 1024**2  # left free on the store's disk after an entry is written
MEMO_BYTES = 768 * 1024**2  # pictures also kept in this process, so views of one render share them
_code: dict[str, str] = {}  # module file -> fingerprint, once per process
_memo: OrderedDict = OrderedDict()  # key -> Drawn, most recently used last


def cache_root() -> Path:
    """Where drawn panels are kept: beside the lookup tables and the prepared cache."""
    from bridge.cache_folder import cache_folder

    return cache_folder() / "panels"


def _code_fingerprint(panel) -> str:
    """Size and modification time of the code that draws: the panels package, the theme, and the
    module of the panel's own type (a plug-in's), so an edited drawing never reads a stale picture."""
    import bridge.panels
    import bridge.theme

    own = getattr(sys.modules.get(type(panel).__module__), "__file__", None)
    key = str(own)
    if key not in _code:
        if "" not in _code:  # the package's part, once per process
            _code[""] = _stats(sorted(Path(bridge.panels.__file__).parent.rglob("*.py")) + [Path(bridge.theme.__file__)])
        _code[key] = hashlib.sha256((_code[""] + _stats([Path(own)] if own else [])).encode()).hexdigest()
    return _code[key]


def _stats(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    """SHA-256 of a file a panel reads while drawing; a missing one is its own value."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return "<missing>"
    return h.hexdigest()


def panel_key(panel, content, source: str | None, theme, size: tuple[int, int], ppd: float,
              marked: frozenset[str], scene=None) -> str | None:
    """The content key of one panel's picture; None when its content cannot be fingerprinted
    (then it is drawn every time)."""
    import matplotlib

    from bridge import __version__

    content_hash = hashlib.sha256()
    try:
        _feed(content_hash, content, 0)
        spec = panel.model_dump_json()
    except Exception:  # noqa: BLE001 - content that cannot be fingerprinted is simply not cached
        return None
    files = [_file_digest(scene.path(relative)) for _, relative in panel.files()] if scene is not None else []
    h = hashlib.sha256(f"panel-v{CACHE_VERSION}:{__version__}:mpl{matplotlib.__version__}:{_code_fingerprint(panel)}".encode())
    for part in (type(panel).__name__, spec, source or "", theme.model_dump_json(), f"{size[0]}x{size[1]}",
                 repr(round(float(ppd), 9)), json.dumps(sorted(marked)), json.dumps(files)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    h.update(content_hash.digest())
    return h.hexdigest()[:40]


def _feed(h, value, depth: int) -> None:
    """Add `value` (a panel's content: numbers, text, arrays, tables, dataclasses, nested) to the
    hash `h`, quickly: an array's bytes at once, not pickled element by element (a map of England
    has 35,672 polygons); what it does not know, pickled (hashed only, never unpickled)."""
    import dataclasses

    if depth > 64:
        raise ValueError("content nested too deeply to fingerprint")
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(value).__name__}:{value!r};".encode("utf-8", "surrogatepass"))
    elif isinstance(value, np.ndarray) and value.dtype != object:
        h.update(f"nd:{value.dtype.str}:{value.shape};".encode())
        h.update(np.ascontiguousarray(value).data)
    elif isinstance(value, np.generic):
        h.update(f"np:{value.dtype.str}:{value!r};".encode())
    elif isinstance(value, (list, tuple)) and value and all(type(item) is str for item in value):
        h.update(f"strs:{type(value).__name__}:{len(value)}:".encode())  # an area's codes and names: one block
        h.update(np.fromiter(map(len, value), np.int64, len(value)).tobytes())
        h.update("".join(value).encode("utf-8", "surrogatepass"))
    elif isinstance(value, (list, tuple)) and _ragged_digest(h, value):
        pass  # nested lists of arrays (a map's rings), hashed as one block
    elif isinstance(value, (list, tuple, np.ndarray)):
        h.update(f"{type(value).__name__}:{len(value)}[".encode())
        for item in value:
            _feed(h, item, depth + 1)
        h.update(b"]")
    elif isinstance(value, dict):
        h.update(f"dict:{len(value)}{{".encode())
        for key, item in value.items():
            _feed(h, key, depth + 1)
            _feed(h, item, depth + 1)
        h.update(b"}")
    elif isinstance(value, (set, frozenset)):
        h.update(f"set:{len(value)}{{".encode())
        for item in sorted(value, key=repr):  # a set's order changes from process to process
            _feed(h, item, depth + 1)
        h.update(b"}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"dc:{type(value).__qualname__}(".encode())
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name), depth + 1)
        h.update(b")")
    elif hasattr(value, "model_dump_json"):
        h.update(f"model:{type(value).__qualname__}:{value.model_dump_json()};".encode("utf-8", "surrogatepass"))
    else:  # tables and anything else: its pickle, hashed only
        h.update(f"pickle:{type(value).__qualname__}:".encode())
        h.update(hashlib.sha256(pickle.dumps(value, protocol=5)).digest())


def fetch(key: str, size: tuple[int, int]):
    """The drawn panel under `key`: from this process's memory, else from disk; None if neither has it."""
    drawn = _memo.get(key)
    if drawn is not None and drawn.image.shape[:2] == (size[1], size[0]):
        _memo.move_to_end(key)
        return drawn
    drawn = load(key, size)
    if drawn is not None:
        _remember(key, drawn)
    return drawn


def keep(key: str, drawn) -> None:
    """Keep a freshly drawn panel in memory and on disk."""
    _remember(key, drawn)
    store(key, drawn)


def _remember(key: str, drawn) -> None:
    _memo[key] = drawn
    _memo.move_to_end(key)
    while len(_memo) > 1 and sum(d.image.nbytes for d in _memo.values()) > MEMO_BYTES:
        _memo.popitem(last=False)


def forget() -> None:
    """Empty this process's memory of drawn panels (the disk store stays)."""
    _memo.clear()


def load(key: str, size: tuple[int, int]):
    """The drawn panel stored under `key` (a `Drawn`), or None if absent or damaged (a damaged
    entry is removed, so it is drawn again and stored afresh)."""
    from bridge.panels.common.canvas import Drawn

    root = cache_root()
    record_path, pixels_path = root / f"{key}.json", root / f"{key}.npy"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        raw = pixels_path.read_bytes()
    except (OSError, ValueError):
        return None
    try:
        ok = (isinstance(record, dict) and record.get("v") == CACHE_VERSION and record.get("key") == key
              and record.get("sha256") == hashlib.sha256(raw).hexdigest())
        image = np.load(io.BytesIO(raw), allow_pickle=False) if ok else None
        if image is None or image.dtype != np.uint8 or image.shape != (size[1], size[0], 3):
            raise ValueError("not the picture the record describes")
        boxes = []
        for text, (x0, y0, x1, y1) in record["text_boxes"]:
            boxes.append((str(text), (float(x0), float(y0), float(x1), float(y1))))
        drawn = Drawn(image, float(record["smallest"]), boxes, [str(f) for f in record["faults"]],
                      [str(h) for h in record["hints"]])
    except (ValueError, TypeError, KeyError, EOFError):
        _remove(key)
        return None
    try:
        os.utime(record_path)  # most recently used: kept longest
    except OSError:
        pass
    return drawn


def store(key: str, drawn) -> None:
    """Keep a drawn panel under `key`, written whole or not at all; a disk that cannot hold it is
    simply not used (the render goes on)."""
    root = cache_root()
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(drawn.image), allow_pickle=False)
    raw = buffer.getvalue()
    record = {"v": CACHE_VERSION, "key": key, "sha256": hashlib.sha256(raw).hexdigest(),
              "smallest": drawn.smallest_text_deg, "faults": list(drawn.faults), "hints": list(drawn.hints),
              "text_boxes": [[text, list(box)] for text, box in drawn.text_boxes]}
    try:
        root.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(root).free < len(raw) + DISK_SPARE:
            return
        for name, body in ((f"{key}.npy", raw), (f"{key}.json", json.dumps(record).encode())):  # the record last
            fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.replace(tmp, root / name)
    except OSError:
        return


def _remove(key: str) -> None:
    for suffix in (".json", ".npy"):
        try:
            (cache_root() / f"{key}{suffix}").unlink()
        except OSError:
            pass


def prune(keep_bytes: int = KEEP_BYTES) -> None:
    """Remove the least recently used entries until the store holds at most `keep_bytes`, and
    any file that is not half of an entry (a crashed write's temporary, a pixel file alone)."""
    root = cache_root()
    try:
        files = list(root.iterdir())
    except OSError:
        return
    entries: dict[str, list[Path]] = {}
    for path in files:
        entries.setdefault(path.stem, []).append(path)
    sized = []
    for stem, paths in entries.items():
        if {p.suffix for p in paths} != {".json", ".npy"} or stem.startswith("."):
            for p in paths:
                _unlink_stale(p)
            continue
        try:
            used = max(p.stat().st_mtime for p in paths)
            sized.append((used, sum(p.stat().st_size for p in paths), stem))
        except OSError:
            continue
    total = sum(size for _, size, _ in sized)
    for _, size, stem in sorted(sized):  # oldest first
        if total <= keep_bytes:
            break
        _remove(stem)
        total -= size


def _unlink_stale(path: Path) -> None:
    """A lone half of an entry, or a temporary left by a write that stopped, older than a minute."""
    import time

    try:
        if time.time() - path.stat().st_mtime > 60:
            path.unlink()
    except OSError:
        pass


def _ragged_digest(h, value: list | tuple) -> bool:
    """Hash nested lists of numeric arrays of one dtype (a map's polygons: area → polygon → ring) as
    their structure and one block of numbers; False, hashing nothing, for anything else."""
    arrays: list[np.ndarray] = []
    shape: list[int] = []
    if not value or not _flatten(value, arrays, shape, 0) or not arrays or len({a.dtype.str for a in arrays}) != 1:
        return False
    h.update(f"ragged:{type(value).__name__}:{arrays[0].dtype.str}:".encode())
    h.update(np.asarray(shape, np.int64).tobytes())
    h.update(np.concatenate([a.ravel() for a in arrays]).data)
    return True


def _flatten(value: list | tuple, arrays: list, shape: list, depth: int) -> bool:
    """Collect the arrays of nested lists into `arrays` and the nesting (lengths, each array's
    dimensions) into `shape`; False if anything but lists, tuples and numeric arrays is inside."""
    if depth > 8:
        return False
    shape.append(len(value) if isinstance(value, list) else -1 - len(value))
    for item in value:
        if type(item) is np.ndarray and item.dtype != object:
            arrays.append(item)
            shape.extend((-1000 - item.ndim, *item.shape))
        elif isinstance(item, (list, tuple)):
            if not _flatten(item, arrays, shape, depth + 1):
                return False
        else:
            return False
    return True
