"""Every fast path of the compositor against the exact one, on the sample briefing's own frames.

The exact sampling is `cv2.remap` through the float lookup table; the exact picture is that
sample through the blend formula in double precision (bridge/room/compositor.py's docstring).
The fast paths: the cylinder's affine bands, the threaded split, the fixed-point remap of flat
walls and warped projectors, and the GPU shader (here on Mesa's software rasteriser).  Smooth
test pictures hide sampling errors: the sample's text and panel borders are what show them.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from bridge.room.compositor import Compositor
from bridge.room.load import load_room
from bridge.room.lookup import ProjectorLookup
from tests.conftest import ROOT

ROOMS = ["bridge", "rehearsal", "pentagon"]
# The most a path may differ from the exact picture, in grey levels (docs/developer.md says so).
WITHIN = {"bands": 1, "fixed-point remap": 4}


def exact_sample(frame: np.ndarray, lut: ProjectorLookup) -> np.ndarray:
    return cv2.remap(frame, lut.map_x, lut.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def exact_image(frame: np.ndarray, lut: ProjectorLookup) -> np.ndarray:
    """The projector image from the formula, light = w·(b + (1 − b)·min(1, gain·in^γ)), in float64."""
    p = lut.projector
    w = np.broadcast_to(lut.weight, lut.map_x.shape)[..., None].astype(np.float64)
    linear = np.minimum(1.0, p.gain * (exact_sample(frame, lut) / 255.0) ** p.gamma)
    return np.rint(255 * (w * (p.black_level + (1 - p.black_level) * linear)) ** (1 / p.gamma))


def path_of(lut: ProjectorLookup) -> str:
    return "bands" if lut.bands is not None else "fixed-point remap"


class Differences:
    """Absolute differences gathered over several frames, summarised for an assertion message."""

    def __init__(self):
        self.parts: list[np.ndarray] = []

    def add(self, ours: np.ndarray, exact: np.ndarray) -> None:
        self.parts.append(np.abs(ours.astype(np.int16) - np.asarray(exact).astype(np.int16)).ravel())

    @property
    def max(self) -> int:
        return int(max(part.max() for part in self.parts))

    def __str__(self) -> str:
        values = np.concatenate(self.parts)
        return f"max {values.max()}, 99.9th percentile {np.percentile(values, 99.9):.0f}, mean {values.mean():.4f} levels"


@pytest.fixture(scope="module")
def sample_frames(tmp_path_factory) -> list[np.ndarray]:
    """The sample briefing's seven equirectangular frames at 1024×512, rendered once."""
    from bridge.render.briefing import load_briefing
    from bridge.render.pipeline import render_briefing

    out = tmp_path_factory.mktemp("finding-dave")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIDGE_CACHE", str(out / "cache"))
        result = render_briefing(load_briefing(ROOT / "scenes" / "finding-dave.yaml"), load_room("bridge"),
                                 out / "render", (1024, 512))
    return [np.asarray(Image.open(out / "render" / f"step-{n:02d}" / "equirect.png").convert("RGB")) for n in result.steps]


def sharp_test_frame(w: int, h: int) -> np.ndarray:
    """Text, one-pixel rules and a fine checkerboard, white on black, all over the sphere: the
    edges a smooth test picture lacks and a briefing is full of."""
    frame = np.zeros((h, w, 3), np.uint8)
    frame[h // 2 - 24:h // 2 + 24] = ((np.indices((48, w)).sum(axis=0) // 2) % 2 * 255)[..., None]
    rng = np.random.default_rng(7)
    for _ in range(160):
        x, y = int(rng.integers(-40, w)), int(rng.integers(8, h))
        cv2.putText(frame, "Shropshire 65+", (x, y), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.3, 1.2)),
                    (255, 255, 255), 1, cv2.LINE_8)
        cv2.rectangle(frame, (x, y - 30), (x + 60, y + 5), (220, 240, 255), 1)
    return frame


@pytest.mark.parametrize("room_name", ["bridge", "rehearsal"])
def test_bands_match_the_exact_remap_at_sharp_edges(room_name):
    """Before the bands were affine warps they differed by up to 66 levels at edges like these."""
    frame = sharp_test_frame(1024, 512)
    comp = Compositor(load_room(room_name), 1024, 512, use_cache=False)
    for lut in comp.lookups:
        assert lut.bands is not None, f"{lut.projector.name} should take the banded path"
        diff = Differences()
        diff.add(comp.sample(frame, lut), exact_sample(frame, lut))
        assert diff.max <= 1, f"{room_name} {lut.projector.name}: {diff}"


