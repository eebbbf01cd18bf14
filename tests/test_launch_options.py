"""The show's assembly refuses what it cannot run before opening anything, in-process and fast:
no display, and the options' own text (checked by the command before the display), a --hosts
that would be ignored without --cluster among them; and how SIGTERM stops it at each stage."""

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
    (["--hosts", "hosts"], "--hosts: a host file is for a room on several PCs; add --cluster"),
])
def test_an_options_mistake_is_named_even_with_no_display(monkeypatch, capsys, args, fragment):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert cli.main(["launch", "scenes/finding-dave.yaml", "--windowed", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "no display" not in err and "Traceback" not in err


def test_sigterm_stops_preparing_waits_for_the_windows_and_then_quits_as_esc_does(caplog):
    """SIGTERM raises while the steps are prepared (exit 143), is kept while the windows and workers
    open (raising there would leave them half open), and quits the show once it runs."""
    import logging
    import signal
    from types import SimpleNamespace

    from bridge.show.launch import StopOnSigterm, Terminated

    stop = StopOnSigterm()
    with pytest.raises(Terminated):
        stop(signal.SIGTERM, None)
    assert Terminated.exit_code == 143
    stop.opening()
    stop(signal.SIGTERM, None)  # kept, not raised
    live = SimpleNamespace(presenter=SimpleNamespace(quit=False))
    caplog.set_level(logging.INFO, logger="bridge")
    stop.attach(live)
    assert live.presenter.quit and "SIGTERM: quitting, as Esc twice does" in caplog.text
    running = SimpleNamespace(presenter=SimpleNamespace(quit=False))
    later = StopOnSigterm()
    later.opening()
    later.attach(running)
    assert not running.presenter.quit  # no SIGTERM yet: the show runs
    later(signal.SIGUSR1, None)  # a cluster rank: the launcher's SIGTERM, passed on by mpirun
    assert running.presenter.quit and "SIGTERM to the cluster's launcher" in caplog.text
