"""The GLSL compositor, rendered offscreen, agrees with the CPU compositor."""

import numpy as np
import pytest

from bridge.room.compositor import Compositor
from bridge.room.gpu import GpuProjector
from bridge.room.load import load_room
from tests.test_compositor import smooth_test_frame

W, H = 2048, 1024


# One room in the fast loop; the others open an offscreen GL context each (slow).
@pytest.mark.parametrize("room_name,projector", [("rehearsal", 0), pytest.param("rehearsal", 2, marks=pytest.mark.slow),
                                                 pytest.param("pentagon", 2, marks=pytest.mark.slow)])
def test_shader_matches_cpu(room_name, projector, tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room = load_room(room_name)
    frame = smooth_test_frame(W, H)
    comp = Compositor(room, W, H)
    lut = comp.lookups[projector]
    cpu = comp.project(frame, lut)
    gpu = GpuProjector(lut, frame)
    try:
        shown = gpu.render()
    finally:
        gpu.close()
    assert shown.shape == cpu.shape
    diff = np.abs(shown.astype(float) - cpu.astype(float))
    # Each is within one level of the exact picture (tests/test_fast_paths.py): the CPU's blend
    # uses 8-bit factors, the shader floats.
    assert diff.max() <= 2, f"max {diff.max():.0f}, mean {diff.mean():.3f} grey levels"
    # Not trivially equal: the picture has content and the blend ramps darken the edges.
    assert cpu.std() > 30 and cpu[:, :5].mean() < cpu[:, cpu.shape[1] // 2 - 5:cpu.shape[1] // 2 + 5].mean()


def test_shader_applies_gain_and_black_level(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    path = tmp_path / "room.yaml"
    path.write_text("name: dim\nscreen: {shape: cylinder, radius_m: 2, height_m: 1.6, eye_height_m: 0.8}\nprojectors:\n"
                    "  - {yaw: 0, span_deg: 200, resolution: [320, 200], gain: 0.6, black_level: 0.05, gamma: 2.0}\n"
                    "  - {yaw: 180, span_deg: 200, resolution: [320, 200]}\n")
    room = load_room(path)
    frame = smooth_test_frame(1024, 512)
    comp = Compositor(room, 1024, 512)
    cpu = comp.project(frame, comp.lookups[0])
    gpu = GpuProjector(comp.lookups[0], frame)
    try:
        shown = gpu.render()
    finally:
        gpu.close()
    assert np.abs(shown.astype(float) - cpu.astype(float)).mean() < 1.0
    plain = comp.sample(frame, comp.lookups[0])
    centre = np.s_[80:120, 140:180]
    assert cpu[centre].mean() < plain[centre].mean()  # gain 0.6 dims it
