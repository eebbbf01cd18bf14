"""Draw panels in 3D round a viewer and capture one equirectangular 360° frame.

Capture method: VTK's `vtkPanoramicProjectionPass` (measured here: 4096×2048 in ~0.05–0.3 s
a frame once warm).  It renders a cube map from the camera and resamples it on the GPU,
so one pass gives the whole sphere with no seams.  See README "Capture method".
"""

from __future__ import annotations

import ctypes.util
import math
import os

import numpy as np

from bridge.layout import PANEL_RADIUS, direction, panel_extent



def choose_offscreen_backend() -> str | None:
    """Pick VTK's offscreen window before VTK loads, so it does not try a missing X server.

    With a DISPLAY (a desk, the room, Xvfb) VTK's default X window is used.  Without one we
    prefer EGL, then OSMesa, and only force a backend whose library is present (forcing a
    missing one segfaults).
    """
    if os.environ.get("VTK_DEFAULT_OPENGL_WINDOW") or os.environ.get("DISPLAY"):
        return os.environ.get("VTK_DEFAULT_OPENGL_WINDOW")
    if ctypes.util.find_library("EGL"):
        choice = "vtkEGLRenderWindow"
    elif ctypes.util.find_library("OSMesa"):
        choice = "vtkOSOpenGLRenderWindow"
    else:
        return None
    os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = choice
    return choice


choose_offscreen_backend()

import pyvista as pv  # noqa: E402
import vtk  # noqa: E402

DIM = 0.35  # brightness of panels a highlighted step does not pick out

