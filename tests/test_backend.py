"""The OpenGL window is chosen by an explicit call, never by importing a module."""

import os
import subprocess
import sys

import pytest

from bridge.backend import pixel_exact_camera

CLEAN = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "VTK_DEFAULT_OPENGL_WINDOW")}


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=CLEAN, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
def test_importing_bridge_changes_nothing():
    code = ("import os, bridge.render.panorama, bridge.room.gpu, bridge.show.windows, bridge.render.pipeline, bridge.cli;"
            "print(os.environ.get('VTK_DEFAULT_OPENGL_WINDOW'))")
    assert run(code) == "None"


@pytest.mark.slow
def test_offscreen_choice_then_a_window_of_that_kind():
    code = ("from bridge.backend import use_offscreen; import vtk;"
            "choice = use_offscreen(); print(choice, vtk.vtkRenderWindow().GetClassName())")
    choice, made = run(code).split()
    assert choice in ("vtkEGLRenderWindow", "vtkOSOpenGLRenderWindow") and made == choice


@pytest.mark.slow
def test_onscreen_drops_an_inherited_offscreen_choice():
    code = ("import os; os.environ['VTK_DEFAULT_OPENGL_WINDOW'] = 'vtkOSOpenGLRenderWindow';"
            "from bridge.backend import use_onscreen; use_onscreen(); print(os.environ.get('VTK_DEFAULT_OPENGL_WINDOW'))")
    assert run(code) == "None"


def test_pixel_exact_camera_frames_the_quad():
    import vtk

    camera = vtk.vtkCamera()
    pixel_exact_camera(camera, 1920, 1200)
    assert camera.GetParallelProjection() and camera.GetParallelScale() == 600
    assert camera.GetFocalPoint() == (960, 600, 0) and camera.GetViewUp() == (0, 1, 0)
