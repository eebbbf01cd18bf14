"""The presenter console (bridge/show/console.py): where the show is, notes, next step, flags, errors."""

import io
from types import SimpleNamespace

from rich.console import Console

from bridge.errors import Problem
from bridge.show.cache import Prepared
from bridge.show.console import PresenterConsole, render
from bridge.show.presenter import Presenter


def live(step=0, problems=(), **flags):
    prepared = Prepared("k", "Finding Dave", ["Where", "Who", "What next"], ["Point at the **map**", "", "Close"], 0, [], [])
    presenter = Presenter(prepared.step_count)
    presenter.go(step)
    for name, value in flags.items():
        setattr(presenter, name, value)
    return SimpleNamespace(presenter=presenter, prepared=prepared, problems=list(problems), status="ready",
                           elapsed_text=lambda: "0:01:05", web_links=[])


def text_of(renderable, width=100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_shows_step_title_notes_next_and_clock():
    out = text_of(render(live(step=0), last_action="step 1"))
    assert "Bridge — Finding Dave" in out
    assert "Step 1/3" in out and "Where" in out
    assert "Point at the **map**" in out  # notes as written, not interpreted as markup
    assert "Next: 2. Who" in out
    assert "0:01:05" in out and "ready" in out and "last key: step 1" in out
    assert "BLACKOUT" not in out and "FROZEN" not in out


def test_last_step_empty_notes_and_flags():
    out = text_of(render(live(step=2, blackout=True, frozen_at=1)))
    assert "Step 3/3" in out and "Next: (this is the last step)" in out
    assert "BLACKOUT" in out and "FROZEN on step 2" in out
    assert "(no notes)" in text_of(render(live(step=1)))


def test_digits_quit_and_reload_errors_are_shown():
    state = live(step=1, digits="12", problems=[Problem("s.yaml", 4, "panels[0].yaw", "400 is outside -180..180")])
    state.presenter.key("q")  # arms quit
    out = text_of(render(state), width=120)
    assert "go to step 12_" in out and "press Esc or Q again to quit" in out
    assert "s.yaml:4: panels[0].yaw: 400 is outside -180..180" in out
    assert "not reloaded: last good frames shown" in out


def test_problems_are_printed_as_grep_able_lines():
    file = io.StringIO()
    console = PresenterConsole(Console(file=file, width=60, color_system=None))
    console.problems([Problem("a/long/path/to/the/scene.yaml", 12, "steps[3].show[0]", "no panel 'mapp' (did you mean 'map'?)")])
    lines = file.getvalue().splitlines()
    assert lines[0] == "error: a/long/path/to/the/scene.yaml:12: steps[3].show[0]: no panel 'mapp' (did you mean 'map'?)"
    assert "last good frames" in lines[1]


def test_the_web_links_and_parameters_are_shown():
    from bridge.show.presenter import ParamSpec

    state = live(step=1)
    state.web_links = ["remote (control): http://127.0.0.1:8765/remote?token=abc", "watch (look only): http://127.0.0.1:8765/watch?token=def"]
    state.presenter.set_params([ParamSpec("ward", ("all", "Clun"), ("All wards", "Clun"), "all")], [{}, {"ward": "Clun"}, {}])
    out = text_of(render(state), width=120)
    assert "remote (control): http://127.0.0.1:8765/remote?token=abc" in out and "watch (look only):" in out
    assert "▸ ward: Clun" in out  # the step's value, the picked parameter marked
    assert "remote (control)" not in text_of(render(live(step=1)))  # a show without a web server prints no links
