"""Which OpenGL window VTK uses, chosen by an explicit call, and the pixel-exact camera.

VTK picks its window class when a window is created (from VTK_DEFAULT_OPENGL_WINDOW, else
X): with no display it would try X and fail.  Offscreen work (render, calibrate, tests) calls
`use_offscreen()` first; the live show calls `use_onscreen()`.  Nothing here happens on import.
"""

from __future__ import annotations

import ctypes.util
import os

OFFSCREEN_WINDOWS = ("vtkEGLRenderWindow", "vtkOSOpenGLRenderWindow")


def use_offscreen() -> str | None:
    """Pick VTK's offscreen window for windows made from now on; returns the choice (None: VTK's default).

    With a DISPLAY (a desk, the room, Xvfb) VTK's default X window is kept.  Without one we
    prefer EGL, then OSMesa, and only force a backend whose library is present (forcing a
    missing one segfaults).  An explicit VTK_DEFAULT_OPENGL_WINDOW always wins.
    """
    configure_pyvista()
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


def use_onscreen() -> None:
    """Real windows on the display: drop an offscreen choice (inherited from a headless parent)."""
    configure_pyvista()
    if os.environ.get("VTK_DEFAULT_OPENGL_WINDOW") in OFFSCREEN_WINDOWS:
        os.environ.pop("VTK_DEFAULT_OPENGL_WINDOW")


def configure_pyvista() -> None:
    """pyvista's defaults for Bridge: 8× multisampling is 5–10× slower in software GL and buys nothing here."""
    import pyvista as pv

    pv.global_theme.multi_samples = 0
    pv.global_theme.smooth_shading = False


def pixel_exact_camera(camera, width: int, height: int) -> None:
    """A parallel camera whose view is exactly a width × height quad at z = 0: one pixel per unit."""
    camera.ParallelProjectionOn()
    camera.SetFocalPoint(width / 2, height / 2, 0)
    camera.SetPosition(width / 2, height / 2, 10)
    camera.SetViewUp(0, 1, 0)
    camera.SetParallelScale(height / 2)
    camera.SetClippingRange(1, 100)
