"""User-facing errors (bridge/errors.py): 'file:line: key: message', suggestions, key paths."""

from pathlib import Path

from bridge.errors import BridgeError, Problem, did_you_mean, format_key_path


def test_problem_reads_file_line_key_message():
    assert str(Problem(Path("scene.yaml"), 6, "panels[0].yaw", "400 is outside -180..180")) == \
        "scene.yaml:6: panels[0].yaw: 400 is outside -180..180"
    assert str(Problem("scene.yaml", None, "title", "is required")) == "scene.yaml: title: is required"
    assert str(Problem("scene.yaml", 3, None, "invalid YAML")) == "scene.yaml:3: invalid YAML"
    assert str(Problem(None, 3, "steps", "must not be empty")) == "steps: must not be empty"  # no file: no line either
    assert str(Problem(None, None, None, "plain")) == "plain"


def test_bridge_error_takes_one_or_many_problems():
    one = BridgeError("room 'x' not found")
    assert one.exit_code == 2
    assert one.problems == [Problem(None, None, None, "room 'x' not found")]
    many = BridgeError([Problem("a.yaml", 1, "k", "first"), "second"])
    assert [str(p) for p in many.problems] == ["a.yaml:1: k: first", "second"]
    assert str(many) == "a.yaml:1: k: first\nsecond"
    assert BridgeError(Problem("a.yaml", 2, None, "x")).problems[0].line == 2


def test_did_you_mean_suggests_only_a_close_match():
    assert did_you_mean("viridos", ["magma", "viridis", "cividis"]) == " (did you mean 'viridis'?)"
    assert did_you_mean("colour", ["color", "title"]) == " (did you mean 'color'?)"
    assert did_you_mean("zzz", ["viridis", "magma"]) == ""
    assert did_you_mean("x", []) == ""
    assert did_you_mean(3, ["3a", "b"]) == " (did you mean '3a'?)"  # non-text keys are compared as text


def test_format_key_path():
    assert format_key_path(("panels", 2, "yaw")) == "panels[2].yaw"
    assert format_key_path(("steps", 0, "show", 1)) == "steps[0].show[1]"
    assert format_key_path(("datasets", "people", "key")) == "datasets.people.key"
    assert format_key_path(()) == ""


def test_printable_escapes_what_would_drive_a_terminal():
    from bridge.errors import printable

    assert printable("plain text, tabs\tstay") == "plain text, tabs\tstay"
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("bell\x07 nul\x00 del\x7f csi\x9b") == "bell\\x07 nul\\x00 del\\x7f csi\\x9b"
    assert printable("two\nlines\r") == "two\\nlines\\r"
    assert printable("two\nlines", newlines=True) == "two\nlines"
    assert printable("abc\u202edcba") == "abc\\u202edcba"  # a right-to-left override reorders what is shown
    assert printable(Path("a\x1bb")) == "a\\x1bb"
    assert printable("café — £5 ✓") == "café — £5 ✓"


def test_excerpt_is_short_escaped_and_on_one_line():
    from bridge.errors import excerpt

    assert excerpt("short") == "'short'"
    assert excerpt("x" * 100) == "'" + "x" * 40 + "'…"
    assert excerpt("a\n  b\tc", 10) == "'a b c'"
    assert excerpt("it's \x1b[2J") == "'it\\'s \\x1b[2J'"
    assert excerpt(b"\xff\xfebytes") == "'\ufffd\ufffdbytes'"
