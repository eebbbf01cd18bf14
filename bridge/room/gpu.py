"""The compositor on the GPU: a fragment shader samples the frame through the lookup table.

The live show draws each projector as one screen-filling quad whose fragment shader
(`shaders/compositor.frag`) reads the projector's lookup texture, samples the
equirectangular frame with hardware bilinear filtering, and applies blend, gain, black
level and gamma.  The lookup is the CPU compositor's, so the two paths agree, per-pixel maps
included: a warp map is in the table's source coordinates, an alpha map in its weights, and
the black level (a beta map's, per pixel) rides in the table's fourth channel.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from bridge.backend import pixel_exact_camera, use_offscreen, use_onscreen
from bridge.room.lookup import ProjectorLookup


def shader_source() -> str:
    """The shader body: shaders/compositor.frag, installed with the package as bridge.shaders
    (pyproject maps the top-level folder into it), so an installed Bridge finds it too."""
    from importlib.resources import files

    return (files("bridge.shaders") / "compositor.frag").read_text()


def shader_body(panel_layer: bool = False) -> str:
    """What VTK splices into the quad's fragment shader; with `panel_layer` the frame is a video
    under a step's panel layer (a `panels` texture, bridge/show/video.py)."""
    return "//VTK::TCoord::Impl\n" + ("#define PANEL_LAYER\n" if panel_layer else "") + shader_source()


def use_compositor_shader(actor, p, panel_layer: bool = False) -> None:
    """Make a textured quad the compositor for projector `p` (its textures set by the caller)."""
    shader = actor.GetShaderProperty()
    # Keep VTK's own texture lookups (later code uses their variables), then ours; written
    # here, our colour wins over the lighting code that follows for this unlit quad.
    shader.AddFragmentShaderReplacement("//VTK::TCoord::Impl", True, shader_body(panel_layer), False)
    uniforms = shader.GetFragmentCustomUniforms()
    uniforms.SetUniformf("gamma", float(p.gamma))
    uniforms.SetUniformf("gain", float(p.gain))


def renderer_name(render_window) -> str:
    """The OpenGL renderer a window draws with (e.g. 'llvmpipe (LLVM 15.0.6, 256 bits)')."""
    for line in (render_window.ReportCapabilities() or "").splitlines():
        if "renderer string" in line.lower():
            return line.split(":", 1)[1].strip()
    return "unknown"


SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "swiftshader", "software rasterizer", "lavapipe")


def is_software(renderer: str) -> bool:
    """True for Mesa's and others' CPU rasterisers: there the CPU compositor is the faster path."""
    return any(name in renderer.lower() for name in SOFTWARE_GL) or renderer == "unknown"


def lookup_texture(lut: ProjectorLookup, frame_width: int, frame_height: int, top_row_first: bool = False) -> pv.Texture:
    """The lookup as a float32 RGBA texture read at full precision (direct scalars, no filtering):
    source (u, v), blend weight, and black level (the projector's, or its beta map's per pixel).

    `top_row_first`: the frame texture holds the frame's top row first (a streamed video frame);
    otherwise its rows run bottom-up (a pyvista texture of an image)."""
    p = lut.projector
    weight = np.broadcast_to(lut.weight, lut.map_x.shape)
    u = (lut.map_x + 0.5) / frame_width
    v = (lut.map_y + 0.5) / frame_height
    if not top_row_first:
        v = 1.0 - v  # texture rows run bottom-up
    black = p.beta_map if p.beta_map is not None else np.full(u.shape, p.black_level, np.float32)
    rgba = np.dstack([u, v, weight, black]).astype(np.float32)[::-1]  # image rows bottom-up
    image = pv.ImageData(dimensions=(lut.map_x.shape[1], lut.map_x.shape[0], 1))
    image.point_data["lut"] = rgba.reshape(-1, 4)
    texture = pv.Texture(image)
    texture.SetColorModeToDirectScalars()
    texture.interpolate = False
    texture.repeat = False
    return texture


class GpuProjector:
    """One projector's output window (offscreen here, a real window in the show)."""

    def __init__(self, lut: ProjectorLookup, frame: np.ndarray, off_screen: bool = True):
        p = lut.projector
        self.lut = lut
        if off_screen:
            use_offscreen()
        else:
            use_onscreen()
        self.plotter = pv.Plotter(off_screen=off_screen, window_size=[p.width, p.height])
        quad = pv.Plane(center=(p.width / 2, p.height / 2, 0), direction=(0, 0, 1),
                        i_size=p.width, j_size=p.height, i_resolution=1, j_resolution=1)
        self.actor = self.plotter.add_mesh(quad, lighting=False, show_scalar_bar=False)
        prop = self.actor.GetProperty()
        prop.SetTexture("lut", lookup_texture(lut, frame.shape[1], frame.shape[0]))
        self.set_frame(frame)
        use_compositor_shader(self.actor, p)
        pixel_exact_camera(self.plotter.renderer.GetActiveCamera(), p.width, p.height)
        self.plotter.camera_set = True

    def set_frame(self, frame: np.ndarray) -> None:
        texture = pv.Texture(np.ascontiguousarray(frame))
        texture.interpolate = True
        texture.repeat = True  # wraps at ±180°
        prop = self.actor.GetProperty()
        if prop.GetTexture("equi") is not None:
            prop.RemoveTexture("equi")  # replaced, not added twice (VTK warns of that)
        prop.SetTexture("equi", texture)

    def render(self) -> np.ndarray:
        self.plotter.render()
        image = self.plotter.screenshot(return_img=True)
        assert image is not None  # return_img=True always returns the image
        return image[..., :3].copy()

    def close(self) -> None:
        self.plotter.close()
