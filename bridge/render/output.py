"""Pictures on disk: output folders, projector PNGs written in the background, contact sheets.

Kept apart from the pipeline so rendering a briefing, drawing calibration patterns and
splitting a photo all write their files the same way, and never delete what is not theirs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bridge.errors import BridgeError, Problem
from bridge.room.model import Room
from bridge.theme import DEFAULT_THEME, Theme, rgb255

OUT_NAME_CHARS = 100  # a default folder's name: at most this many characters…
OUT_NAME_BYTES = 200  # …and UTF-8 bytes (file systems allow 255 bytes a name)
_UNSAFE = set('/\\:<>"|?*')  # path separators, a drive's colon, what Windows forbids in a name
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def default_out_dir(name: str, group: str | None = None, fallback: str = "scene") -> Path:
    """out/<name> (or out/<group>/<name>): where a command writes when given no --out.

    The name comes from a file the user chose (a scene's, a room's or a picture's name), so it
    may be anything: `...yaml` has the name `..`, which would put the output beside out/, not in
    it, and slashes, backslashes, colons or control characters would make several folders, or
    ones a terminal or another system cannot show.  So the name becomes one plain folder: runs
    of path separators, Windows-forbidden characters and invisible characters become '-',
    leading dots, dashes and spaces (hidden folders, `..`, option-like names) and trailing dots
    and spaces go, a device name such as CON gets '-<fallback>' added, a name with nothing left
    becomes `fallback`, and one longer than OUT_NAME_CHARS characters or OUT_NAME_BYTES bytes is
    cut and given a short digest of the whole name, so two long names keep two folders.
    Ordinary names (`finding-dave`, `Q3 review`) are kept as they are, so nothing moves."""
    unsafe = ["\0" if ch in _UNSAFE or unicodedata.category(ch)[0] == "C" or (ch.isspace() and ch != " ") else ch
              for ch in name]
    safe = re.sub("\0+", "-", "".join(unsafe)).lstrip(".- ").rstrip(".- ")
    if not safe:
        safe = fallback
    elif safe.split(".")[0].upper() in _RESERVED:
        safe = f"{safe}-{fallback}"
    if len(safe) > OUT_NAME_CHARS or len(safe.encode("utf-8")) > OUT_NAME_BYTES:
        digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cut = safe[:OUT_NAME_CHARS - 10]
        while len(cut.encode("utf-8")) > OUT_NAME_BYTES - 10:
            cut = cut[:-1]
        safe = f"{cut.rstrip('.- ')}-{digest}"
    folder = Path("out")
    return (folder / group if group else folder) / safe


def prepare_out_dir(out_dir: Path, step_count: int | None) -> Path:
    """Make `out_dir`; remove step folders left from a longer render, but only our own files.

    Refused with an `--out: ...` error (exit 2), before anything is written: the root of the
    file system, a path through a file or a dangling symbolic link, a folder that cannot be
    made or written in."""
    out_dir = Path(out_dir)
    try:
        _check_out_path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    except BridgeError:
        raise
    except FileExistsError:
        raise BridgeError(f"--out: {out_dir} exists and is not a folder; --out needs a folder") from None
    except OSError as exc:
        raise BridgeError(f"--out: cannot make the folder {out_dir}: {exc.strerror or exc}") from None
    try:
        with tempfile.TemporaryFile(dir=out_dir, prefix=".bridge-", suffix=".probe"):
            pass
    except OSError as exc:
        raise BridgeError(f"--out: cannot write in {out_dir}: {exc.strerror or exc}") from None
    if step_count is not None:
        for stale in out_dir.glob("step-*"):
            m = re.fullmatch(r"step-(\d+)", stale.name)
            if m and int(m.group(1)) > step_count:
                _remove_if_ours(stale)
    return out_dir


def _check_out_path(out_dir: Path) -> None:
    """The refusals that need no writing: '/', a file on the way, a dangling symbolic link."""
    full = Path(os.path.abspath(out_dir))
    if full.resolve() == Path(full.anchor):
        raise BridgeError(f"--out: {out_dir} is the root of the file system; give a folder of its own, e.g. out/briefing")
    for part in [*reversed(full.parents), full]:
        if not os.path.lexists(part):
            return  # this and what follows will be made
        if part.is_symlink() and not part.exists():
            raise BridgeError(f"--out: {part} is a symbolic link to {os.readlink(part)}, which does not exist; "
                              f"give a folder that exists or can be made")
        if not part.is_dir():
            if part == full:
                raise BridgeError(f"--out: {out_dir} is a file; --out needs a folder")
            raise BridgeError(f"--out: {part} is a file, so it cannot hold the folder {out_dir}")


def _remove_if_ours(folder: Path) -> None:
    """Delete a step folder only if it is a real folder holding nothing but Bridge's own images."""
    ours = re.compile(r"^(equirect|projector-\d+)\.png$")
    if folder.is_symlink() or not folder.is_dir():
        return
    entries = list(folder.iterdir())
    if not all(ours.match(f.name) and f.is_file() and not f.is_symlink() for f in entries):
        return
    for f in entries:
        f.unlink()
    folder.rmdir()


class ImageWriter:
    """Writes PNGs on two background threads (zlib releases the GIL) while the next frame renders."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="png")
        self.pending = []

    def save(self, image: np.ndarray, path: Path) -> Path:
        image = np.ascontiguousarray(image)  # projector images may be views into a wider buffer
        self.pending.append(self.pool.submit(save_png, image, path))
        return path

    def close(self) -> None:
        try:
            for future in self.pending:
                future.result()  # re-raises a failed write (disk full, permissions) here
        finally:
            self.pool.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def save_frames(folder: Path, frame: np.ndarray | None, projector_images: list[np.ndarray], room: Room,
                writer: ImageWriter | None = None) -> list[Path]:
    """Write equirect.png (if given) and projector-K.png into `folder`."""
    if folder.is_symlink():
        raise BridgeError(f"--out: {folder} is a symbolic link; Bridge writes its images only into folders of its own")
    folder.mkdir(parents=True, exist_ok=True)
    save = writer.save if writer else save_png
    files = [save(frame, folder / "equirect.png")] if frame is not None else []
    for p, img in zip(room.projectors, projector_images):
        files.append(save(img, folder / f"projector-{p.number}.png"))
    return files


def read_equirect(path: Path, check: Callable[[int, int], None] | None = None) -> np.ndarray:
    """An RGB equirectangular image from disk, refusing what is not a readable 2:1 picture.

    The size is checked from the file's header, before the picture is decoded; `check(width,
    height)` may refuse it too (e.g. the memory splitting it would need)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):  # a FIFO would block, /dev/zero never end
            raise BridgeError(Problem(path, None, None, "is not a regular file (a device, pipe or socket); give a PNG or JPEG"))
        with Image.open(path) as image:
            w, h = image.size
            if w != 2 * h:
                raise BridgeError(Problem(path, None, None,
                    f"is {w}×{h}; an equirectangular image is exactly twice as wide as tall (e.g. {2 * h}×{h} or {w}×{w // 2})"))
            if w > 32766:
                raise BridgeError(Problem(path, None, None, f"is {w} px wide; the compositor takes at most 32766"))
            if check is not None:
                check(w, h)
            image.load()
            rgb = image.convert("RGB")
    except FileNotFoundError:
        raise BridgeError(Problem(path, None, None, "image not found")) from None
    except IsADirectoryError:
        raise BridgeError(Problem(path, None, None, "is a directory, not an image")) from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BridgeError(Problem(path, None, None, f"cannot read this as an image (PNG or JPEG): {exc}")) from None
    return np.asarray(rgb)


def save_png(image: np.ndarray, path: Path) -> Path:
    """Write a PNG as `atomic_write` does: never through a planted link, never half a file."""
    return atomic_write(path, lambda file: Image.fromarray(image).save(file, format="PNG", compress_level=3))


def atomic_write(path: Path, write) -> Path:
    """Call `write(file)` on a new file beside `path` and move it into place: never written
    through a symbolic link planted at `path`, and a reader never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
        os.chmod(tmp, 0o666 & ~_UMASK)  # as open() would have made it, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask is process-wide and the writers are threads


def contact_sheet(rows: list[list[np.ndarray]], row_labels: list[str], column_labels: list[str],
                  thumb_width: int = 384, theme: Theme = DEFAULT_THEME) -> np.ndarray:
    """Every step's projector images side by side, small and labelled, one row per step."""
    first = rows[0][0]
    thumb_h = round(first.shape[0] * thumb_width / first.shape[1])
    gap, label_h = 8, 30
    cols = len(rows[0])
    width = cols * thumb_width + (cols + 1) * gap
    height = label_h + len(rows) * (label_h + thumb_h + gap) + gap
    sheet = Image.new("RGB", (width, height), rgb255(theme.sheet))
    draw = ImageDraw.Draw(sheet)
    font = _font(theme.font, 18)
    for c, label in enumerate(column_labels):
        draw.text((gap + c * (thumb_width + gap), 6), f"Projector {label}", fill=rgb255(theme.muted), font=font)
    y = label_h
    for images, label in zip(rows, row_labels):
        draw.text((gap, y + 4), label, fill=rgb255(theme.text), font=font)
        y += label_h
        for c, img in enumerate(images):
            thumb = Image.fromarray(img).resize((thumb_width, thumb_h), Image.Resampling.LANCZOS, reducing_gap=2.0)
            sheet.paste(thumb, (gap + c * (thumb_width + gap), y))
        y += thumb_h + gap
    return np.asarray(sheet)


def _font(family: str, size: int):
    from matplotlib import font_manager

    try:
        return ImageFont.truetype(font_manager.findfont(family), size)
    except OSError:
        return ImageFont.load_default(size)
