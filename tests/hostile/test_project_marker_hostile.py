"""Containment with a briefing project: a `bridge-project.yaml` at a project's top lets every scene under it
read every file under it, and a marker that whoever sent the briefing could have planted never widens past
the folder it sits in (bridge/scene/containment.py).

The real command runs the main cases (slow); the search's bounds are checked in-process."""

import os
import shutil
from pathlib import Path

import pytest

from bridge.errors import BridgeError
from bridge.scene import containment
from bridge.scene.containment import MARKER, allowed_roots, project_of, search_path
from tests.hostile.conftest import SAMPLE
from tests.hostile.harness import SCENE, TEXT_PANEL, accepted, refused, run_bridge

OUTSIDE = r"is outside the briefing's folders"
GEOJSON = "shropshire_lsoa21.geojson"


def scene_reading(folder: Path, data: str, extra: str = "") -> Path:
    """A scene in `folder` whose datasets are read from `data` (a path relative to the scene), plus `extra` datasets."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SCENE.replace("PANELS", TEXT_PANEL).replace("data/", f"{data}/")
    path = folder / "scene.yaml"
    path.write_text(text.replace("panels:", extra + "panels:", 1), encoding="utf-8")
    return path


def secret(folder: Path) -> Path:
    """A file the user keeps beside (not inside) what they unpack: a copy of the census table."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.csv"
    shutil.copyfile(SAMPLE / "census21_age_shropshire.csv", path)
    return path


def dataset(name: str, path: str) -> str:
    return f"  {name}: {{path: '{path}', key: lsoa21_code, join: false}}\n"


@pytest.fixture
def user(tmp_path: Path) -> Path:
    """The folder the user runs Bridge from (outside home here, so it bounds the search)."""
    folder = tmp_path / "user"
    folder.mkdir()
    return folder


# ---- the real command ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_marker_above_the_scene_opens_the_whole_project(user):
    project = user / "briefings"
    shutil.copytree(SAMPLE, project / "shared" / "data")
    path = scene_reading(project / "winter" / "drafts", "../../shared/data")
    refused(run_bridge("validate", path, cwd=user),
            rf"{OUTSIDE}.*mark {project} as the briefing's project with a file named {MARKER}")
    (project / MARKER).write_text("name: Winter briefings\n")
    accepted(run_bridge("validate", path, cwd=user))
    # …and nothing beyond it: a file beside the project is still out, and the message names the project.
    outcome = run_bridge("validate", scene_reading(project / "winter" / "drafts", "../../shared/data",
                                                   dataset("x", "../../../secret.csv")), cwd=user)
    refused(outcome, rf"'../../../secret.csv' {OUTSIDE} .*the project 'Winter briefings' {project}")


@pytest.mark.slow
def test_a_marker_in_an_unpacked_archive_reaches_only_its_folder(user):
    """The user's own project is marked; an archive unpacked inside it brings its own marker: that one is
    nearest, so the archive's scenes read its own files and nothing of the user's."""
    (user / MARKER).write_text("")
    secret(user)
    unpacked = user / "incoming" / "quarterly"
    shutil.copytree(SAMPLE, unpacked / "data")
    (unpacked / MARKER).write_text("name: Quarterly\n")
    accepted(run_bridge("validate", scene_reading(unpacked / "scenes" / "deep", "../../data"), cwd=user))
    hostile = scene_reading(unpacked / "scenes" / "deep", "../../data", dataset("x", "../../../../secret.csv"))
    refused(run_bridge("validate", hostile, cwd=user), rf"'../../../../secret.csv' {OUTSIDE}")
    refused(run_bridge("validate", hostile, cwd=unpacked), rf"'../../../../secret.csv' {OUTSIDE}")


@pytest.mark.slow
def test_a_marker_above_the_folder_bridge_runs_from_is_not_honoured(user):
    """Outside home, the search stops at the folder Bridge runs from: a marker planted higher opens nothing."""
    unpacked = user / "downloads" / "evil"
    shutil.copytree(SAMPLE, unpacked / "data")
    secret(user / "downloads")
    (user / "downloads" / MARKER).write_text("")
    path = scene_reading(unpacked / "scenes", "../data", dataset("x", "../../secret.csv"))
    refused(run_bridge("validate", path, cwd=unpacked), rf"'../../secret.csv' {OUTSIDE}.*{MARKER} is not used")
    (user / "elsewhere").mkdir()  # the scene is not below the folder Bridge runs from: no marker counts
    refused(run_bridge("validate", path, cwd=user / "elsewhere"), rf"'../../secret.csv' {OUTSIDE}.*{MARKER} is not used")


@pytest.mark.slow
def test_symlinks_out_of_a_project_are_still_refused(user, tmp_path):
    project = user / "project"
    shutil.copytree(SAMPLE, project / "data")
    (project / MARKER).write_text("")
    outside = secret(tmp_path / "elsewhere")
    (project / "data" / "innocent.csv").symlink_to(outside)
    (project / "linked").symlink_to(outside.parent, target_is_directory=True)
    (project / "data" / "passwd.csv").symlink_to("/etc/passwd")
    extra = dataset("a", "../data/innocent.csv") + dataset("b", "../linked/secret.csv") + dataset("c", "../data/passwd.csv")
    outcome = refused(run_bridge("validate", scene_reading(project / "scenes", "../data", extra), cwd=user), OUTSIDE)
    assert outcome.stderr.count("is outside the briefing's folders") == 3, outcome.stderr
    assert f"it resolves to {outside}" in outcome.stderr and "it resolves to /etc/passwd" in outcome.stderr


