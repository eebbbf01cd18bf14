"""Default output folders: whatever a scene, room or image file is called, Bridge writes only
under out/, in one plain folder named after it (issue 25: `...yaml` wrote into `out/..`)."""

from pathlib import Path

import pytest

from bridge import cli
from bridge.render.output import default_out_dir
from tests.conftest import MINIMAL, write_scene


@pytest.mark.parametrize("name", ["finding-dave", "Q3 review", "scene_2", "café", "a.b", "v1.2-final"])
def test_ordinary_names_are_kept(name):
    assert default_out_dir(name) == Path("out") / name


def test_a_group_folder_comes_first():
    assert default_out_dir("rehearsal", group="calibration") == Path("out") / "calibration" / "rehearsal"
    assert default_out_dir("..", group="split", fallback="image") == Path("out") / "split" / "image"


@pytest.mark.parametrize("name, folder", [
    ("..", "scene"),
    (".", "scene"),
    ("", "scene"),
    ("   ", "scene"),
    ("...", "scene"),
    (".hidden", "hidden"),
    ("..secret", "secret"),
    ("a/b", "a-b"),
    ("../../etc", "etc"),
    ("a\\b", "a-b"),
    ("..\\..\\windows", "windows"),
    ("c:briefing", "c-briefing"),
    ("C:", "C"),
    ("bell\x07\nname\x1b[2J", "bell-name-[2J"),
    ("\x00", "scene"),
    ("trailing. ", "trailing"),
    ("what?*<>|\"", "what"),
    ("CON", "CON-scene"),
    ("nul", "nul-scene"),
])
def test_unsafe_names_become_one_plain_folder(name, folder):
    assert default_out_dir(name) == Path("out") / folder


@pytest.mark.parametrize("name", [
    "..", ".", "", "a/b", "../../x", "\\\\server\\share", "/abs/path", "x\x00y", "\u202e\u200b", "a" * 1000,
    "é" * 300, "😀" * 200, ". .", "-" * 5, "~", "$HOME",
])
def test_any_name_stays_inside_out(name):
    folder = default_out_dir(name)
    assert folder.parent == Path("out")
    part = folder.name
    assert part not in ("", ".", "..") and not part.startswith(".")
    assert not set(part) & set("/\\:\x00")
    assert all(ch.isprintable() for ch in part)
    assert len(part) <= 100 and len(part.encode("utf-8")) <= 200


def test_long_names_are_cut_but_stay_distinct():
    a, b = default_out_dir("x" * 150 + "a"), default_out_dir("x" * 150 + "b")
    assert a != b
    assert a.name.startswith("x" * 80) and len(a.name) <= 100
    assert default_out_dir("y" * 100) == Path("out") / ("y" * 100)  # exactly at the cap: kept


@pytest.mark.slow  # a full render
def test_render_default_out_of_a_scene_named_dotdot_stays_under_out(workdir, monkeypatch, capsys):
    scene = write_scene(workdir, MINIMAL, "...yaml")
    run = workdir / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    assert cli.main(["render", str(scene), "--size", "512x256"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["out"]  # nothing beside out/
    assert sorted(p.name for p in (run / "out").iterdir()) == ["scene"]
    assert (run / "out" / "scene" / "step-01" / "equirect.png").is_file()
    assert (run / "out" / "scene" / "contact-sheet.png").is_file()
    assert "out/scene/contact-sheet.png" in capsys.readouterr().out


@pytest.mark.slow  # a full render
def test_render_default_out_of_an_ordinary_scene_is_unchanged(workdir, monkeypatch):
    scene = write_scene(workdir, MINIMAL, "finding-dave.yaml")
    monkeypatch.chdir(workdir)
    assert cli.main(["render", str(scene), "--size", "512x256"]) == 0
    assert (workdir / "out" / "finding-dave" / "contact-sheet.png").is_file()


def test_export_default_out_of_a_scene_named_dotdot_stays_under_out(workdir, monkeypatch):
    scene = write_scene(workdir, MINIMAL, "...yaml")
    run = workdir / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    assert cli.main(["export", str(scene), "--size", "512x256"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["out"]
    assert (run / "out" / "scene" / "export" / "index.html").is_file()


def test_launch_log_default_is_made_the_same_way():
    from bridge.show import launch

    assert launch.default_log_path(Path("scenes/...yaml")) == Path("out") / "scene" / "show.log"
    assert launch.default_log_path(Path("scenes/finding-dave.yaml")) == Path("out") / "finding-dave" / "show.log"
    assert launch.default_log_path(None) == Path("out") / "patterns" / "show.log"


def test_calibrate_default_out_of_a_room_named_dotdot_stays_under_out(tmp_path, monkeypatch):
    room = tmp_path / "...yaml"
    room.write_text((Path(cli.__file__).parent / "rooms" / "rehearsal.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    assert cli.main(["calibrate", "--room", str(room), "--pattern", "ids", "--size", "512x256"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["out"]
    assert sorted(p.name for p in (run / "out" / "calibration").iterdir()) == ["room"]
    assert (run / "out" / "calibration" / "room" / "ids" / "equirect.png").is_file()


def test_split_default_out_of_an_image_named_dotdot_stays_under_out(tmp_path, monkeypatch):
    from PIL import Image

    image = tmp_path / "...png"
    Image.new("RGB", (512, 256), (40, 80, 120)).save(image, format="PNG")
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    assert cli.main(["split", str(image), "--room", "rehearsal"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["out"]
    assert sorted(p.name for p in (run / "out" / "split").iterdir()) == ["image"]
    assert (run / "out" / "split" / "image" / "projector-1.png").is_file()