pv.global_theme.multi_samples = 0  # 8x MSAA is 5-10x slower in software GL and buys nothing here
pv.global_theme.smooth_shading = False


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

    def __init__(self, width: int, height: int, cube_resolution: int | None = None, background: str = "#05070b"):
        if width != 2 * height:
            raise ValueError("an equirectangular frame is twice as wide as it is tall")
        self.width, self.height = width, height
        self.plotter = pv.Plotter(off_screen=True, window_size=(width, height))
        self.plotter.set_background(background)
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
        self._prisms: dict[str, tuple] = {}

    def add_panel(self, panel_id: str, yaw: float, pitch: float, width: float, height: float,
                  image: np.ndarray) -> None:
        """Place a panel's image on its curved strip (hidden until a step shows it)."""
        mesh = panel_mesh(yaw, pitch, width, height)
        actor = self.plotter.add_mesh(mesh, texture=_texture(image), lighting=False, name=panel_id)
        actor.visibility = False
        self._actors[panel_id] = (actor, image)

    def set_images(self, panel_id: str, image: np.ndarray) -> None:
        """Swap a panel's picture (a step that marks rows shows a variant); a no-op if unchanged."""
        actor, shown = self._actors[panel_id]
        if image is not shown:
            actor.texture = _texture(image)
            self._actors[panel_id] = (actor, image)

    def add_extruded(self, panel_id: str, yaw: float, pitch: float, width: float, height: float,
                     polygons, values: np.ndarray, palette: str, height_scale: float = 1.0) -> None:
        """3D prisms on a table in front of the viewer, filling the panel's box of angles."""
        mesh, lut, dim_lut = extruded_mesh(yaw, pitch, width, height, polygons, values, palette, height_scale)
        actor = self.plotter.add_mesh(mesh, scalars="value", cmap=None, show_scalar_bar=False, lighting=True,
                                      name=f"{panel_id}-prisms", smooth_shading=False)
        actor.mapper.lookup_table = lut
        actor.mapper.scalar_range = lut.scalar_range
        actor.prop.ambient = 0.35
        actor.prop.diffuse = 0.75
        actor.visibility = False
        self._prisms[panel_id] = (actor, lut, dim_lut)

    def render(self, visible: list[str], highlight: list[str] | None = None) -> np.ndarray:
        """The frame (height, width, 3) uint8 with only `visible` panels shown; if any are
        highlighted, the other visible panels are dimmed."""
        for panel_id, (actor, _) in self._actors.items():
            actor.visibility = panel_id in visible
            # Unlit textures are multiplied by the actor's colour: grey dims a panel for free.
            actor.prop.color = (DIM,) * 3 if highlight and panel_id not in highlight else (1.0, 1.0, 1.0)
        for panel_id, (actor, lut, dim_lut) in self._prisms.items():
            actor.visibility = panel_id in visible
            actor.mapper.lookup_table = dim_lut if highlight and panel_id not in highlight else lut
        self.plotter.render()  # screenshot() alone renders only on its first call
        return self.plotter.screenshot(return_img=True)[..., :3].copy()

    def close(self) -> None:
        self.plotter.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def extruded_mesh(yaw: float, pitch: float, width: float, height: float, polygons, values: np.ndarray,
                  palette: str, height_scale: float = 1.0):
    """Prisms whose heights encode `values`, laid on a horizontal table below eye level.

    The map's centre sits at the panel's yaw and pitch, 6 units away (inside the panel
    cylinder, so walls never hide it); its width fills `width` degrees and north points away
    from the viewer.  Returns the mesh with a 'value' cell array and normal and dimmed colour tables.
    """
    from matplotlib import colormaps

    # Every shell of every area (islands included; holes are left filled: prisms are solid).
    shells = [(part[0], value) for area, value in zip(polygons, values) for part in area]
    allxy = np.concatenate([ring for ring, _ in shells])
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    centre = (lo + hi) / 2
    # The table lies below eye level so its near edge is seen at the box's bottom pitch and its
    # far edge at the top (at most 8 units away: inside the walls that carry the panels).
    top_pitch = math.radians(min(pitch + height / 2, -3.0))
    bottom_pitch = math.radians(min(pitch - height / 2, math.degrees(top_pitch) - 5))
    eye_above = 8.0 * math.tan(-top_pitch)
    near, far = eye_above / math.tan(-bottom_pitch), eye_above / math.tan(-top_pitch)
    box_depth = far - near
    box_width = 2 * (near + far) / 2 * math.tan(math.radians(min(width, 170) / 2)) * 0.92
    scale = min(box_depth / max(hi[1] - lo[1], 1e-9), box_width / max(hi[0] - lo[0], 1e-9))
    depth = (hi[1] - lo[1]) * scale
    distance = (near + far) / 2
    z0 = -eye_above
    finite = np.where(np.isfinite(values), values, np.nan)
    vmin, vmax = np.nanmin(finite), np.nanmax(finite)
    tallest = min(0.1 * depth, 0.6 * eye_above) * height_scale  # prisms stay below eye level
    a = math.radians(yaw)
    right = np.array([math.cos(a), -math.sin(a)])  # screen-right of the viewer facing `yaw`
    ahead = np.array([math.sin(a), math.cos(a)])
    points, caps, cap_values, sides, side_values = [], [], [], [], []
    count = 0
    for ring, value in shells:
        if not np.isfinite(value):
            continue
        ring = ring[:-1] if np.allclose(ring[0], ring[-1]) else ring
        if len(ring) < 3:
            continue
        local = (ring - centre) * scale
        world = local[:, :1] * right + (local[:, 1:2] + distance) * ahead
        h = tallest * (0.04 + 0.96 * (value - vmin) / max(vmax - vmin, 1e-12))
        n = len(world)
        points.append(np.column_stack([world, np.full(n, z0 + h)]))  # top ring: count .. count+n
        points.append(np.column_stack([world, np.full(n, z0)]))  # bottom ring
        caps.append(np.r_[n, count + np.arange(n)])
        cap_values.append(value)
        i = np.arange(n)
        j = (i + 1) % n
        sides.append(np.column_stack([np.full(n, 4), count + i, count + j, count + n + j, count + n + i]).ravel())
        side_values.append(np.full(n, value))
        count += 2 * n
    all_points = np.vstack(points)
    # One triangulation for every cap (concave shells need ear-clipping): far faster than one per area.
    top = pv.PolyData(all_points, np.concatenate(caps))
    top.cell_data["value"] = np.array(cap_values)
    top = top.triangulate()
    walls = pv.PolyData(all_points, np.concatenate(sides))
    mesh = pv.PolyData(all_points, np.concatenate([top.faces, walls.faces]))
    cell_values = [top.cell_data["value"], np.concatenate(side_values)]
    mesh.cell_data["value"] = np.concatenate(cell_values)
    colours = colormaps[palette](np.linspace(0.18, 1.0, 256))
    lut = pv.LookupTable(values=(colours * 255).astype(np.uint8))
    lut.scalar_range = (float(vmin), float(vmax))
    dim_lut = pv.LookupTable(values=(colours * np.array([DIM, DIM, DIM, 1]) * 255).astype(np.uint8))
    dim_lut.scalar_range = (float(vmin), float(vmax))
    return mesh, lut, dim_lut


def _texture(image: np.ndarray) -> pv.Texture:
    texture = pv.Texture(np.ascontiguousarray(image))  # pyvista flips: row 0 is the top
    texture.interpolate = True
    texture.mipmap = True
    return texture
