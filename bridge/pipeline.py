"""The whole path, one way: scene file → validated model → data → panel images → frames → projectors.

`load_briefing` does everything up to evaluated panel contents (it is what `bridge validate`
runs); `PanelArt` draws the panels, `add_panels`/`render_step` put them in the room and
capture a step, and `render_briefing` writes every step's frames and a contact sheet.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bridge.content import marked_rows, panel_content
from bridge.data import SceneData, load_data
from bridge.errors import BridgeError, Problem
from bridge.layout import panel_extent
from bridge.panels import THEME, Theme, load_theme
from bridge.room import Room
from bridge.scene import Scene, load_scene

Progress = Callable[[str, int, int], None]  # (what, done, total)
CAPTION = 0.33  # share of an extruded map's box taken by its caption


@dataclass
class Briefing:
    """A loaded scene with its data, every panel's content evaluated, each step's marks."""

    scene: Scene
    data: SceneData
    contents: list
    marks: dict = field(default_factory=dict)  # (step index, panel id) -> marked rows
    theme: Theme = THEME

    @property
    def name(self) -> str:
        return Path(self.scene.file).stem


def load_briefing(path: str | Path) -> Briefing:
    """Validate the scene and its data fully (files, columns, joins, expressions, marks, theme)."""
    scene, doc = load_scene(path)
    data = load_data(scene, doc)
    contents, problems = [], []
    for i in range(len(scene.panels)):
        try:
            contents.append(panel_content(data, i))
        except BridgeError as exc:
            problems.extend(exc.problems)
    marks: dict[tuple[int, str], frozenset[str]] = {}
    index = {p.id: i for i, p in enumerate(scene.panels)}
    for s, step in enumerate(scene.steps):
        for panel_id, mark in step.mark.items():
            try:
                marks[(s, panel_id)] = marked_rows(data, index[panel_id], mark, ("steps", s, "mark", panel_id))
            except BridgeError as exc:
                problems.extend(exc.problems)
    theme = THEME
    if scene.theme:
        theme_path = scene.path(scene.theme)
        if not theme_path.exists():
            problems.append(doc.problem(("theme",), f"theme file not found: {theme_path} (paths are relative to the scene file)"))
        else:
            try:
                theme = load_theme(theme_path)
            except BridgeError as exc:
                problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)
    return Briefing(scene, data, contents, marks, theme)


def texture_density(frame_width: int) -> float:
    """Texture pixels per degree: ~1.5× the frame's own, so mipmapping keeps text crisp."""
    return float(np.clip(frame_width / 360 * 1.5, 16, 40))


class PanelArt:
    """Panel images drawn on demand, once per panel and set of marked rows."""

    def __init__(self, briefing: Briefing, frame_width: int):
        self.briefing = briefing
        self.ppd = texture_density(frame_width)
        self.cache: dict[tuple[str, frozenset[str]], np.ndarray] = {}
        self.smallest: tuple[float, str] = (float("inf"), "")

    def image(self, panel_id: str, marked: frozenset[str] = frozenset()) -> np.ndarray:
        from bridge.layout import panel_extent, panel_texture_size
        from bridge.panels import draw_panel

        if (panel_id, marked) not in self.cache:
            scene = self.briefing.scene
            i = next(k for k, p in enumerate(scene.panels) if p.id == panel_id)
            panel = scene.panels[i]
            y0, y1, p0, p1 = caption_extent(panel) if panel.type == "extruded" else panel_extent(panel.yaw, panel.pitch, panel.width, panel.height)
            size = panel_texture_size(y1 - y0, p0, p1, self.ppd)
            try:
                drawn = draw_panel(panel, self.briefing.contents[i], size, self.ppd, panel.source or scene.source,
                                   self.briefing.theme, marked)
            except BridgeError as exc:
                raise BridgeError([self.briefing.data.doc.problem(("panels", i), p.message) for p in exc.problems]) from None
            self.cache[(panel_id, marked)] = drawn.image
            if drawn.smallest_text_deg < self.smallest[0]:
                self.smallest = (drawn.smallest_text_deg, panel_id)
        return self.cache[(panel_id, marked)]


def caption_extent(panel) -> tuple[float, float, float, float]:
    """An extruded map's caption: the top third of its box (the prisms stand below it)."""
    y0, y1, p0, p1 = panel_extent(panel.yaw, panel.pitch, panel.width, panel.height)
    return y0, y1, p1 - CAPTION * (p1 - p0), p1


