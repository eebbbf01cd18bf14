"""Whatever an analyst mistypes, Bridge answers with a located error, never a traceback.

Mutates the sample briefing at random (fixed seeds): values replaced with wrong types, empty
strings, broken expressions, unknown names.  Loading must either succeed or raise BridgeError.
"""

import copy
import random

import pytest
import yaml

from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import PanelArt
from tests.conftest import ROOT

BAD_VALUES = ["", 0, -1, 1e9, "x", None, [], {}, "sum(", "people.total", "areas.lsoa21_name", True, "nope",
              "{:q}", [1, 2], {"top": 3}, "1 / 0", "__import__('os')", "a.b.c", "not 3", '"text" + 1']


def _paths(obj, here=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield here + (key,)
            yield from _paths(value, here + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield here + (i,)
            yield from _paths(value, here + (i,))


@pytest.mark.parametrize("seed", range(6))
def test_mutated_scenes_never_crash(seed, tmp_path):
    base = yaml.safe_load((ROOT / "scenes" / "finding-dave.yaml").read_text())
    paths = list(_paths(base))
    rng = random.Random(seed)
    data = ROOT / "data" / "sample"
    for trial in range(12):
        scene = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(paths)
            node = scene
            try:
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = rng.choice(BAD_VALUES)
            except (KeyError, IndexError, TypeError):
                pass
        file = tmp_path / f"scene-{trial}.yaml"
        file.write_text(yaml.safe_dump(scene, allow_unicode=True).replace("../data/sample", str(data)))
        try:
            briefing = load_briefing(file)
            if trial % 6 == 0:
                art = PanelArt(briefing, 1024)
                for panel in briefing.scene.panels:
                    art.image(panel.id)
        except BridgeError as exc:
            assert all(str(file) in str(p) or p.file is None for p in exc.problems)
