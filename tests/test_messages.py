"""Messages that must name the right thing (issue 25): one problem per mistake in Bridge's words,
suggestions only for close matches, argument names as the usage shows them, counts in English."""

import contextlib
import logging
from types import SimpleNamespace

import pytest

from bridge import cli
from bridge.errors import BridgeError, did_you_mean
from bridge.scene.model import load_scene
from tests.conftest import MINIMAL, write_scene

DERIVE = "derive:\n  bad: people.total +* 3\n  nested: {expr: 'people.total +* 3', count: true}\npanels:\n"


def problems_of(path) -> list[str]:
    with pytest.raises(BridgeError) as info:
        load_scene(path)
    return [str(p) for p in info.value.problems]


def test_a_derive_expression_that_does_not_parse_reports_only_the_expression(workdir):
    path = write_scene(workdir, MINIMAL.replace("panels:\n", DERIVE))
    found = problems_of(path)
    assert found == [
        f"{path}:6: derive.bad: cannot parse 'people.total +* 3': invalid syntax",
        f"{path}:7: derive.nested: expr: cannot parse 'people.total +* 3': invalid syntax",
    ], found


def test_a_derive_value_of_neither_shape_names_both_without_class_names(workdir):
    path = write_scene(workdir, MINIMAL.replace("panels:\n", "derive:\n  n: 3\npanels:\n"))
    (found,) = problems_of(path)
    assert found == f"{path}:6: derive.n: input should be a valid string (got 3); or should be a mapping (key: value) (got 3)"
    assert "Measure" not in found and "instance of" not in found


def test_an_unknown_panel_type_lists_the_types_and_suggests_only_a_close_one(workdir):
    path = write_scene(workdir, MINIMAL.replace("type: text,", "type: speedometer,"))
    (found,) = problems_of(path)
    assert found.startswith(f"{path}:6: panels[0].type: 'speedometer' is not a valid type; use one of map, "), found
    assert "did you mean" not in found
    assert did_you_mean("gauge", ["map", "bar", "image"]) == ""  # 3 letters of 5 in common is chance
    assert did_you_mean("imag", ["map", "bar", "image"]) == " (did you mean 'image'?)"


def test_schema_bad_format_names_what_the_usage_shows(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["schema", "bogus"])
    assert info.value.code == 2
    usage, message = capsys.readouterr().err.splitlines()[-2:]
    assert usage == "usage: bridge schema [-h] [FORMAT]"
    assert message == "error: FORMAT: invalid choice: 'bogus' (choose from 'scene', 'theme')"


def test_panels_help_promises_no_plug_ins_that_nothing_loads(capsys):
    with pytest.raises(SystemExit):
        cli.main(["panels", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "registered by plug-ins" not in text
    assert "registered in this installation (the built-in ones)" in text
    assert "calls bridge.panels.register when imported; nothing imports one automatically" in text


def test_validate_counts_one_step_in_the_singular(workdir, capsys):
    path = write_scene(workdir, MINIMAL)
    assert cli.main(["validate", str(path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "— 2 datasets (" in out and "), 1 panel, 1 step" in out and "1 steps" not in out, out


def test_launch_counts_one_step_in_the_singular(monkeypatch, tmp_path):
    from rich.console import Console

    from bridge.show import launch, preparer

    monkeypatch.setattr(preparer, "prepare_patterns", lambda *a: SimpleNamespace(step_count=1, from_cache=False))
    console = Console(record=True, width=200)
    options = SimpleNamespace(scene=None, use_cache=False)
    launch._prepare(options, None, (8, 4), logging.getLogger("test"), tmp_path / "show.log", console,
                    contextlib.nullcontext)
    assert console.export_text().startswith("1 step prepared in "), console.export_text()
