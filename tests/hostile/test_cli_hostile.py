"""Hostile command lines and output folders, escape sequences aimed at the terminal, and the one
line an unexpected internal error ends in."""

import csv
import os
import re
from pathlib import Path

import pytest

from bridge import cli
from tests.hostile.harness import (
    SCENE,
    TEXT_PANEL,
    accepted,
    refused,
    run_bridge,
    scene,
)

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess

SMALL = ("--size", "512x256")


def test_out_is_the_root(briefing):
    refused(run_bridge("render", scene(briefing), *SMALL, "--out", "/"),
            r"error: --out: / is the root of the file system; give a folder of its own")


def test_out_under_a_file(briefing):
    (briefing / "file.txt").write_text("the analyst's notes")
    refused(run_bridge("render", scene(briefing), *SMALL, "--out", "file.txt/out", cwd=briefing),
            r"error: --out: .*file\.txt is a file, so it cannot hold the folder file\.txt/out")
    assert (briefing / "file.txt").read_text() == "the analyst's notes"


def test_out_is_a_file(briefing):
    (briefing / "file.txt").write_text("the analyst's notes")
    refused(run_bridge("render", scene(briefing), *SMALL, "--out", briefing / "file.txt"),
            r"error: --out: .*file\.txt is a file; --out needs a folder")
    assert (briefing / "file.txt").read_text() == "the analyst's notes"


def test_out_is_a_dangling_symlink(briefing):
    (briefing / "out").symlink_to(briefing / "nowhere")
    refused(run_bridge("render", scene(briefing), *SMALL, "--out", briefing / "out"),
            r"error: --out: .*out is a symbolic link to .*nowhere, which does not exist")
    assert not (briefing / "nowhere").exists()


def test_out_cannot_be_written(briefing):
    if os.geteuid() == 0:  # root may write in any folder: sysfs, where no one makes folders, instead
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no sysfs to try")
        target = Path("/sys/bridge-hostile/out")
    else:
        locked = briefing / "locked"
        locked.mkdir(mode=0o555)
        target = locked / "out"
    refused(run_bridge("calibrate", *SMALL, "--out", target), r"error: --out: cannot (make the folder|write in) ")
    assert not target.exists()


def test_split_through_a_planted_symlink_writes_nothing_outside(briefing, tmp_path):
    from PIL import Image

    image = briefing / "pano.png"
    Image.new("RGB", (512, 256)).save(image)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = briefing / "split"
    out.mkdir()
    (out / "projector-1.png").symlink_to(victim)
    accepted(run_bridge("split", image, "--out", out))
    assert victim.read_text() == "precious"
    assert (out / "projector-1.png").is_file() and not (out / "projector-1.png").is_symlink()


def test_frame_size_far_too_large(briefing, tmp_path):
    refused(run_bridge("render", scene(briefing), "--size", "99999x49999", "--out", tmp_path / "o"),
            r"error: --size: width 99999 is outside 256\.\.16384, e.g\. 4096x2048")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("size,message", [
    ("0x0", r"--size: width 0 is outside 256\.\.16384"),
    ("4096x4096", r"--size: 4096x4096 is not 2:1"),
    ("9" * 400 + "x1", r"--size: '9{40}' is not WIDTHxHEIGHT"),
    ("\x1b[2J", r"--size: '\\x1b\[2J' is not WIDTHxHEIGHT"),
])
def test_bad_frame_sizes(briefing, tmp_path, size, message):
    refused(run_bridge("render", scene(briefing), "--size", size, "--out", tmp_path / "o"), "error: " + message)


@pytest.mark.parametrize("step,message", [
    ("0", r"--step: there is no step 0; steps count from 1"),
    ("-3", r"--step: there is no step -3; steps count from 1"),
    ("abc", r"--step: 'abc' is not a step number"),
    ("999", r"--step: there is no step 999; the scene has steps 1\.\.1"),
])
def test_bad_steps(briefing, tmp_path, step, message):
    refused(run_bridge("render", scene(briefing), *SMALL, "--step", step, "--out", tmp_path / "o"), "error: " + message)
    assert not (tmp_path / "o").exists()


