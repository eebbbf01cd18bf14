"""Hostile YAML: scenes and themes that would exhaust the machine, run code or confuse the reader.

Each case runs `bridge validate` on a briefing folder and asserts the one refusal expected:
exit 2, `file:line: key: message` naming the limit, within the harness's time and memory bounds.
"""

import os

import pytest

from tests.hostile.harness import (
    SCENE,
    TEXT_PANEL,
    accepted,
    refused,
    run_bridge,
    scene,
)

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess

BASE = SCENE.replace("PANELS", TEXT_PANEL)


def laughs(levels: int = 9, anchor: str = "lol") -> str:
    """The billion laughs: each level a list of nine aliases of the one before."""
    text = f'{anchor}0: &{anchor}0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, levels + 1):
        text += f"{anchor}{i}: &{anchor}{i} [{', '.join([f'*{anchor}{i - 1}'] * 9)}]\n"
    return text


def test_billion_laughs_is_refused_at_once(briefing):
    outcome = refused(run_bridge("validate", scene(briefing, extra=laughs())),
                      r"scene\.yaml:\d+: lol\d: more than 200,000 values, lists and mappings \(every use of an alias "
                      r"counted in full\); a YAML file may hold at most 200,000")
    assert outcome.seconds < 15


def test_fifty_megabytes_of_small_mappings(briefing):
    path = briefing / "scene.yaml"
    with open(path, "w") as f:
        f.write(BASE + "filler:\n")
        f.writelines("  - {a: 1, b: 2}\n" for _ in range(50 * 1024**2 // 17))
    size = path.stat().st_size
    assert size > 50 * 1024**2
    outcome = refused(run_bridge("validate", path),
                      rf"scene\.yaml: is {size:,} bytes; a scene file may be at most 2,000,000 bytes")
    assert outcome.max_rss_mb < 500  # refused from its size: never read


def test_ten_thousand_nested_brackets(briefing):
    refused(run_bridge("validate", scene(briefing, extra="deep: " + "[" * 10_000 + "]" * 10_000 + "\n")),
            r"scene\.yaml:\d+: mappings and lists nested more than 64 deep; the limit is 64")


def test_seventy_nested_mappings_name_their_key(briefing):
    deep = "deep:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(70)) + "  " * 71 + "x: 1\n"
    refused(run_bridge("validate", scene(briefing, extra=deep)),
            r"scene\.yaml:\d+: deep\.k0\.k1…k6\d\.k6\d: mappings and lists nested more than 64 deep; the limit is 64")


def test_an_alias_inside_itself(briefing):
    refused(run_bridge("validate", scene(briefing, extra="loop: &me [1, *me]\n")),
            r"scene\.yaml:\d+: loop: mappings and lists nested more than 64 deep; the limit is 64 "
            r"\(an alias here refers to itself\)")


def test_a_quarter_of_a_million_values(briefing):
    refused(run_bridge("validate", scene(briefing, extra="many: [" + ",".join(["1"] * 250_000) + "]\n")),
            r"scene\.yaml:\d+: many\[\d+\]: more than 200,000 values")


def test_dev_zero_as_the_theme(briefing):
    # Refused by path containment (the theme key) or, failing that, as no regular file: never read.
    refused(run_bridge("validate", scene(briefing, extra="theme: /dev/zero\n")),
            r"scene\.yaml:\d+: theme: |/dev/zero: is not a regular file")


def test_a_fifo_as_the_theme_does_not_block(briefing):
    os.mkfifo(briefing / "theme.yaml")
    refused(run_bridge("validate", scene(briefing, extra="theme: theme.yaml\n"), timeout=20),
            r"scene\.yaml:\d+: theme: .*is not a regular file|theme\.yaml: is not a regular file \(a device, pipe or socket\)")


def test_billion_laughs_in_a_theme(briefing):
    (briefing / "theme.yaml").write_text(laughs(anchor="t"))
    refused(run_bridge("validate", scene(briefing, extra="theme: theme.yaml\n")),
            r"theme\.yaml:\d+: t\d: more than 200,000 values")


def test_an_escape_sequence_in_a_scene(briefing):
    text = BASE.replace("title: Hostile", "title: Hostile \x1b[31mred\x1b[0m")
    outcome = refused(run_bridge("validate", scene(briefing, text=text)),
                      r"scene\.yaml:1: title: control character U\+001B at column 16: a YAML file may hold tabs and "
                      r"line breaks but no other control characters; remove it")
    assert "\x1b" not in outcome.output


def test_a_nul_byte_in_a_scene(briefing):
    text = BASE.replace("text: hello", "text: hel\x00lo")
    refused(run_bridge("validate", scene(briefing, text=text)),
            r"scene\.yaml:\d+: panels\[0\]\.text: control character U\+0000 at column \d+")


def test_include_tag(briefing):
    refused(run_bridge("validate", scene(briefing, extra="notes: !include /etc/passwd\n")),
            r"scene\.yaml:\d+: notes: the tag '!include' is not read: Bridge reads plain YAML .*remove the tag")


def test_python_object_apply_never_runs(briefing, tmp_path):
    marker = tmp_path / "ran"
    extra = f"notes: !!python/object/apply:os.system ['touch {marker}']\n"
    refused(run_bridge("validate", scene(briefing, extra=extra)),
            r"scene\.yaml:\d+: notes: the tag '!!python/object/apply:os\.system' is not read")
    assert not marker.exists()


def test_duplicate_keys(briefing):
    refused(run_bridge("validate", scene(briefing, extra="title: Again\n")),
            r"scene\.yaml:\d+: title: duplicate key \(first given on line 1\); keep one")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_scene(briefing, encoding):
    path = briefing / "scene.yaml"
    path.write_bytes(BASE.encode(encoding))
    outcome = refused(run_bridge("validate", path), r"scene\.yaml: is UTF-16 text; Bridge reads a scene file as UTF-8: save it as UTF-8")
    assert "\\x00" not in outcome.output


def test_five_thousand_digit_integer(briefing):
    refused(run_bridge("validate", scene(briefing, extra="notes: " + "9" * 5000 + "\n")),
            r"scene\.yaml:\d+: notes: cannot read '9{40}'… as a whole number \(5000 characters\)")


def test_a_list_as_a_key(briefing):
    refused(run_bridge("validate", scene(briefing, extra="? [a, b]\n: c\n")),
            r"scene\.yaml:\d+: a key must be a plain name or number, not a list or mapping")


def test_an_impossible_date(briefing):
    refused(run_bridge("validate", scene(briefing, extra="notes: 2025-13-45\n")),
            r"scene\.yaml:\d+: notes: '2025-13-45' is not a date: month must be in 1\.\.12")


def test_a_byte_order_mark_is_fine(briefing):
    path = briefing / "scene.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    accepted(run_bridge("validate", path))
