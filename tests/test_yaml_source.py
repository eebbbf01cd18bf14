"""Safe YAML with the line of every key (bridge/scene/yaml_source.py): bad files are located."""

import os
import time

import pytest

from bridge.errors import BridgeError
from bridge.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from bridge.scene.yaml_source import load_yaml

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
    with pytest.raises(BridgeError, match=rf"{path}:2: title: the tag '!!python/object/apply:os.system' is not read: .*remove the tag"):
        load_yaml(path)
    assert not marker.exists()


# Limits: a scene, theme or room file is untrusted input.


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"  # the top mapping is one level


def test_nesting_up_to_the_limit_is_read_and_one_more_is_not(tmp_path):
    assert load_yaml(write(tmp_path, nested(MAX_YAML_DEPTH))).data["a"]
    found = problems(write(tmp_path, nested(MAX_YAML_DEPTH + 1)))
    assert found == [(f"{tmp_path / 's.yaml'}:1: a[0][0]…[0][0]: mappings and lists nested more than "
                     f"{MAX_YAML_DEPTH} deep; the limit is {MAX_YAML_DEPTH}")]


def test_ten_thousand_brackets_are_refused_without_recursion(tmp_path):
    path = write(tmp_path, "a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert problems(path) == [f"{path}:1: mappings and lists nested more than 64 deep; the limit is 64"]


def test_nesting_is_measured_through_aliases(tmp_path):
    half = MAX_YAML_DEPTH // 2 + 2
    path = write(tmp_path, "x: &x " + "[" * half + "1" + "]" * half + "\ny: " + "[" * half + "*x" + "]" * half + "\n")
    (found,) = problems(path)
    assert "nested more than 64 deep" in found and found.startswith(f"{path}:1: x[0]")


def test_an_alias_inside_itself_is_refused(tmp_path):
    path = write(tmp_path, "title: t\nloop: &me {a: 1, again: *me}\n")
    assert problems(path) == [(f"{path}:2: loop: mappings and lists nested more than 64 deep; the limit is 64 "
                              f"(an alias here refers to itself)")]


def test_billion_laughs_is_measured_not_expanded(tmp_path):
    text = 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    text += "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    path = write(tmp_path, text)
    started = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - started < 0.5
    assert found == [(f"{path}:6: l5: more than {MAX_YAML_NODES:,} values, lists and mappings (every use of an alias "
                     f"counted in full); a YAML file may hold at most {MAX_YAML_NODES:,}")]


def test_aliases_within_the_limit_are_read(tmp_path):
    path = write(tmp_path, "base: &b {x: 1, y: [1, 2]}\nthing: {<<: *b, y: 3}\nother: *b\n")
    doc = load_yaml(path)
    assert doc.data == {"base": {"x": 1, "y": [1, 2]}, "thing": {"x": 1, "y": 3}, "other": {"x": 1, "y": [1, 2]}}
    assert doc.line_of(("other", "x")) == 3  # through an alias: the line of the key that uses it


def test_too_many_nodes_as_written(tmp_path):
    path = write(tmp_path, "many: [" + ",".join(["1"] * (MAX_YAML_NODES + 10)) + "]\n")
    (found,) = problems(path)
    assert found.startswith(f"{path}:1: many[") and f"more than {MAX_YAML_NODES:,} values" in found


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as f:
        f.truncate(MAX_YAML_BYTES + 1)  # sparse: no bytes written, none read
    assert problems(path, what="scene file") == [
        f"{path}: is {MAX_YAML_BYTES + 1:,} bytes; a scene file may be at most {MAX_YAML_BYTES:,} bytes"]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_only_regular_files_are_read(tmp_path, special):
    if special == "fifo":
        special = tmp_path / "fifo.yaml"
        os.mkfifo(special)  # opened without blocking, never read
    assert problems(special, what="theme file") == [
        f"{special}: is not a regular file (a device, pipe or socket); a theme file is a YAML file"]


def test_control_characters_are_located_by_line_column_and_key(tmp_path):
    path = write(tmp_path, "title: One\npanels:\n  - {id: a, title: \"x\x1b[31my\"}\n")
    assert problems(path) == [(f"{path}:3: panels[0].title: control character U+001B at column 22: a YAML file may "
                              f"hold tabs and line breaks but no other control characters; remove it")]
    tabs = write(tmp_path, "title:\tOne\r\nnote: \"a\tb\"\r\n", "tabs.yaml")
    assert load_yaml(tabs).data == {"title": "One", "note": "a\tb"}


def test_escapes_written_in_yaml_are_text_not_refused(tmp_path):
    assert load_yaml(write(tmp_path, 'title: "a\\e[31mb"\n')).data == {"title": "a\x1b[31mb"}


@pytest.mark.parametrize("encode", [lambda t: t.encode("utf-16"), lambda t: t.encode("utf-16-le"),
                                    lambda t: t.encode("utf-16-be")])
def test_utf16_is_named(tmp_path, encode):
    path = tmp_path / "s.yaml"
    path.write_bytes(encode("title: One\npanels: []\n"))
    assert problems(path, what="scene file") == [f"{path}: is UTF-16 text; Bridge reads a scene file as UTF-8: save it as UTF-8"]


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: One\n")
    assert load_yaml(path).data == {"title": "One"}


@pytest.mark.parametrize("text,message", [
    ("title: !include other.yaml\n", (":1: title: the tag '!include' is not read: Bridge reads plain YAML "
                                     "(no !include, no !!python/...); remove the tag")),
    ("a:\n  b: !!python/name:os.system x\n", ":2: a.b: the tag '!!python/name:os.system' is not read"),
    ("!custom x: 1\n", ":1: x: the tag '!custom' is not read"),
    ("? [a, b]\n: c\n", ":1: a key must be a plain name or number, not a list or mapping"),
    ("n: " + "7" * 5000 + "\n", ":1: n: cannot read '" + "7" * 40 + "'… as a whole number (5000 characters)"),
    ("when: 2025-02-30\n", ":1: when: '2025-02-30' is not a date: day is out of range for month"),
])
def test_what_plain_yaml_cannot_hold(tmp_path, text, message):
    path = write(tmp_path, text)
    found = problems(path)
    assert any(p.startswith(f"{path}{message}") for p in found), found


def test_standard_tags_and_values_are_read(tmp_path):
    path = write(tmp_path, "a: !!str 12\nb: !!float 1\nc: 2025-02-03\nd: ~\ne: 0x10\n")
    data = load_yaml(path).data
    assert data["a"] == "12" and data["b"] == 1.0 and str(data["c"]) == "2025-02-03" and data["d"] is None and data["e"] == 16


def test_an_unquoted_colon_gets_a_quoting_hint(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("title: Winter: the cold months\n")
    with pytest.raises(BridgeError, match=r"s.yaml:1: invalid YAML: mapping values are not allowed .*; a value holding ': '.*must be quoted"):
        load_yaml(path)


@pytest.mark.parametrize("text,line", [
    ("title: t\npanels:\n  - {id: a, value: a: b}\n", 3),  # flow mapping
    ("title: t\nshow: [a, b: c: d]\n", 2),  # flow sequence
])
def test_an_unquoted_colon_in_flow_style_gets_the_quoting_hint(tmp_path, text, line):
    path = write(tmp_path, text)
    (found,) = problems(path)
    assert found.startswith(f"{path}:{line}: invalid YAML: did not find expected ',' or "), found
    assert "a value holding ': ' must be quoted, e.g. {id: note, title: \"Winter: the cold months\"}" in found


def test_a_missing_closing_brace_gets_no_quoting_hint(tmp_path):
    path = write(tmp_path, "title: t\npanels:\n  - {id: a, value: 1\nsteps: []\n")
    (found,) = problems(path)
    assert "did not find expected ',' or '}'" in found and "quoted" not in found, found


@pytest.mark.parametrize("text,line", [
    ("title: t\npanels:\n\t- id: a\n", 3),  # libyaml: 'found character that cannot start any token'
    ("title: t\npanels:\n  - id: a\n\tyaw: 3\n", 4),  # 'found a tab character that violates indentation'
])
def test_a_tab_indent_is_named(tmp_path, text, line):
    path = write(tmp_path, text)
    (found,) = problems(path)
    assert found == (f"{path}:{line}: invalid YAML: a tab character at column 1; YAML indents with spaces only: "
                     "replace the tab with spaces"), found
