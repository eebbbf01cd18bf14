"""Scene size: counts of datasets, panels and steps are bounded, and errors quote input briefly."""

import pytest

from tests.hostile.harness import SCENE, TEXT_PANEL, refused, run_bridge, scene

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess


def test_too_many_panels(briefing):
    panels = "\n".join(f"  - {{id: p{i}, type: text, text: hi, width: 10, height: 5}}" for i in range(150))
    refused(run_bridge("validate", scene(briefing, panels.replace("p0,", "p,", 1))),
            r"scene.yaml:5: panels: has 150 entries; at most 100 are allowed")


def test_too_many_steps(briefing):
    text = SCENE.replace("PANELS", TEXT_PANEL) + "".join(f"  - {{title: S{i}, show: [p]}}\n" for i in range(120))
    refused(run_bridge("validate", scene(briefing, text=text)), r"scene.yaml:\d+: steps: has 121 entries; at most 100")


def test_too_many_datasets(briefing):
    extra = "".join(f"  d{i}: {{path: data/census21_age_shropshire.csv, key: lsoa21_code}}\n" for i in range(60))
    text = SCENE.replace("PANELS", TEXT_PANEL).replace("panels:", extra + "panels:", 1)
    refused(run_bridge("validate", scene(briefing, text=text)), r"scene.yaml:2: datasets: has 62 entries; at most 50")


def test_a_huge_wrong_value_is_quoted_briefly(briefing):
    panel = "  - {id: p, type: text, text: hi, width: [" + ", ".join(["1"] * 20000) + "], height: 5}"
    outcome = refused(run_bridge("validate", scene(briefing, panel)), r"panels\[0\].width: input should be a valid number")
    assert len(outcome.stderr) < 1000
