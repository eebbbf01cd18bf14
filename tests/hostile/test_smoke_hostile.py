import pytest

from tests.hostile.harness import accepted, run_bridge, scene

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess


def test_harness_accepts_a_good_briefing(briefing):
    accepted(run_bridge("validate", scene(briefing)))