def draw_panels(briefing: Briefing, frame_width: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """Every panel drawn once (without step marks) as an RGB image suited to the frame."""
    art = PanelArt(briefing, frame_width)
    panels = briefing.scene.panels
    for i, panel in enumerate(panels):
        art.image(panel.id)
        if progress:
            progress("drawing panels", i + 1, len(panels))
    return {p.id: art.image(p.id) for p in panels}


def add_panels(renderer, briefing: Briefing, art: PanelArt, progress: Progress | None = None,
               only: set[str] | None = None) -> None:
    """Put the panels (all, or `only` those) into the 3D room: textured strips, and prisms for extruded maps."""
    scene = briefing.scene
    for i, panel in enumerate(scene.panels):
        if only is not None and panel.id not in only:
            continue
        image = art.image(panel.id)
        if panel.type == "extruded":
            y0, y1, p0, p1 = caption_extent(panel)
            renderer.add_panel(panel.id, (y0 + y1) / 2, (p0 + p1) / 2, y1 - y0, p1 - p0, image)
            content = briefing.contents[i]
            prism_top = p0 - 0.02 * (p1 - p0)  # just under the caption
            prism_bottom = panel.pitch - panel.height / 2
            renderer.add_extruded(panel.id, panel.yaw, (prism_top + prism_bottom) / 2, panel.width, prism_top - prism_bottom,
                                  content.polygons, content.values, panel.palette, panel.height_scale)
        else:
            renderer.add_panel(panel.id, panel.yaw, panel.pitch, panel.width, panel.height, image)
        if progress:
            progress("drawing panels", i + 1, len(scene.panels))


def render_step(renderer, briefing: Briefing, art: PanelArt, step_index: int) -> np.ndarray:
    """One step's equirectangular frame: marked-row variants swapped in, others dimmed if highlighted."""
    step = briefing.scene.steps[step_index]
    for panel_id in step.show:
        marked = briefing.marks.get((step_index, panel_id), frozenset())
        renderer.set_images(panel_id, art.image(panel_id, marked))
    return renderer.render(step.show, step.highlighted)


@dataclass
class RenderResult:
    out_dir: Path
    steps: list[int]
    files: list[Path] = field(default_factory=list)
    contact_sheet: Path | None = None
    smallest_text: tuple[float, str] = (float("inf"), "")  # degrees, panel id


def render_briefing(briefing: Briefing, room: Room, out_dir: Path, size: tuple[int, int] = (4096, 2048),
                    steps: list[int] | None = None, progress: Progress | None = None) -> RenderResult:
    """Render the chosen steps (1-based; all by default) and write the PNGs under `out_dir`."""
    from bridge.compositor import Compositor
    from bridge.render import EquirectRenderer

    scene = briefing.scene
    steps = steps or list(range(1, len(scene.steps) + 1))
    for n in steps:
        if not 1 <= n <= len(scene.steps):
            raise BridgeError(Problem(scene.file, None, "steps", f"there is no step {n}; the scene has steps 1..{len(scene.steps)}"))
    width, height = size
    out_dir = prepare_out_dir(out_dir, len(scene.steps) if len(steps) == len(scene.steps) else None)
    art = PanelArt(briefing, width)
    compositor = Compositor(room, width, height)
    result = RenderResult(out_dir, steps)
    thumbs: list[list[np.ndarray]] = []
    with EquirectRenderer(width, height, background=briefing.theme.background) as renderer, ImageWriter() as writer:
        add_panels(renderer, briefing, art, progress)
        for k, n in enumerate(steps):
            frame = render_step(renderer, briefing, art, n - 1)
            projector_images = compositor.split(frame)
            result.files += save_frames(out_dir / f"step-{n:02d}", frame, projector_images, room, writer)
            thumbs.append(projector_images)
            if progress:
                progress("rendering steps", k + 1, len(steps))
    sheet = contact_sheet(thumbs, [f"Step {n}: {scene.steps[n - 1].title}" for n in steps],
                          [f"{p.number} · {p.name}" for p in room.projectors])
    result.contact_sheet = _save(sheet, out_dir / "contact-sheet.png")
    result.smallest_text = art.smallest
    return result


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
        self.pending.append(self.pool.submit(_save, image, path))
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
    save = writer.save if writer else _save
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


def _save(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(image).save(path, compress_level=3)
    return path


def contact_sheet(rows: list[list[np.ndarray]], row_labels: list[str], column_labels: list[str],
                  thumb_width: int = 384) -> np.ndarray:
    """Every step's projector images side by side, small and labelled, one row per step."""
    first = rows[0][0]
    thumb_h = round(first.shape[0] * thumb_width / first.shape[1])
    gap, label_h = 8, 30
    cols = len(rows[0])
    width = cols * thumb_width + (cols + 1) * gap
    height = label_h + len(rows) * (label_h + thumb_h + gap) + gap
    sheet = Image.new("RGB", (width, height), (18, 20, 26))
    draw = ImageDraw.Draw(sheet)
    font = _font(18)
    for c, label in enumerate(column_labels):
        draw.text((gap + c * (thumb_width + gap), 6), f"Projector {label}", fill=(148, 163, 184), font=font)
    y = label_h
    for images, label in zip(rows, row_labels):
        draw.text((gap, y + 4), label, fill=(241, 245, 249), font=font)
        y += label_h
        for c, img in enumerate(images):
            thumb = Image.fromarray(img).resize((thumb_width, thumb_h), Image.Resampling.LANCZOS, reducing_gap=2.0)
            sheet.paste(thumb, (gap + c * (thumb_width + gap), y))
        y += thumb_h + gap
    return np.asarray(sheet)


def _font(size: int):
    from matplotlib import font_manager

    try:
        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except OSError:
        return ImageFont.load_default(size)
