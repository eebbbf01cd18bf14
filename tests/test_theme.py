"""Themes: a validated model with located errors, a schema, and used by every draw and check."""

import json

import numpy as np
import pytest

from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from bridge.theme import DEFAULT_THEME, MIN_TEXT_DEG, load_theme, rgb255
from tests.conftest import MINIMAL, ROOT, write_scene


def test_theme_errors_name_file_line_and_key(tmp_path):
    path = tmp_path / "theme.yaml"
    path.write_text("accent: '#ff0000'\nacent: red\nsmall_deg: 0.3\ncard: notacolour\n")
    with pytest.raises(BridgeError) as info:
        load_theme(path)
    lines = [str(p) for p in info.value.problems]
    assert len(lines) == 3, lines  # every problem at once
    assert any(line.startswith(f"{path}:2: acent: unknown key (did you mean 'accent'?)") for line in lines)
    assert any(line.startswith(f"{path}:3: small_deg: 0.3") and f"at least {MIN_TEXT_DEG}" in line for line in lines)
    assert any(line.startswith(f"{path}:4: card: 'notacolour' is not a colour") for line in lines)


def test_theme_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "theme.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(BridgeError, match="a theme is a mapping"):
        load_theme(path)


@pytest.mark.slow
def test_schema_command_and_committed_copy(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "bridge", "schema", "theme"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["title"] == "Bridge theme"
    assert schema["properties"]["body_deg"]["minimum"] == MIN_TEXT_DEG
    assert schema["additionalProperties"] is False
    assert json.loads((ROOT / "bridge-theme.schema.json").read_text()) == schema, \
        "run: bridge schema theme > bridge-theme.schema.json"


def test_rgb255_reads_any_matplotlib_colour():
    assert rgb255("#12141a") == (18, 20, 26)
    assert rgb255("white") == (255, 255, 255)


def test_scene_theme_reaches_the_pictures(workdir):
    """A theme's card and background colours are what the panel and the room are drawn in."""
    (workdir / "theme.yaml").write_text("card: '#204080'\nbackground: '#302010'\n")
    path = write_scene(workdir, MINIMAL.replace("datasets:", "theme: theme.yaml\ndatasets:"))
    b = load_briefing(path)
    from bridge.render.pipeline import PanelArt, add_panels, make_renderer, render_step

    art = PanelArt(b, 1024)
    image = art.image("note")
    assert np.mean(np.all(image == (0x20, 0x40, 0x80), axis=-1)) > 0.5  # the card
    with make_renderer(b, 1024, 512) as renderer:
        add_panels(renderer, b, art)
        frame = render_step(renderer, b, art, 0)
    assert tuple(frame[10, 10]) == (0x30, 0x20, 0x10)  # the room behind, near the zenith


def test_default_theme_is_the_documented_dark_room():
    assert DEFAULT_THEME.background == "#05070b" and DEFAULT_THEME.body_deg == 1.3
    assert DEFAULT_THEME.text_width_deg("abcd", 2.0, bold=True) == pytest.approx(4 * 2.0 * 0.62)


BASE = """
title: Data
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
"""


def test_theme_file(workdir):
    (workdir / "theme.yaml").write_text("accent: '#ff0000'\nbody_deg: 1.5\n")
    text = BASE + "theme: theme.yaml\npanels:\n  - {id: p, type: text, text: hi, width: 20, height: 10}\nsteps:\n  - {title: One, show: [p]}\n"
    b = load_briefing(write_scene(workdir, text))
    assert b.theme.accent == "#ff0000" and b.theme.body_deg == 1.5
    (workdir / "theme.yaml").write_text("acent: red\nsmall_deg: 0.3\n")
    with pytest.raises(BridgeError) as info:
        load_briefing(write_scene(workdir, text))
    text = "\n".join(map(str, info.value.problems))
    assert "did you mean 'accent'" in text and "at least 0.6" in text
    (workdir / "theme.yaml").unlink()
    with pytest.raises(BridgeError, match=r"scene.yaml:\d+: theme: theme file not found"):
        load_briefing(write_scene(workdir, BASE + "theme: theme.yaml\npanels:\n  - {id: p, type: text, text: hi, width: 20, height: 10}\nsteps:\n  - {title: One, show: [p]}\n"))