@pytest.mark.slow
def test_a_linked_or_widening_marker_is_refused_unread(user):
    project = user / "project"
    shutil.copytree(SAMPLE, project / "data")
    path = scene_reading(project / "scenes", "../data")
    (project / MARKER).symlink_to("/etc/passwd")
    outcome = refused(run_bridge("validate", path, cwd=user), rf"{MARKER}: is a symbolic link; a project marker must be a plain file")
    assert "root:" not in outcome.output  # the link's target was never read
    (project / MARKER).unlink()
    (project / MARKER).write_text("name: Mine\nallow: [/]\n")
    refused(run_bridge("validate", path, cwd=user), rf"{MARKER}:2: allow: unknown key \(a marker cannot widen what scenes may read")


# ---- the search's bounds, in-process ---------------------------------------------------------------------------

@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A home folder of our own, and Bridge run from it."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.chdir(folder)
    monkeypatch.delenv(containment.ALLOW_ENV, raising=False)
    return folder


def test_the_search_stops_below_home(home):
    (home / MARKER).write_text("")  # e.g. from an archive unpacked straight into the home folder
    scenes = home / "Downloads" / "briefing" / "scenes"
    scenes.mkdir(parents=True)
    assert search_path(scenes) == [scenes, scenes.parent, home / "Downloads"]
    assert project_of(scenes) is None and home not in allowed_roots(scenes / "x.yaml")
    (scenes.parent / MARKER).write_text("")
    assert project_of(scenes).root == scenes.parent
    assert allowed_roots(scenes / "x.yaml") == [scenes, scenes.parent]


def test_a_scenes_folder_in_home_does_not_open_home(home):
    (home / "scenes").mkdir()
    assert allowed_roots(home / "scenes" / "x.yaml") == [home / "scenes"]
    (home / "work" / "scenes").mkdir(parents=True)
    assert allowed_roots(home / "work" / "scenes" / "x.yaml") == [home / "work" / "scenes", home / "work"]


def test_a_marker_narrows_the_scenes_rule(home):
    """An archive unpacked into a folder that happens to be called `scenes`, marker at its top: its parent stays shut."""
    scenes = home / "Downloads" / "scenes"
    scenes.mkdir(parents=True)
    (scenes / MARKER).write_text("")
    assert allowed_roots(scenes / "x.yaml") == [scenes]


def test_outside_home_the_search_stops_at_the_folder_bridge_runs_from(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    deep = tmp_path / "srv" / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "srv" / "a")
    assert search_path(deep) == [deep, deep.parent]
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path / "home")
    assert search_path(deep) == []  # neither in home nor below the folder Bridge runs from: no project


def test_the_search_never_takes_a_filesystem_root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", "/nowhere/home")  # no home above the scene: the folder Bridge runs from, /, bounds it
    monkeypatch.chdir("/")
    found = search_path(tmp_path.resolve())
    assert found[0] == tmp_path.resolve() and found[-1] == Path("/", tmp_path.resolve().parts[1])
    assert Path("/") not in found


def test_a_home_that_is_the_filesystem_root_bounds_nothing(tmp_path, monkeypatch):
    """HOME=/ (a service's account) would let the search climb to just below /: the folder Bridge runs from bounds it."""
    monkeypatch.setenv("HOME", "/")
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a")
    assert search_path((tmp_path / "a" / "b").resolve()) == [(tmp_path / "a" / "b").resolve(), (tmp_path / "a").resolve()]


def test_the_search_does_not_cross_to_another_file_system(home, monkeypatch):
    mounted = home / "mnt" / "stick" / "briefing"
    mounted.mkdir(parents=True)
    real = containment._device
    monkeypatch.setattr(containment, "_device",
                        lambda folder: 999 if folder.is_relative_to(home / "mnt" / "stick") else real(folder))
    assert search_path(mounted) == [mounted, mounted.parent]


@pytest.mark.parametrize("text, name", [("", None), ("# the Winter project\n", None), ("name: Winter\n", "Winter")])
def test_a_marker_is_empty_or_names_its_project(home, text, name):
    (home / "project").mkdir()
    (home / "project" / MARKER).write_text(text)
    assert project_of(home / "project").name == name


@pytest.mark.parametrize("text, message", [
    ("name: [a]\n", r"name: the project's name must be text"),
    ("- a\n", r"a project marker is empty or a mapping"),
    ("nmae: x\n", r"nmae: unknown key \(did you mean 'name'\?\)"),
    ("include: /\n", r"include: unknown key \(a marker cannot widen"),
])
def test_a_marker_holding_anything_else_is_refused(home, text, message):
    (home / "project").mkdir()
    (home / "project" / MARKER).write_text(text)
    with pytest.raises(BridgeError, match=message):
        project_of(home / "project")


def test_a_marker_that_is_a_folder_or_a_pipe_is_refused(home):
    (home / "a" / MARKER).mkdir(parents=True)
    with pytest.raises(BridgeError, match="is a folder; a project marker must be a plain file"):
        project_of(home / "a")
    (home / "b").mkdir()
    os.mkfifo(home / "b" / MARKER)  # reading it would block
    with pytest.raises(BridgeError, match="is not a regular file"):
        project_of(home / "b")
