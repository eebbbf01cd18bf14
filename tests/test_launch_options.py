"""The show's assembly refuses what it cannot run before opening anything, in-process and fast:
no display, and the options' own text (checked by the command before the display)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bridge import cli
from bridge.errors import BridgeError
from bridge.show.launch import LaunchOptions, launch


def test_no_display_is_refused_before_the_room_is_loaded(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    loaded = []
    with pytest.raises(BridgeError, match="no display"):
        launch(LaunchOptions(scene=Path("scenes/finding-dave.yaml")), lambda: loaded.append(1),
               Console(file=io.StringIO()), lambda: None)
    assert not loaded


@pytest.mark.parametrize("args, fragment", [
    (["--fit", "tiny"], "--fit: 'tiny' is not WIDTHxHEIGHT"),
    (["--size", "100x100"], "--size"),
    (["--patterns"], "give a scene file, or --patterns"),
])
def test_an_options_mistake_is_named_even_with_no_display(monkeypatch, capsys, args, fragment):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert cli.main(["launch", "scenes/finding-dave.yaml", "--windowed", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "no display" not in err and "Traceback" not in err
