"""Containment: a scene reads only regular files inside the briefing's folders (bridge/scene/containment.py)."""

import os
import shutil
from pathlib import Path

import pytest

from tests.hostile.harness import SCENE, TEXT_PANEL, accepted, refused, run_bridge, scene

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess

OUTSIDE = r"is outside the briefing's folders"


def with_dataset(folder: Path, path: str, key: str = "lsoa21_code", name: str = "extra") -> Path:
    extra = f"  {name}: {{path: '{path}', key: {key}, join: false}}\n"
    text = SCENE.replace("PANELS", TEXT_PANEL).replace("panels:", extra + "panels:", 1)
    return scene(folder, text=text)


def test_absolute_path_elsewhere(briefing):
    refused(run_bridge("validate", with_dataset(briefing, "/etc/passwd")),
            rf"scene.yaml:5: datasets.extra.path: '/etc/passwd' {OUTSIDE}")


def test_parent_traversal(briefing):
    refused(run_bridge("validate", with_dataset(briefing, "../../../../../etc/hostname")),
            rf"scene.yaml:5: datasets.extra.path: .*{OUTSIDE}.*--allow DIR or BRIDGE_ALLOW")


def test_symlink_pointing_out_of_the_folder(briefing):
    (briefing / "data" / "innocent.csv").symlink_to("/etc/passwd")
    refused(run_bridge("validate", with_dataset(briefing, "data/innocent.csv")),
            rf"datasets.extra.path: 'data/innocent.csv' {OUTSIDE} \(it resolves to /etc/passwd\)")


def test_symlink_within_the_folder_is_fine(briefing):
    (briefing / "data" / "alias.csv").symlink_to(briefing / "data" / "census21_age_shropshire.csv")
    accepted(run_bridge("validate", with_dataset(briefing, "data/alias.csv")))


def test_symlink_loop(briefing):
    (briefing / "data" / "a.csv").symlink_to(briefing / "data" / "b.csv")
    (briefing / "data" / "b.csv").symlink_to(briefing / "data" / "a.csv")
    refused(run_bridge("validate", with_dataset(briefing, "data/a.csv")), r"datasets.extra.path: 'data/a.csv' cannot be resolved")


def test_dev_zero(briefing):
    refused(run_bridge("validate", with_dataset(briefing, "/dev/zero")), rf"datasets.extra.path: '/dev/zero' {OUTSIDE}")


def test_symlink_to_dev_zero(briefing):
    (briefing / "data" / "zero.csv").symlink_to("/dev/zero")
    refused(run_bridge("validate", with_dataset(briefing, "data/zero.csv")), rf"'data/zero.csv' {OUTSIDE}")


def test_fifo_in_the_folder_is_not_read(briefing):
    os.mkfifo(briefing / "data" / "pipe.csv")  # reading it would block for ever
    refused(run_bridge("validate", with_dataset(briefing, "data/pipe.csv")),
            r"datasets.extra.path: 'data/pipe.csv' is not a regular file \(a device, pipe or socket\)")


def test_a_folder_as_a_data_file(briefing):
    refused(run_bridge("validate", with_dataset(briefing, "data")), r"datasets.extra.path: 'data' is a folder; give a data file")


def test_nul_in_a_path(briefing):
    text = SCENE.replace("PANELS", TEXT_PANEL).replace("panels:", '  extra: {path: "data/x\\0.csv", join: false}\npanels:', 1)
    refused(run_bridge("validate", scene(briefing, text=text)), r"datasets.extra.path: a path cannot contain a NUL")


def test_theme_outside(briefing):
    refused(run_bridge("validate", scene(briefing, extra="theme: /etc/passwd\n")), rf"scene.yaml:\d+: theme: '/etc/passwd' {OUTSIDE}")


def test_image_panel_outside(briefing):
    panel = "  - {id: p, type: image, path: /usr/share/pixmaps/debian-logo.png, width: 30, height: 20}"
    refused(run_bridge("validate", scene(briefing, panel)), rf"scene.yaml:6: panels\[0\].path: .*{OUTSIDE}")


def test_raster_outside(briefing):
    panel = "  - {id: p, type: map, raster: {path: /etc/passwd, bounds: [0, 0, 1, 1]}, width: 30, height: 20}"
    refused(run_bridge("validate", scene(briefing, panel)), rf"scene.yaml:6: panels\[0\].raster.path: .*{OUTSIDE}")


def test_every_escape_is_reported_at_once(briefing):
    text = SCENE.replace("PANELS", "  - {id: p, type: image, path: /etc/hosts, width: 30, height: 20}").replace(
        "panels:", "  a: {path: /etc/passwd, join: false}\n  b: {path: ../../x.csv, join: false}\npanels:", 1)
    outcome = refused(run_bridge("validate", scene(briefing, text=text + "theme: /etc/group\n")), OUTSIDE)
    assert outcome.stderr.count(OUTSIDE.replace("\\", "")) == 4 and "4 problems" in outcome.stderr


def test_operator_may_allow_a_folder(briefing, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "people.csv").write_bytes((briefing / "data" / "census21_age_shropshire.csv").read_bytes())
    path = with_dataset(briefing, str(shared / "people.csv"))
    refused(run_bridge("validate", path), OUTSIDE)
    accepted(run_bridge("validate", path, env={"BRIDGE_ALLOW": str(shared)}))


def test_scenes_folder_may_read_the_project_folder(tmp_path):
    project = tmp_path / "project"
    (project / "scenes").mkdir(parents=True)
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "sample", project / "data")
    text = SCENE.replace("data/", "../data/").replace("PANELS", TEXT_PANEL)
    accepted(run_bridge("validate", scene(project / "scenes", text=text)))
    (project / "elsewhere").mkdir()
    refused(run_bridge("validate", scene(project / "elsewhere", text=text)), rf"'../data/shropshire_lsoa21.geojson' {OUTSIDE}")


@pytest.mark.parametrize("command", ["render", "launch"])
def test_other_commands_refuse_the_same(briefing, command):
    args = [command, with_dataset(briefing, "/etc/passwd")]
    outcome = run_bridge(*args, env={"DISPLAY": ":999"} if command == "launch" else None)
    if command == "launch":  # without a display launch stops first; either way nothing is read
        assert outcome.returncode == 2 and "Traceback" not in outcome.output
    else:
        refused(outcome, OUTSIDE)


def test_operator_may_allow_a_folder_on_the_command_line(briefing, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "people.csv").write_bytes((briefing / "data" / "census21_age_shropshire.csv").read_bytes())
    path = with_dataset(briefing, str(shared / "people.csv"))
    accepted(run_bridge("validate", path, "--allow", shared))
    refused(run_bridge("validate", path, "--allow", tmp_path / "nope"), r"--allow: .*nope is not a folder")
