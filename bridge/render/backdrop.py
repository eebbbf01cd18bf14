"""360° backdrops behind the panels: the photos and videos a briefing names, read bounded, and
the two extra renders a video step's panel layer is made from (bridge/render/video_file.py
reads a video, bridge/show/video.py plays it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bridge.errors import BridgeError, Problem
from bridge.scene.model import Scene

if TYPE_CHECKING:
    from bridge.scene.spec import Backdrop

BACKDROP_WIDTH = 4096  # a backdrop photo is kept at most this wide: a texture every GPU takes
_backdrop_cache: dict = {}  # (path, mtime, size) -> pixels, the last few photos read


def read_backdrops(scene: Scene, doc, problems: list[Problem]) -> dict:
    """Each backdrop photo read (bounded), checked to be 2:1, and reduced to BACKDROP_WIDTH."""
    from PIL import Image

    from bridge.panels.common.pictures import read_rgb
    from bridge.render.video_file import not_equirectangular, read_first_frame

    found = {}
    wheres: list[tuple[tuple, Backdrop]] = [(("backdrop", scene.backdrop.kind), scene.backdrop)] if scene.backdrop else []
    wheres += [(("steps", s, "backdrop", st.backdrop.kind), st.backdrop) for s, st in enumerate(scene.steps)
               if not isinstance(st.backdrop, (str, type(None)))]
    for where, backdrop in wheres:
        if backdrop.file in found:
            continue
        path = scene.path(backdrop.file)
        try:
            stat = path.stat()
            key = (str(path), stat.st_mtime_ns, stat.st_size)
        except OSError:
            key = None
        if key in _backdrop_cache:  # a parameter's view reads the same photo: once per process
            found[backdrop.file] = _backdrop_cache[key]
            continue
        try:
            pixels = read_rgb(path) if backdrop.image is not None else read_first_frame(path)
        except BridgeError as exc:
            problems.extend(doc.problem(where, p.message) for p in exc.problems)
            continue
        h, w = pixels.shape[:2]
        if abs(w / h - 2) > 0.02:
            problems.append(doc.problem(where, not_equirectangular(backdrop.file, w, h, backdrop.kind)))
            continue
        if w > BACKDROP_WIDTH:
            pixels = np.asarray(Image.fromarray(pixels).resize((BACKDROP_WIDTH, BACKDROP_WIDTH // 2), Image.Resampling.LANCZOS))
        found[backdrop.file] = pixels
        if key is not None:
            while len(_backdrop_cache) >= 4:
                _backdrop_cache.pop(next(iter(_backdrop_cache)))
            _backdrop_cache[key] = pixels
    return found


WHITE_BACKDROP = np.full((2, 4, 3), 255, np.uint8)


def layer_frames(renderer, briefing, step_index: int) -> tuple[np.ndarray, np.ndarray]:
    """A step's frame over a black and over a white backdrop (after `render_step` set its panels):
    the two renders a video backdrop's panel layer is made from (bridge/show/video.py)."""
    step = briefing.scene.steps[step_index]
    backdrop = briefing.scene.step_backdrop(step_index)
    renderer.set_backdrop(backdrop.file, briefing.backdrops.get(backdrop.file), 0.0)
    black = renderer.render(step.show, step.highlighted)
    renderer.set_backdrop("#white", WHITE_BACKDROP, 1.0)
    white = renderer.render(step.show, step.highlighted)
    return black, white
