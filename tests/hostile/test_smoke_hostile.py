from tests.hostile.harness import accepted, run_bridge, scene


def test_harness_accepts_a_good_briefing(briefing):
    accepted(run_bridge("validate", scene(briefing)))
