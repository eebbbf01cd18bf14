"""Pictures on disk: output folders, projector PNGs written in the background, contact sheets.

Kept apart from the pipeline so rendering a briefing, drawing calibration patterns and
splitting a photo all write their files the same way, and never delete what is not theirs.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bridge.errors import BridgeError, Problem
from bridge.room import Room
from bridge.theme import DEFAULT_THEME, Theme, rgb255


def prepare_out_dir(out_dir: Path, step_count: int | None) -> Path:
    """Make `out_dir`; remove step folders left from a longer render, but only our own files."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BridgeError(Problem(out_dir, None, None, "is a file; --out needs a folder"))
    out_dir.mkdir(parents=True, exist_ok=True)
    if step_count is not None:
        ours = re.compile(r"^(equirect|projector-\d+)\.png$")
        for stale in out_dir.glob("step-*"):
            m = re.fullmatch(r"step-(\d+)", stale.name)
            if m and int(m.group(1)) > step_count and stale.is_dir() and all(ours.match(f.name) for f in stale.iterdir()):
                shutil.rmtree(stale)
    return out_dir


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
    folder.mkdir(parents=True, exist_ok=True)
    save = writer.save if writer else save_png
    files = [save(frame, folder / "equirect.png")] if frame is not None else []
    for p, img in zip(room.projectors, projector_images):
        files.append(save(img, folder / f"projector-{p.number}.png"))
    return files


def read_equirect(path: Path) -> np.ndarray:
    """An RGB equirectangular image from disk, refusing what is not a readable 2:1 picture."""
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGB")
    except FileNotFoundError:
        raise BridgeError(Problem(path, None, None, "image not found")) from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BridgeError(Problem(path, None, None, f"cannot read this as an image (PNG or JPEG): {exc}")) from None
    w, h = rgb.size
    if w != 2 * h:
        raise BridgeError(Problem(path, None, None,
            f"is {w}×{h}; an equirectangular image is exactly twice as wide as tall (e.g. {2 * h}×{h} or {w}×{w // 2})"))
    if w > 32766:
        raise BridgeError(Problem(path, None, None, f"is {w} px wide; the compositor takes at most 32766"))
    return np.asarray(rgb)


def save_png(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(image).save(path, compress_level=3)
    return path


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
