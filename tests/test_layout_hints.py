"""Space a panel leaves empty is offered as a located `hint:` by validate and render (issue 26:
a tall county map in a wide panel left 40% of it empty, and nothing said so)."""

from bridge import cli
from tests.conftest import BASE, write_scene

WIDE_MAP = "  - {id: m, type: map, colour: people.total, legend: residents, width: 90, height: 24}\n"


def test_validate_gives_a_located_hint_for_a_map_in_a_box_of_another_shape(workdir, capsys):
    path = write_scene(workdir, BASE + "panels:\n" + WIDE_MAP + "steps:\n  - {title: One, show: [m]}\n")
    assert cli.main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    hint = next((line for line in err.splitlines() if line.startswith("hint: ")), None)
    assert hint is not None and hint.startswith(f"hint: {path}:6: panels[0]: 'm': "), err
    assert "centred with" in hint and "a width of about" in hint, hint
    assert not any(line.startswith("warning:") and "'m'" in line for line in err.splitlines()), err  # advice, not a fault