def test_the_reference_remap_is_exact():
    """cv2.remap with float maps is the reference only where it interpolates in floating point
    (OpenCV 5; OpenCV 4 moves samples to 1/32 of a pixel first): against bilinear in float64."""
    frame = sharp_test_frame(512, 256)
    ys, xs = np.mgrid[0:200, 0:300].astype(np.float32)
    map_x, map_y = 20 + xs * 0.731 + ys * 0.05, 30 + ys * 0.377 + xs * 0.01
    x0, y0 = np.floor(map_x).astype(int), np.floor(map_y).astype(int)
    fx, fy = (map_x - x0)[..., None], (map_y - y0)[..., None]
    f = frame.astype(np.float64)
    truth = (f[y0, x0] * (1 - fx) * (1 - fy) + f[y0, x0 + 1] * fx * (1 - fy)
             + f[y0 + 1, x0] * (1 - fx) * fy + f[y0 + 1, x0 + 1] * fx * fy)
    remapped = cv2.remap(frame, map_x, map_y, cv2.INTER_LINEAR)
    assert np.abs(remapped - np.rint(truth)).max() <= 1, f"OpenCV {cv2.__version__} does not remap in floating point"


@pytest.mark.slow  # renders the sample briefing (once for the module)
@pytest.mark.parametrize("room_name", ROOMS)
def test_every_projector_samples_the_sample_frames_as_the_exact_remap(room_name, sample_frames):
    room = load_room(room_name)
    comp = Compositor(room, 1024, 512, use_cache=False)
    for lut in comp.lookups:
        diff = Differences()
        for frame in sample_frames:
            diff.add(comp.sample(frame, lut), exact_sample(frame, lut))
        print(f"{room_name} {lut.projector.name} ({path_of(lut)}): {diff}")
        assert diff.max <= WITHIN[path_of(lut)], f"{room_name} {lut.projector.name} ({path_of(lut)}): {diff}"


@pytest.mark.slow  # renders the sample briefing (once for the module)
@pytest.mark.parametrize("room_name", ROOMS)
def test_the_threaded_split_is_the_exact_picture(room_name, sample_frames):
    """Projectors side by side on threads give what one after another gives, and that is the
    exact picture within the sampling path's levels (the 8-bit blend factors add at most one)."""
    comp = Compositor(load_room(room_name), 1024, 512, use_cache=False)
    diffs = {lut.projector.name: Differences() for lut in comp.lookups}
    blend = Differences()
    out = None
    for frame in sample_frames:
        out = comp.split(frame, out)
        for image, lut in zip(out, comp.lookups):
            assert np.array_equal(image, comp.project(frame, lut)), f"{lut.projector.name}: threads changed the picture"
            exact = exact_image(frame, lut)
            diffs[lut.projector.name].add(image, Compositor.finish(exact_sample(frame, lut), lut))
            blend.add(Compositor.finish(exact_sample(frame, lut), lut), exact)
    assert blend.max <= 1, f"{room_name}: the blend against its formula: {blend}"
    for lut in comp.lookups:
        diff = diffs[lut.projector.name]
        assert diff.max <= WITHIN[path_of(lut)], f"{room_name} {lut.projector.name} ({path_of(lut)}): {diff}"


@pytest.mark.slow  # renders the sample briefing, and opens an offscreen GL context per room
@pytest.mark.parametrize("room_name", ROOMS)
def test_the_gpu_shader_draws_the_exact_picture(room_name, sample_frames, tmp_path, monkeypatch):
    from bridge.room.gpu import GpuProjector

    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    comp = Compositor(load_room(room_name), 1024, 512)
    lut = comp.lookups[0]
    gpu = GpuProjector(lut, sample_frames[0])
    diff = Differences()
    try:
        for frame in sample_frames:
            gpu.set_frame(frame)
            diff.add(gpu.render(), exact_image(frame, lut))
    finally:
        gpu.close()
    assert diff.max <= 1, f"{room_name} {lut.projector.name} on the GPU: {diff}"
