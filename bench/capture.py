"""Which way to capture a 360° frame: VTK's panoramic pass, or six cube faces resampled in numpy?

Renders the sample briefing's busiest step both ways at 4096×2048 (cube faces 1024²), prints
a table of median times and how closely the two pictures agree, and writes
bench/results/capture.json.  Run: .venv/bin/python bench/capture.py [--repeat N] [--quick]
(--quick: 1024×512, one repeat)
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import ROOT, quick_option, timed, write_result
from bridge.backend import use_offscreen
from bridge.geometry import direction, x_to_yaw, y_to_pitch
from bridge.render.briefing import load_briefing
from bridge.render.panorama import EquirectRenderer, panel_mesh, panel_texture, pv
from bridge.render.pipeline import draw_panels


class CubeFaceCapture:
    """The alternative: six 90° perspective renders, then a numpy lookup into the faces."""

    # (forward, up) for +x, -x, +y, -y, +z, -z faces in world axes (+y ahead, +z up)
    FACES = [((1, 0, 0), (0, 0, 1)), ((-1, 0, 0), (0, 0, 1)), ((0, 1, 0), (0, 0, 1)),
             ((0, -1, 0), (0, 0, 1)), ((0, 0, 1), (0, -1, 0)), ((0, 0, -1), (0, 1, 0))]

    def __init__(self, width, height, face):
        self.width, self.height, self.face = width, height, face
        use_offscreen()
        self.plotter = pv.Plotter(off_screen=True, window_size=(face, face))
        self.plotter.set_background("#05070b")
        self.plotter.renderer.GetCullers().RemoveAllItems()
        self.actors = {}
        yaw = x_to_yaw(np.arange(width) + 0.5, width)
        pitch = y_to_pitch(np.arange(height) + 0.5, height)
        d = direction(yaw[None, :], pitch[:, None])
        axis = np.argmax(np.abs(d), axis=-1)
        sign = np.take_along_axis(d, axis[..., None], -1)[..., 0] > 0
        self.face_index = axis * 2 + (~sign)
        self.u = np.zeros((height, width), np.int32)
        self.v = np.zeros((height, width), np.int32)
        for k, (fwd, up) in enumerate(self.FACES):
            fwd, up = np.array(fwd, float), np.array(up, float)
            right = np.cross(fwd, up)
            m = self.face_index == k
            dk = d[m]
            depth = dk @ fwd
            uu = (dk @ right) / depth
            vv = (dk @ up) / depth
            self.u[m] = np.clip(((uu + 1) / 2 * face).astype(np.int32), 0, face - 1)
            self.v[m] = np.clip(((1 - vv) / 2 * face).astype(np.int32), 0, face - 1)

    def add_panel(self, pid, yaw, pitch, width, height, image):
        actor = self.plotter.add_mesh(panel_mesh(yaw, pitch, width, height), texture=panel_texture(image), lighting=False)
        self.actors[pid] = actor

    def render(self, visible):
        for pid, actor in self.actors.items():
            actor.visibility = pid in visible
        faces = []
        cam = self.plotter.camera
        for fwd, up in self.FACES:
            cam.position = (0, 0, 0)
            cam.focal_point = fwd
            cam.up = up
            cam.view_angle = 90
            cam.clipping_range = (0.1, 1000)
            self.plotter.render()
            faces.append(self.plotter.screenshot(return_img=True)[..., :3])
        stack = np.stack(faces)
        return stack[self.face_index, self.v, self.u]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--width", type=int, default=4096)
    quick_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.width = 1, 1024
    width, height = args.width, args.width // 2
    briefing = load_briefing(ROOT / "scenes" / "finding-dave.yaml")
    images = draw_panels(briefing, width)
    step = max(briefing.scene.steps, key=lambda s: len(s.show))
    pano = EquirectRenderer(width, height)
    cube = CubeFaceCapture(width, height, width // 4)
    for p in briefing.scene.panels:
        pano.add_panel(p.id, p.yaw, p.pitch, p.width, p.height, images[p.id])
        cube.add_panel(p.id, p.yaw, p.pitch, p.width, p.height, images[p.id])
    a, pano_first, pano_ms = timed(lambda: pano.render(step.show), args.repeat)
    b, cube_first, cube_ms = timed(lambda: cube.render(step.show), args.repeat)
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    psnr = 10 * np.log10(255**2 / mse) if mse else float("inf")
    rows = [("panoramic pass", pano_first, pano_ms), ("six cube faces + numpy", cube_first, cube_ms)]
    print(f"capture of '{step.title}' ({len(step.show)} panels) at {width}×{height}, median of {args.repeat}")
    print(f"{'method':<26}{'first ms':>10}{'median ms':>11}")
    for name, first, med in rows:
        print(f"{name:<26}{first:>10.0f}{med:>11.0f}")
    print(f"cube faces / panoramic: {cube_ms / pano_ms:.2f}×; agreement PSNR {psnr:.1f} dB")
    result = {"width": width, "height": height, "repeat": args.repeat,
              "panoramic_ms": round(pano_ms, 1), "panoramic_first_ms": round(pano_first, 1),
              "cubefaces_ms": round(cube_ms, 1), "cubefaces_first_ms": round(cube_first, 1),
              "cubefaces_over_panoramic": round(cube_ms / pano_ms, 2), "psnr_db": round(float(psnr), 1)}
    write_result("capture", result)


if __name__ == "__main__":
    main()
