"""The private X server (bridge/show/xvfb.py): a ready display while inside, no server left after."""

import os
import re
from pathlib import Path

import pytest
from PIL import ImageGrab

from bridge.show.xvfb import virtual_display


def xvfb_children() -> set[int]:
    """Pids of Xvfb processes this test process started (and has not yet reaped)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if comm == "Xvfb" and int(rest[1]) == os.getpid():
            pids.add(int(stat.parent.name))
    return pids


@pytest.mark.slow
def test_display_is_ready_inside_and_gone_after():
    before = xvfb_children()
    with virtual_display(320, 240) as name:
        assert re.fullmatch(r":\d+", name)
        assert ImageGrab.grab(xdisplay=name).size == (320, 240)  # an X client connects at once: it is ready
        servers = xvfb_children() - before
        assert len(servers) == 1
    assert not (servers & xvfb_children())  # terminated and reaped, not a zombie
    with pytest.raises(OSError):
        ImageGrab.grab(xdisplay=name)


@pytest.mark.slow
def test_two_displays_at_once_get_their_own_numbers():
    with virtual_display(320, 240) as a, virtual_display(640, 480) as b:
        assert a != b
        assert ImageGrab.grab(xdisplay=a).size == (320, 240) and ImageGrab.grab(xdisplay=b).size == (640, 480)


@pytest.mark.slow
def test_a_server_that_cannot_start_is_a_clear_error():
    before = xvfb_children()
    with pytest.raises(RuntimeError, match=r"Xvfb \(320x240x7\) exited with code \d+ before it was ready"):
        with virtual_display(320, 240, depth=7):
            pass
    assert xvfb_children() == before


def test_missing_xvfb_says_how_to_install_it(monkeypatch):
    import bridge.show.xvfb

    monkeypatch.setattr(bridge.show.xvfb.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Xvfb is not installed: bash scripts/setup.sh"):
        with virtual_display(320, 240):
            pass
