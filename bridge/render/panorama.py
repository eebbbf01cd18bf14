"""Draw panels in 3D round a viewer and capture one equirectangular 360° frame.

Capture method: VTK's `vtkPanoramicProjectionPass` (measured here: 4096×2048 in ~0.05–0.3 s
a frame once warm).  It renders a cube map from the camera and resamples it on the GPU,
so one pass gives the whole sphere with no seams.  See docs/developer.md, "Capture method".
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pyvista as pv
import vtk

from bridge.backend import use_offscreen
from bridge.geometry import PANEL_RADIUS, direction, equirect_texture_uv, panel_extent
from bridge.theme import DEFAULT_THEME


def panel_mesh(yaw: float, pitch: float, width: float, height: float, radius: float = PANEL_RADIUS) -> pv.PolyData:
    """A curved quad strip on a cylinder round the viewer, textured left-to-right, bottom-to-top.

    Columns are evenly spaced in yaw and the strip is vertical, so its corners sit at
    exactly the panel's yaw/pitch extent and its content is undistorted on a curved wall.
    """
    y0, y1, p0, p1 = panel_extent(yaw, pitch, width, height)
    segments = max(2, math.ceil(width / 1.0))  # 1° facets: chord error < 0.004% of radius
    yaws = np.linspace(y0, y1, segments + 1)
    ring = direction(yaws, 0.0) * radius
    z0, z1 = radius * math.tan(math.radians(p0)), radius * math.tan(math.radians(p1))
    bottom = ring.copy()
    bottom[:, 2] = z0
    top = ring.copy()
    top[:, 2] = z1
    points = np.vstack([bottom, top])
    n = segments + 1
    faces = np.hstack([[4, i, i + 1, n + i + 1, n + i] for i in range(segments)])
    mesh = pv.PolyData(points, faces)
    u = np.linspace(0, 1, n)
    mesh.active_texture_coordinates = np.column_stack([np.concatenate([u, u]), np.repeat([0.0, 1.0], n)])
    return mesh


class EquirectRenderer:
    """One offscreen VTK scene reused for every step: panels are added once, steps toggle them."""

    def __init__(self, width: int, height: int, cube_resolution: int | None = None,
                 background: str = DEFAULT_THEME.background, dim: float = DEFAULT_THEME.dim):
        if width != 2 * height:
            raise ValueError("an equirectangular frame is twice as wide as it is tall")
        use_offscreen()
        self.width, self.height = width, height
        self.dim = dim  # brightness of panels a highlighted step does not pick out
        self.plotter = pv.Plotter(off_screen=True, window_size=[width, height])
        # pyvista declares Plotter.set_background with functools.wraps, which typeshed does not bind to the instance
        self.plotter.set_background(background)  # type: ignore[arg-type]
        renderer = self.plotter.renderer
        renderer.GetCullers().RemoveAllItems()  # objects outside the main camera must not vanish
        camera = self.plotter.camera
        camera.position = (0, 0, 0)
        camera.focal_point = (0, 1, 0)
        camera.up = (0, 0, 1)
        camera.clipping_range = (0.1, 1000)
        self.plotter.camera_set = True  # stop pyvista resetting our camera on first render
        pano = vtk.vtkPanoramicProjectionPass()
        pano.SetProjectionTypeToEquirectangular()
        pano.SetAngle(360)
        pano.SetCubeResolution(cube_resolution or max(256, width // 4))
        pano.InterpolateOn()
        passes = vtk.vtkRenderPassCollection()
        for p in (vtk.vtkLightsPass(), vtk.vtkOpaquePass(), vtk.vtkTranslucentPass(), vtk.vtkOverlayPass()):
            passes.AddItem(p)
        sequence = vtk.vtkSequencePass()
        sequence.SetPasses(passes)
        camera_pass = vtk.vtkCameraPass()
        camera_pass.SetDelegatePass(sequence)
        pano.SetDelegatePass(camera_pass)
        renderer.SetPass(pano)
        self._pano = pano
        self._actors: dict[str, tuple] = {}
        self._solids: dict[str, tuple] = {}
        self._backdrop: tuple | None = None  # (key, actor)

    def add_panel(self, panel_id: str, yaw: float, pitch: float, width: float, height: float,
                  image: np.ndarray) -> None:
        """Place a panel's image on its curved strip (hidden until a step shows it)."""
        mesh = panel_mesh(yaw, pitch, width, height)
        actor = self.plotter.add_mesh(mesh, texture=panel_texture(image), lighting=False, name=panel_id, render=False)
        actor.visibility = False
        self._actors[panel_id] = (actor, image)

    def set_images(self, panel_id: str, image: np.ndarray) -> None:
        """Swap a panel's picture (a step that marks rows shows a variant); a no-op if unchanged."""
        actor, shown = self._actors[panel_id]
        if image is not shown:
            actor.texture = panel_texture(image)
            self._actors[panel_id] = (actor, image)

    def add_solid(self, panel_id: str, mesh: pv.PolyData, colours: np.ndarray, value_range: tuple[float, float]) -> None:
        """3D geometry for a panel (hidden until a step shows it), coloured by its 'value' cells
        through `colours` (256 RGBA rows, 0..1) over `value_range`; lit, and dimmed like a panel."""
        lut = pv.LookupTable(values=(colours * 255).astype(np.uint8))
        lut.scalar_range = value_range
        dim_lut = pv.LookupTable(values=(colours * np.array([self.dim, self.dim, self.dim, 1]) * 255).astype(np.uint8))
        dim_lut.scalar_range = value_range
        actor = self.plotter.add_mesh(mesh, scalars="value", cmap=None, show_scalar_bar=False, lighting=True,
                                      name=f"{panel_id}-prisms", smooth_shading=False, render=False)
        actor.mapper.lookup_table = lut
        actor.mapper.scalar_range = lut.scalar_range
        actor.prop.ambient = 0.35
        actor.prop.diffuse = 0.75
        actor.visibility = False
        self._solids[panel_id] = (actor, lut, dim_lut)

    def set_backdrop(self, key: str | None, image: np.ndarray | None = None, brightness: float = 1.0) -> None:
        """A 360° photo on a sphere round everything (None: the plain background); `key` names
        the picture so the same one is not uploaded twice."""
        if key is None:
            if self._backdrop is not None:
                self._backdrop[1].visibility = False
            return
        if self._backdrop is None or self._backdrop[0] != key:
            # a key comes with its picture (None only with key None)
            actor = self.plotter.add_mesh(backdrop_sphere(), texture=panel_texture(cast(np.ndarray, image)), lighting=False,
                                          name="backdrop", render=False)
            self._backdrop = (key, actor)
        actor = self._backdrop[1]
        actor.prop.color = (brightness,) * 3  # unlit texture times the actor's colour
        actor.visibility = True

    def render(self, visible: list[str], highlight: list[str] | None = None) -> np.ndarray:
        """The frame (height, width, 3) uint8 with only `visible` panels shown; if any are
        highlighted, the other visible panels are dimmed."""
        for panel_id, (actor, _) in self._actors.items():
            actor.visibility = panel_id in visible
            # Unlit textures are multiplied by the actor's colour: grey dims a panel for free.
            actor.prop.color = (self.dim,) * 3 if highlight and panel_id not in highlight else (1.0, 1.0, 1.0)
        for panel_id, (actor, lut, dim_lut) in self._solids.items():
            actor.visibility = panel_id in visible
            actor.mapper.lookup_table = dim_lut if highlight and panel_id not in highlight else lut
        self.plotter.render()  # screenshot() alone renders only on its first call
        return cast(np.ndarray, self.plotter.screenshot(return_img=True))[..., :3].copy()

    def close(self) -> None:
        self.plotter.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


