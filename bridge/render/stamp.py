"""Whether a render's output folder already holds what rendering again would write.

Rendering is deterministic: the same scene bytes, the same bytes of every file it reads, the same
room, frame size, steps and code give the same PNGs.  So after a render `bridge render` leaves a
stamp in its output folder — a hash of the inputs, and the size and modification time of every
file it wrote and of every module (Bridge's and its libraries') the render ran — and the next
render with nothing changed checks the stamp, finds every file as it was written, says so and
repeats the report, instead of drawing and capturing it all again (as `make` does).  Any
difference — an edited input, another room or size, a file in the folder touched or removed, a
module changed — renders as before.  A scene that reads anything but files (a database) is
never taken as unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

STAMP = ".bridge-render.json"
STAMP_VERSION = 1


def _loaded_code() -> list[str]:
    """Every module file this process has loaded (Bridge's and its libraries'): the code a render ran."""
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith((".py", ".so", ".pyd")):
            files.add(path)
    return sorted(files)


MAX_HASHED = 4 * 1024**3  # an input larger than this is not hashed: such a render is never taken as unchanged


def inputs(scene, scene_path: Path) -> list[str] | None:
    """The scene file and every file it reads, resolved; None if it reads anything but files (a database)."""
    if any(scene.data_path(d) is None for d in scene.datasets.values()):
        return None
    return [str(Path(p).resolve()) for p in [Path(scene_path), *scene.input_files()]]


def render_key(files: list[str] | None, room, size: tuple[int, int], steps: list[int] | None) -> str | None:
    """Hash of everything a render's files depend on: the bytes of `files` (the scene first: the
    same scene bytes name the same other files), the room, size and steps; None when unknowable."""
    from bridge import __version__

    if not files:
        return None
    h = hashlib.sha256(f"stamp-v{STAMP_VERSION}:{__version__}:{room.digest}:{size[0]}x{size[1]}:{steps}".encode())
    for path in files:
        h.update(path.encode("utf-8", "surrogatepass"))
        try:
            if not stat.S_ISREG(os.stat(path).st_mode) or os.stat(path).st_size > MAX_HASHED:
                return None  # only regular files of a sane size (a stamp is a file in an output folder)
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError:
            return None  # a missing file: the render reports it
    return h.hexdigest()


def _state(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def unchanged(out_dir: Path, scene_path: Path, room, size: tuple[int, int], steps: list[int] | None) -> dict | None:
    """The report stored with the last render into `out_dir`, if it was rendered from the same
    scene bytes, files read, room, size and steps, by the same code, and every file it wrote is
    still there as it was written; else None.  Needs no scene loaded: the stamp lists what it read."""
    try:
        stamp = json.loads((Path(out_dir) / STAMP).read_text(encoding="utf-8"))
        if not (isinstance(stamp, dict) and isinstance(stamp.get("files"), dict) and stamp["files"]
                and isinstance(stamp.get("report"), dict) and isinstance(stamp.get("code"), dict)
                and isinstance(stamp.get("inputs"), list) and all(isinstance(p, str) for p in stamp["inputs"])):
            return None
        if stamp["inputs"][:1] != [str(Path(scene_path).resolve())]:
            return None
        if any(_state(Path(out_dir) / name) != state for name, state in stamp["files"].items()):
            return None
        if any(_state(Path(f)) != state for f, state in stamp["code"].items()):
            return None  # Bridge or a library it ran has changed since
        if render_key(stamp["inputs"], room, size, steps) != stamp.get("key"):
            return None
    except (OSError, ValueError, TypeError):
        return None
    return stamp["report"]


def forget(out_dir: Path) -> None:
    """Remove the stamp before a render changes the folder (a render that stops leaves none)."""
    try:
        (Path(out_dir) / STAMP).unlink()
    except OSError:
        pass


def write(out_dir: Path, files_read: list[str] | None, room, size: tuple[int, int], steps: list[int] | None,
          written: list[Path], report: dict) -> None:
    """Stamp `out_dir`: what was read (`files_read`, the scene first), its key, the state of each
    file `written` and of the code that ran, and the report to repeat."""
    key = render_key(files_read, room, size, steps)
    if key is None:
        return
    out_dir = Path(out_dir)
    states = {}
    for path in written:
        state = _state(path)
        if state is None:
            return
        states[str(Path(path).relative_to(out_dir))] = state
    code = {path: state for path in _loaded_code() if (state := _state(Path(path))) is not None}
    record = {"key": key, "inputs": files_read, "files": states, "code": code, "report": report}
    try:
        (out_dir / STAMP).write_text(json.dumps(record), encoding="utf-8")
    except OSError:
        pass
