"""Room-aware checks (bridge/render/checks.py): titles and KPI numbers must not straddle a blend zone."""

import subprocess
import sys

import pytest

from bridge.render.checks import blend_zones, seam_warnings
from bridge.room.load import load_room
from bridge.scene.model import load_scene
from tests.conftest import BASE, write_scene


def warnings_for(workdir, panels: str, room="bridge"):
    path = write_scene(workdir, BASE + "panels:\n" + panels + "steps:\n  - {title: One, show: [p]}\n")
    scene, doc = load_scene(path)
    return path, [str(w) for w in seam_warnings(scene, doc, load_room(room))]


def test_blend_zones_are_the_overlaps_of_neighbours():
    zones = blend_zones(load_room("bridge"))  # five projectors 84° wide, 72° apart: 12° overlaps
    assert len(zones) == 5
    assert all(z1 - z0 == 12 for z0, z1, _ in zones)
    assert (30, 42, "projectors 1 and 2") in zones
    assert (174, 186, "projectors 3 and 4") in zones  # across ±180°: unwrapped, start < end


@pytest.mark.slow
def test_validate_warns_about_blend_zones(workdir):
    text = BASE + "panels:\n  - {id: k, type: kpi, value: sum(people.total), yaw: 36, width: 20, height: 8}\nsteps:\n  - {title: One, show: [k]}\n"
    path = write_scene(workdir, text)
    result = subprocess.run([sys.executable, "-m", "bridge", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0
    assert "warning:" in result.stderr and "'k': its number" in result.stderr and "projectors 1 and 2" in result.stderr
    moved = subprocess.run([sys.executable, "-m", "bridge", "validate", str(write_scene(workdir, text.replace("yaw: 36", "yaw: 0")))],
                           capture_output=True, text=True)
    assert "blend zone" not in moved.stderr and "projectors 1 and 2" not in moved.stderr, moved.stderr


def test_a_title_across_the_back_seam_is_located(workdir):
    path, warnings = warnings_for(workdir, "  - {id: p, type: text, title: Behind you, text: hi, yaw: 180, width: 30, height: 10}\n")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{path}:6: panels[0].yaw: 'p': its title"), warnings
    assert "projectors 3 and 4" in warnings[0] and "move the panel's yaw or narrow it" in warnings[0]


def test_untitled_text_and_panels_inside_one_projector_are_fine(workdir):
    _, warnings = warnings_for(workdir, "  - {id: p, type: text, text: hi, yaw: 36, width: 30, height: 10}\n")
    assert warnings == []  # no title: nothing that must stay whole
    _, warnings = warnings_for(workdir, "  - {id: p, type: text, title: Ahead, text: hi, yaw: 0, width: 40, height: 10}\n")
    assert warnings == []


def test_a_panel_beyond_the_lit_band_is_warned(workdir):
    from bridge.render.checks import lit_warnings
    from bridge.room.load import load_room
    from bridge.scene.model import load_scene
    from tests.conftest import MINIMAL, write_scene

    tall = MINIMAL.replace("width: 30, height: 10}", "width: 30, height: 40}")  # pitch -20..20: the top is dark
    scene, doc = load_scene(write_scene(workdir, tall))
    (warning,) = lit_warnings(scene, doc, load_room("bridge"))
    assert "'note' reaches pitch -20°..20° but" in warning.message and "its top 5.1° (above 15°" in warning.message
    assert "lower its pitch" in warning.message
    scene, doc = load_scene(write_scene(workdir, MINIMAL))
    assert lit_warnings(scene, doc, load_room("bridge")) == []


def test_two_panels_a_step_shows_on_the_same_wall_are_warned_about(workdir):
    from bridge.render.checks import overlap_warnings

    panels = ("  - {id: a, type: text, text: A, yaw: 170, pitch: 0, width: 30, height: 10}\n"
              "  - {id: b, type: text, text: B, yaw: -170, pitch: 4, width: 20, height: 10}\n"
              "  - {id: c, type: text, text: C, yaw: 90, pitch: 0, width: 20, height: 10}\n")
    path = write_scene(workdir, BASE + "panels:\n" + panels + "steps:\n  - {title: One, show: [a, b, c]}\n  - {title: Two, show: [a, c]}\n")
    scene, doc = load_scene(path)
    found = [str(w) for w in overlap_warnings(scene, doc)]
    assert len(found) == 1, found  # a and b meet across the back seam, in step 1 only
    assert f"{path}:" in found[0] and "steps[0].show: 'a' and 'b' overlap by 5°×6°" in found[0]
