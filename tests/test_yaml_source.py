"""Safe YAML with the line of every key (bridge/yaml_source.py): bad files are located."""

import pytest

from bridge.errors import BridgeError
from bridge.yaml_source import load_yaml

TEXT = """\
title: One
panels:
  - id: a
    yaw: 10
  - {id: b, yaw: 20}
steps:
  - show: [a, b]
"""


def problems(path, **kw):
    with pytest.raises(BridgeError) as info:
        load_yaml(path, **kw)
    return [str(p) for p in info.value.problems]


def test_every_key_and_item_has_its_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    doc = load_yaml(path)
    assert doc.data["panels"][1] == {"id": "b", "yaw": 20}
    assert doc.line_of(("title",)) == 1
    assert doc.line_of(("panels", 0, "yaw")) == 4
    assert doc.line_of(("panels", 1, "yaw")) == 5
    assert doc.line_of(("steps", 0, "show", 1)) == 7
    assert doc.line_of(("panels", 0, "width")) == 3  # absent: its nearest ancestor (the item)
    assert doc.line_of(("nothing", "here")) == 1  # the document itself
    assert str(doc.problem(("panels", 1, "yaw"), "bad")) == f"{path}:5: panels[1].yaw: bad"


def test_duplicate_keys_are_all_reported_with_both_lines(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("title: One\npanels:\n  - id: a\n    id: b\ntitle: Two\n")
    found = problems(path)
    assert f"{path}:5: title: duplicate key (first given on line 1); keep one" in found
    assert f"{path}:4: panels[0].id: duplicate key (first given on line 3); keep one" in found
    assert len(found) == 2


def test_bad_yaml_gives_its_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("title: One\npanels:\n  - {id: a, yaw: 10\nsteps: []\n")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:") and "invalid YAML" in found[0]
    line = int(found[0].removeprefix(f"{path}:").split(":")[0])
    assert 3 <= line <= 4, found


@pytest.mark.parametrize("content,fragment", [
    (None, "scene file not found"),
    (b"", ":1: the scene file is empty"),
    (b"title: caf\xe9\n", "is not UTF-8 text"),
])
def test_unreadable_files(tmp_path, content, fragment):
    path = tmp_path / "s.yaml"
    if content is not None:
        path.write_bytes(content)
    assert any(fragment in p for p in problems(path, what="scene file")), problems(path, what="scene file")


def test_a_folder_is_not_a_file(tmp_path):
    assert problems(tmp_path, what="room profile") == [f"{tmp_path}: is a directory, not a room profile"]


def test_only_true_and_false_are_booleans(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("a: yes\nb: on\nc: No\nd: true\ne: False\njoin: {on: code}\n")
    assert load_yaml(path).data == {"a": "yes", "b": "on", "c": "No", "d": True, "e": False, "join": {"on": "code"}}


def test_python_tags_are_never_run_and_are_located(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "s.yaml"
    path.write_text(f"note: fine\ntitle: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(BridgeError, match=rf"{path}:2: could not determine a constructor .*remove the tag"):
        load_yaml(path)
    assert not marker.exists()
