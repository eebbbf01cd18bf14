"""The CLI end to end, as a user runs it: exit codes, messages without tracebacks, files written."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from bridge import cli
from bridge.commands import options, rooms
from bridge.errors import BridgeError, Problem
from bridge.geometry import pitch_to_y, yaw_to_x
from tests.conftest import MINIMAL, ROOT, write_scene


def bridge(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "bridge", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.slow
def test_help_and_version():
    result = bridge("--help")
    assert result.returncode == 0
    for command in ("validate", "render", "calibrate", "split", "launch", "rooms", "schema"):
        assert command in result.stdout
        assert bridge(command, "--help").returncode == 0
    from bridge import __version__

    assert bridge("--version").stdout.strip() == f"bridge {__version__}"


@pytest.mark.slow
def test_validate_sample():
    result = bridge("validate", ROOT / "scenes" / "finding-dave.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")
    assert "198" in result.stdout


@pytest.mark.slow
def test_validate_bad_scene_exit_2_no_traceback(workdir):
    path = write_scene(workdir, MINIMAL.replace("yaw: 0,", "yaw: 400,").replace("show: [note]", "show: [nope]"))
    result = bridge("validate", path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert f"error: {path}:6: panels[0].yaw: 400 is outside -180..180" in lines
    assert f"error: {path}:8: steps[0].show[0]: no panel 'nope' (did you mean 'note'?); panels: note" in lines
    assert lines[-1] == "2 problems"


@pytest.mark.slow
def test_validate_missing_file():
    result = bridge("validate", "nowhere.yaml")
    assert result.returncode == 2 and "not found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("size", ["1000x300", "big", "100x50"])
def test_bad_size(workdir, size):
    result = bridge("render", write_scene(workdir, MINIMAL), "--size", size, "--out", workdir / "o")
    assert result.returncode == 2 and "--size" in result.stderr and "Traceback" not in result.stderr
    assert not (workdir / "o").exists()


@pytest.mark.slow
def test_render_writes_frames_projectors_and_sheet(workdir):
    text = MINIMAL.replace("steps:", "  - {id: kpi, type: kpi, value: sum(people.total), label: residents, yaw: 72, pitch: -5, width: 30, height: 14}\nsteps:")
    text += "  - {title: Two, show: [note, kpi]}\n"
    scene = write_scene(workdir, text)
    (workdir / "o").mkdir()
    keep = workdir / "o" / "mine.txt"
    keep.write_text("analyst's notes")
    result = bridge("render", scene, "--out", workdir / "o", "--size", "1024x512", "--room", "bridge")
    assert result.returncode == 0, result.stderr
    for step in ("step-01", "step-02"):
        assert (workdir / "o" / step / "equirect.png").exists()
        for k in range(1, 6):
            img = Image.open(workdir / "o" / step / f"projector-{k}.png")
            assert img.size == (1920, 1200)
    assert Image.open(workdir / "o" / "step-01" / "equirect.png").size == (1024, 512)
    assert (workdir / "o" / "contact-sheet.png").exists()
    assert keep.read_text() == "analyst's notes"
    assert str(workdir / "o" / "contact-sheet.png") in result.stdout
    # The KPI appears in step 2 only, at its yaw.
    one = np.asarray(Image.open(workdir / "o" / "step-01" / "equirect.png"))
    two = np.asarray(Image.open(workdir / "o" / "step-02" / "equirect.png"))
    x, y = int(yaw_to_x(72, 1024)), int(pitch_to_y(-5, 512))
    assert one[y - 5:y + 5, x - 20:x + 20].max() < 20  # background only
    assert two[y - 20:y + 20, x - 40:x + 40].max() > 200  # the bright number


@pytest.mark.slow
def test_render_one_step_and_default_out(workdir):
    scene = write_scene(workdir, MINIMAL, name="tiny.yaml")
    result = bridge("render", scene, "--step", "1", "--size", "512x256", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert (workdir / "out" / "tiny" / "step-01" / "projector-5.png").exists()
    result = bridge("render", scene, "--step", "3", "--size", "512x256", cwd=workdir)
    assert result.returncode == 2 and "no step 3" in result.stderr


@pytest.mark.slow
def test_rooms_lists_shipped_profiles():
    result = bridge("rooms")
    assert result.returncode == 0
    assert "bridge (default)" in result.stdout and "rehearsal" in result.stdout
    assert "1920×1200" in result.stdout


@pytest.mark.slow
def test_bad_room_is_reported(workdir):
    room = workdir / "room.yaml"
    room.write_text("name: x\nscreen: {radius_m: 3, height_m: 2, eye_height_m: 1}\nprojectors:\n"
                    "  - {yaw: -60, span_deg: 50, resolution: [10, 10]}\n  - {yaw: 60, span_deg: 50, resolution: [10, 10]}\n")
    result = bridge("render", write_scene(workdir, MINIMAL), "--room", room, "--size", "512x256")
    assert result.returncode == 2
    assert "gap of 70.0°" in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.slow
def test_schema_is_json_and_committed_copy_is_current():
    result = bridge("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Bridge scene"
    committed = json.loads((ROOT / "bridge-scene.schema.json").read_text())
    assert committed == schema, "run: bridge schema > bridge-scene.schema.json"


@pytest.mark.slow
def test_calibrate_writes_patterns(tmp_path):
    result = bridge("calibrate", "--room", "rehearsal", "--out", tmp_path / "cal", "--size", "2048x1024")
    assert result.returncode == 0, result.stderr
    for pattern in ("grid", "blend", "ids", "colour"):
        for k in (1, 2, 3):
            img = Image.open(tmp_path / "cal" / pattern / f"projector-{k}.png")
            assert img.size == (1280, 800)
    blend = np.asarray(Image.open(tmp_path / "cal" / "blend" / "projector-1.png"))
    assert blend[400, 640].min() == 255 and blend[400, 0].max() < 40  # white centre, ramped edge
    ids = np.asarray(Image.open(tmp_path / "cal" / "ids" / "projector-2.png"))
    assert (ids[300:500, 560:720].max(axis=-1) > 100).sum() > 500  # a big number in the middle


@pytest.mark.slow
def test_calibrate_one_pattern(tmp_path):
    result = bridge("calibrate", "--pattern", "grid", "--out", tmp_path / "cal", "--size", "1024x512")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cal" / "grid" / "projector-5.png").exists()
    assert not (tmp_path / "cal" / "blend").exists()


@pytest.mark.slow
def test_split_any_picture(tmp_path):
    frame = np.zeros((512, 1024, 3), np.uint8)
    frame[:, 512 - 10:512 + 10] = (0, 255, 0)  # a green band at yaw 0
    Image.fromarray(frame).save(tmp_path / "pano.jpg", quality=95)
    result = bridge("split", tmp_path / "pano.jpg", "--out", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    front = np.asarray(Image.open(tmp_path / "s" / "projector-1.png"))
    assert front.shape == (1200, 1920, 3)
    assert front[600, 960, 1] > 200 and front[600, 960, 0] < 60
    assert np.asarray(Image.open(tmp_path / "s" / "projector-3.png")).max() < 40


@pytest.mark.slow
@pytest.mark.parametrize("content,fragment", [(b"not an image", "cannot read this as an image"), (None, "exactly twice as wide as tall")])
def test_split_refuses_bad_images(tmp_path, content, fragment):
    path = tmp_path / "bad.png"
    if content is None:
        Image.new("RGB", (300, 200)).save(path)
    else:
        path.write_bytes(content)
    result = bridge("split", path, "--out", tmp_path / "s")
    assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_launch_bad_input_is_a_clear_error_not_a_traceback(workdir, tmp_path):
    import os

    scene = write_scene(workdir, MINIMAL.replace("show: [note]", "show: [nope]"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "bridge", "launch", str(scene)], capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "no display" in result.stderr and "Traceback" not in result.stderr
    env["DISPLAY"] = ":31999"  # never opened: the scene is refused before any window
    env["BRIDGE_CACHE"] = str(tmp_path / "cache")
    result = subprocess.run([sys.executable, "-m", "bridge", "launch", str(scene), "--room", "rehearsal",
                             "--log", str(tmp_path / "show.log")], capture_output=True, text=True, env=env)
    assert result.returncode == 2, result.stderr
    assert "scene.yaml:8: steps[0].show[0]: no panel 'nope'" in result.stderr and "Traceback" not in result.stderr
    assert "no panel 'nope'" in (tmp_path / "show.log").read_text()  # errors are logged too
    result = subprocess.run([sys.executable, "-m", "bridge", "launch", str(scene), "--windowed", "--fit", "tiny"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "--fit" in result.stderr


@pytest.mark.slow
def test_launch_needs_a_scene_or_patterns():
    import os

    env = dict(os.environ, DISPLAY=":987")
    for args in ([], ["scenes/finding-dave.yaml", "--patterns"]):
        result = subprocess.run([sys.executable, "-m", "bridge", "launch", *args], capture_output=True, text=True, env=env)
        assert result.returncode == 2 and "--patterns" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_validate_reports_unmatched_keys(workdir):
    import pandas as pd

    path = workdir / "data" / "census21_age_shropshire.csv"
    pd.read_csv(path).iloc[3:].to_csv(path, index=False)
    result = bridge("validate", write_scene(workdir, MINIMAL))
    assert result.returncode == 0
    assert "scene.yaml:4: datasets.people: 3 of 198 areas have no row" in result.stderr


# One error path: `option: message` for bad options, escaped text, never a traceback.


@pytest.mark.parametrize("text,message", [
    ("99999x49999", "--size: width 99999 is outside 256..16384, e.g. 4096x2048"),
    ("128x64", "--size: width 128 is outside 256..16384, e.g. 4096x2048"),
    ("4096x4096", "--size: 4096x4096 is not 2:1; an equirectangular frame is twice as wide as tall, e.g. 4096x2048"),
    ("1" * 50 + "x1", "--size: '" + "1" * 40 + "' is not WIDTHxHEIGHT, e.g. 4096x2048"),
    ("\x1b[2J", "--size: '\\x1b[2J' is not WIDTHxHEIGHT, e.g. 4096x2048"),
])
def test_parse_size_refusals(text, message):
    with pytest.raises(BridgeError) as info:
        options.parse_size(text)
    assert str(info.value) == message


def test_parse_size_accepts_the_range():
    assert options.parse_size("256x128") == (256, 128)
    assert options.parse_size(" 16384 × 8192 ") == (16384, 8192)


def test_room_problems_without_a_file_are_the_options():
    with pytest.raises(BridgeError) as info:
        options.load_room_option("bridg")
    assert str(info.value).startswith("--room: room 'bridg' is neither a shipped profile (did you mean 'bridge'?)")


def test_argparse_errors_read_option_colon_message(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["render", "scene.yaml", "--step", "x\x1b[2J"])
    assert info.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "error: --step: 'x\\x1b[2J' is not a step number; steps count from 1, e.g. --step 2"


def test_problems_are_printed_escaped_one_line_each(monkeypatch, capsys):
    def run(args):
        raise BridgeError([Problem("s.yaml", 3, "title", "bad \x1b[31mred\nsecond line [bold]x[/bold]"), "plain"])

    monkeypatch.setattr(rooms, "run", run)
    assert cli.main(["rooms"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: s.yaml:3: title: bad \\x1b[31mred\\nsecond line [bold]x[/bold]", "error: plain", "2 problems"]


def test_library_warnings_are_printed_escaped(monkeypatch, capsys):
    import warnings

    def run(args):
        warnings.warn("column '\x1b[31mred' looks odd", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(rooms, "run", run)
    assert cli.main(["rooms"]) == 0
    assert capsys.readouterr().err.strip() == "warning: UserWarning: column '\\x1b[31mred' looks odd"


@pytest.mark.slow
def test_render_refuses_a_step_past_the_end_before_writing(workdir):
    result = bridge("render", write_scene(workdir, MINIMAL), "--step", "3", "--out", workdir / "o", "--size", "512x256")
    assert result.returncode == 2 and "error: --step: there is no step 3; the scene has steps 1..1" in result.stderr
    assert not (workdir / "o").exists()