def test_a_directory_as_the_room(briefing):
    refused(run_bridge("validate", scene(briefing), "--room", briefing / "data"), r"data: is a directory, not a room profile")


def test_dev_zero_as_the_image_to_split(tmp_path):
    refused(run_bridge("split", "/dev/zero", "--out", tmp_path / "o"),
            r"/dev/zero: is not a regular file \(a device, pipe or socket\); give a PNG or JPEG")


def test_escape_sequences_in_a_csv_header_never_reach_the_terminal(briefing):
    path = briefing / "data" / "census21_age_shropshire.csv"
    rows = list(csv.reader(path.open(newline="")))
    rows[0][1] = "\x1b[31mRED\x1b]0;owned\x07"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    panel = "  - {id: p, type: kpi, value: 'sum(people.nope)', label: x, width: 30, height: 10}"
    outcome = refused(run_bridge("validate", scene(briefing, panels=panel)),
                      r"scene\.yaml:\d+: panels\[0\]\.value: .*\\x1b\[31mRED\\x1b\]0;owned\\x07")
    assert "\x1b" not in outcome.output and "\x07" not in outcome.output


def test_an_escape_written_as_a_yaml_escape_is_shown_escaped(briefing):
    text = SCENE.replace("PANELS", TEXT_PANEL).replace("title: Hostile", 'title: "Hostile \\e[2J\\e]0;owned\\a"')
    outcome = accepted(run_bridge("validate", scene(briefing, text=text)))
    assert r"'Hostile \x1b[2J\x1b]0;owned\x07'" in outcome.stdout


def _crash(monkeypatch, tmp_path, exc):
    import bridge.render.briefing

    def broken(path):
        raise exc

    monkeypatch.setattr(bridge.render.briefing, "load_briefing", broken)
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    return cli.main(["validate", str(tmp_path / "scene.yaml")])


def test_an_internal_error_is_one_line_and_a_log(monkeypatch, tmp_path, capsys):
    code = _crash(monkeypatch, tmp_path, KeyError("surprise \x1b[31m" + "x" * 500))
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 1 and len(lines) == 1, captured.err
    m = re.fullmatch(r"internal error: KeyError: 'surprise \\x1b\[31mx+…; the details are in (.+crash-\d{8}-\d{6}\.log)", lines[0])
    assert m, lines[0]
    log = Path(m.group(1))
    assert log.parent == tmp_path / "cache"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError" in text and "command: bridge validate" in text
    assert "Traceback" not in captured.err and "\x1b" not in captured.err


@pytest.mark.parametrize("exc,words", [
    (MemoryError(), "out of memory (MemoryError)"),
    (RecursionError("maximum recursion depth exceeded"), "nested too deeply to follow (RecursionError)"),
])
def test_memory_and_recursion_errors_are_said_plainly(monkeypatch, tmp_path, capsys, exc, words):
    code = _crash(monkeypatch, tmp_path, exc)
    lines = capsys.readouterr().err.splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"internal error: {words}"), lines
    assert re.search(r"the details are in .+crash-\d{8}-\d{6}(-\d+)?\.log$", lines[0])


def test_the_log_falls_back_to_a_temp_file(monkeypatch, tmp_path, capsys):
    (tmp_path / "cache").write_text("a file where the cache folder would be")
    code = _crash(monkeypatch, tmp_path, ValueError("boom"))
    line = capsys.readouterr().err.strip()
    assert code == 1 and line.startswith("internal error: ValueError: boom; the details are in ")
    log = Path(line.rsplit(" ", 1)[1])
    assert log.name.startswith("bridge-crash-") and "ValueError: boom" in log.read_text()
    log.unlink()
