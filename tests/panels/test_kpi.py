"""KPI panels (bridge/panels/kpi.py): one number with a comparison and a sparkline; one number only."""

import pytest

from bridge.errors import BridgeError
from bridge.pipeline import load_briefing
from tests.conftest import MINIMAL, write_scene
from tests.panels.helpers import assert_error_located, draw, scene_with


def test_kpi_with_comparison_and_spark(workdir):
    b = scene_with(workdir, "  - {id: p, type: kpi, data: falls, value: max(value), compare: min(value), compare_label: vs lowest, spark: value, width: 40, height: 10}\n")
    drawn = draw(b, size=(800, 200))
    assert any("vs lowest" in t for t in drawn.texts) and any(t.startswith("▲") for t in drawn.texts)


def test_kpi_bad_format_is_located(workdir):
    assert_error_located(workdir, "{id: p, type: kpi, value: sum(people.total), format: '{:q}', width: 40, height: 10}", "cannot format")


def test_unknown_column_in_panel_is_located(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: sum(people.totl), width: 20, height: 10}\nsteps:")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    msg = str(info.value.problems[0])
    assert msg.startswith(f"{path}:7: panels[1].value: dataset 'people' has no column 'totl' (did you mean 'total'?)"), msg


def test_kpi_needs_one_number(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: people.total, width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match=r"a single number is needed: wrap it, e.g. sum\(people.total\)"):
        load_briefing(write_scene(workdir, text))


def test_non_numeric_column(workdir):
    text = MINIMAL.replace("steps:", "  - {id: k, type: kpi, value: sum(people.lsoa21_name), width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match="is not numeric"):
        load_briefing(write_scene(workdir, text))
