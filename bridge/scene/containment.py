"""Which files a briefing may read: only regular files inside its allowed folders.

A scene is untrusted: it arrives by email and is run in public meetings.  Every path it (or
its theme) names is resolved, symlinks followed, and must land inside one of:

- the scene file's own folder;
- its briefing project: the nearest folder at or above the scene's that holds a
  `bridge-project.yaml` (the project's marker, as `mkdocs.yml` marks a site), whatever the
  layout below it;
- with no project: the folder above the scene's when the scene sits in a folder named
  `scenes` (so `scenes/x.yaml` may read `../data/…`), unless that is a filesystem root, the
  home folder or above it;
- folders the operator allows: `--allow DIR` on the command line, or `BRIDGE_ALLOW`
  (folders separated by ':' on Linux and macOS, ';' on Windows).

Anything else — an absolute path elsewhere, `../../etc/passwd`, a symlink pointing out, a
device such as /dev/zero — is refused with the rule, before any byte is read.

A marker is a file anyone could put in a folder (a zip may hold one), so it can never widen
past its own folder, and only the user's own space is searched: the nearest marker wins (one
inside an unpacked folder confines that folder's scenes to it); the search stops below the
home folder when the scene is inside it, else at the folder Bridge runs from when the scene is
inside that (no search otherwise); it never takes a filesystem root, the home folder or a folder
above it, and never crosses to another file system.  A marker must be a plain file (not a
link): empty, or a mapping with only an optional `name:`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import BridgeError, Problem, did_you_mean, printable
from bridge.limits import MAX_YAML_BYTES
from bridge.scene.yaml_source import load_yaml

ALLOW_ENV = "BRIDGE_ALLOW"
MARKER = "bridge-project.yaml"
MARKER_KEYS = ("name",)
MAX_NAME_CHARS = 200
# Keys someone might expect a marker to have: each would let whoever wrote the file widen what scenes read.
_WIDENING = ("allow", "root", "roots", "include", "folders", "paths", "data", "extends")


@dataclass(frozen=True)
class Project:
    """A briefing project: the folder holding the marker, and the name the marker gives it."""

    root: Path
    name: str | None = None

    def __str__(self) -> str:
        named = f"'{printable(self.name)}' " if self.name else ""
        return f"the project {named}{self.root} (marked by its {MARKER})"


def allow(folders) -> None:
    """Add operator-allowed folders (from --allow) for this run: kept in BRIDGE_ALLOW so the
    show's preparation processes, which start afresh, allow them too."""
    current = [p for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p.strip()]
    added = [str(Path(f).expanduser().resolve()) for f in folders]
    os.environ[ALLOW_ENV] = os.pathsep.join(dict.fromkeys(current + added))


def allowed_roots(scene_file: Path | None) -> list[Path]:
    """The folders a scene at `scene_file` may read from, resolved."""
    return _roots(_folder(scene_file))[0]


def check(relative: str, scene_file: Path | None) -> str | None:
    """Why the scene may not read `relative` (None: it may).  Missing files are left to the reader.
    Raises BridgeError when the scene's project marker is not one (a link, a folder, unknown keys)."""
    if "\x00" in relative:
        return "a path cannot contain a NUL character"
    folder = Path(scene_file).parent if scene_file else Path.cwd()
    try:
        resolved = (folder / relative).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        return f"'{relative}' cannot be resolved ({exc})"
    roots, project = _roots(folder.resolve())
    if not any(resolved.is_relative_to(root) for root in roots):
        return _outside(relative, resolved, roots, project, folder.resolve())
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


