"""Which files a briefing may read: only regular files inside its allowed folders.

A scene is untrusted: it arrives by email and is run in public meetings.  Every path it (or
its theme) names is resolved, symlinks followed, and must land inside one of:

- the scene file's own folder;
- the project folder: the folder above the scene's when the scene sits in a folder named
  `scenes` (so `scenes/x.yaml` may read `../data/…`, as the docs' layout has it);
- folders the operator allows: `--allow DIR` on the command line, or `BRIDGE_ALLOW`
  (folders separated by ':' on Linux and macOS, ';' on Windows).

Anything else — an absolute path elsewhere, `../../etc/passwd`, a symlink pointing out, a
device such as /dev/zero — is refused with the rule, before any byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

ALLOW_ENV = "BRIDGE_ALLOW"


def allow(folders) -> None:
    """Add operator-allowed folders (from --allow) for this run: kept in BRIDGE_ALLOW so the
    show's preparation processes, which start afresh, allow them too."""
    current = [p for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p.strip()]
    added = [str(Path(f).expanduser().resolve()) for f in folders]
    os.environ[ALLOW_ENV] = os.pathsep.join(dict.fromkeys(current + added))


def allowed_roots(scene_file: Path | None) -> list[Path]:
    """The folders a scene at `scene_file` may read from, resolved."""
    folder = (Path(scene_file).parent if scene_file else Path.cwd()).resolve()
    roots = [folder]
    if folder.name == "scenes":
        roots.append(folder.parent)
    env = os.environ.get(ALLOW_ENV, "")
    roots += [Path(p).expanduser().resolve() for p in env.split(os.pathsep) if p.strip()]
    return list(dict.fromkeys(roots))


def check(relative: str, scene_file: Path | None) -> str | None:
    """Why the scene may not read `relative` (None: it may).  Missing files are left to the reader."""
    if "\x00" in relative:
        return "a path cannot contain a NUL character"
    folder = Path(scene_file).parent if scene_file else Path.cwd()
    try:
        resolved = (folder / relative).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        return f"'{relative}' cannot be resolved ({exc})"
    roots = allowed_roots(scene_file)
    if not any(resolved.is_relative_to(root) for root in roots):
        where = " or ".join(str(r) for r in roots)
        return (f"'{relative}' is outside the briefing's folders (it resolves to {resolved}); a scene may read files "
                f"under {where}. Copy the file there, or allow its folder with --allow DIR or {ALLOW_ENV}")
    try:
        mode = resolved.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"'{relative}' cannot be read ({exc.strerror})"
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
        return f"'{relative}' is {kind}; give a data file"
    return None