BACKDROP_RADIUS = 200.0  # far behind every panel and prism


def backdrop_sphere(radius: float = BACKDROP_RADIUS, step_deg: float = 1.0) -> pv.PolyData:
    """A sphere seen from inside, textured so an equirectangular picture lands where its pixels
    say: u even in yaw (−180 at the left edge), v even in pitch (−90 at the bottom)."""
    yaws = np.arange(-180.0, 180.0 + step_deg / 2, step_deg)
    pitches = np.arange(-90.0, 90.0 + step_deg / 2, step_deg)
    yy, pp = np.meshgrid(yaws, pitches)  # rows: pitch upwards; the seam's column is doubled
    points = direction(yy.ravel(), pp.ravel()) * radius
    nx, ny = len(yaws), len(pitches)
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(ny - 1))
    a = (j * nx + i).ravel()
    faces = np.column_stack([np.full(a.size, 4), a, a + 1, a + nx + 1, a + nx]).ravel()
    mesh = pv.PolyData(points, faces)
    mesh.active_texture_coordinates = np.column_stack(equirect_texture_uv(yy.ravel(), pp.ravel()))
    return mesh


def panel_texture(image: np.ndarray) -> pv.Texture:
    texture = pv.Texture(np.ascontiguousarray(image))  # pyvista flips: row 0 is the top
    texture.interpolate = True
    texture.mipmap = True
    return texture