def project_of(folder: Path) -> Project | None:
    """The project `folder` (resolved) belongs to: the nearest folder of `search_path(folder)` holding a marker."""
    for candidate in search_path(folder):
        marker = candidate / MARKER
        try:
            info = marker.lstat()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise BridgeError(Problem(marker, None, None, f"cannot read this project marker ({exc.strerror or exc}); "
                                                          f"make it a plain file the user can read, or remove it")) from None
        if not stat.S_ISREG(info.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a folder" if stat.S_ISDIR(info.st_mode) \
                else "not a regular file"
            raise BridgeError(Problem(marker, None, None, f"is {kind}; a project marker must be a plain file in the "
                                                          f"project's top folder (empty, or `name: …`): replace it with one"))
        return Project(candidate, _marker_name(marker, info.st_size))
    return None


def search_path(folder: Path) -> list[Path]:
    """The folders whose marker may declare `folder`'s project, nearest first (see the module's docstring)."""
    home = _home()
    if home is not None and folder.is_relative_to(home) and folder != home:
        top, inclusive = home, False
    elif folder.is_relative_to(cwd := Path.cwd().resolve()):
        top, inclusive = cwd, True
    else:
        return []
    device = _device(folder)
    found: list[Path] = []
    for candidate in (folder, *folder.parents):
        if (candidate == top and not inclusive) or _never_a_root(candidate, home) or _device(candidate) != device:
            break
        found.append(candidate)
        if candidate == top:
            break
    return found


def _folder(scene_file: Path | None) -> Path:
    return (Path(scene_file).parent if scene_file else Path.cwd()).resolve()


def _roots(folder: Path) -> tuple[list[Path], Project | None]:
    """(the folders a scene in `folder` may read from, its project if it has one)."""
    roots = [folder]
    project = project_of(folder)
    if project is not None:
        roots.append(project.root)
    elif folder.name == "scenes" and not _never_a_root(folder.parent, _home()):
        roots.append(folder.parent)
    env = os.environ.get(ALLOW_ENV, "")
    roots += [Path(p).expanduser().resolve() for p in env.split(os.pathsep) if p.strip()]
    return list(dict.fromkeys(roots)), project


def _outside(relative: str, resolved: Path, roots: list[Path], project: Project | None, folder: Path) -> str:
    """The refusal: where the path leads, where a scene may read, and the ways to let it."""
    where = " or ".join(str(project) if project and root == project.root else str(root) for root in roots)
    mark, unused = "", ""
    if project is None:
        searched = search_path(folder)
        common = next((c for c in searched if resolved.is_relative_to(c)), None)
        if common is not None:
            mark = f"mark {common} as the briefing's project with a file named {MARKER}, "
        above = next((c for c in folder.parents if c not in searched and (c / MARKER).is_file()), None)
        if above is not None and _never_a_root(above, _home()):
            unused = f" ({above / MARKER} is not used: a filesystem root, the home folder or above it is never a project)"
        elif above is not None:
            unused = (f" ({above / MARKER} is not used: a marker counts in a folder below your home folder, or, for a "
                      f"scene outside home, up to the folder Bridge runs from, on the scene's own file system; run "
                      f"Bridge from the project's folder)")
    return (f"'{relative}' is outside the briefing's folders (it resolves to {resolved}){unused}; a scene may read "
            f"files under {where}. Copy the file there, {mark}or allow its folder with --allow DIR or {ALLOW_ENV}")


def _marker_name(marker: Path, size: int) -> str | None:
    """The name a marker gives its project; BridgeError if it holds anything but an optional `name:`."""
    if size <= MAX_YAML_BYTES:
        text = marker.read_bytes().decode("utf-8", "replace").lstrip("\ufeff")
        if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
            return None  # an empty marker (or comments only) is the usual one
    doc = load_yaml(marker, what="project marker")
    if not isinstance(doc.data, dict):
        raise BridgeError(doc.problem((), f"a project marker is empty or a mapping with an optional name "
                                          f"(e.g. `name: Finding Dave`); this one holds {type(doc.data).__name__}"))
    problems = []
    for key in doc.data:
        if key in MARKER_KEYS:
            continue
        why = (" (a marker cannot widen what scenes may read: anyone who can put a file in a folder could write one; "
               "the operator allows further folders with --allow DIR)") if str(key).lower() in _WIDENING else ""
        problems.append(doc.problem((key,), f"unknown key{did_you_mean(key, MARKER_KEYS)}{why}; a project marker "
                                            f"holds only an optional `name:`: remove this key"))
    name = doc.data.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS):
        problems.append(doc.problem(("name",), f"the project's name must be text of 1 to {MAX_NAME_CHARS} characters"))
    if problems:
        raise BridgeError(problems)
    return name.strip() if isinstance(name, str) else None


def _home() -> Path | None:
    """The user's home folder; None when there is none, or it is a filesystem root (HOME=/ bounds nothing), so that
    only the folder Bridge runs from bounds the search."""
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        return None
    return None if home.parent == home else home


def _never_a_root(folder: Path, home: Path | None) -> bool:
    """A filesystem root, the home folder or a folder above it: a marker (or a `scenes` parent) there would open too much."""
    return folder.parent == folder or (home is not None and home.is_relative_to(folder))


def _device(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_dev
    except OSError:
        return None
