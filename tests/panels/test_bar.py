"""Bar panels (bridge/panels/bar.py): sorted bars, a step's marked rows picked out at the top."""

import numpy as np
from matplotlib.colors import to_rgb

from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.helpers import draw, scene_with, share_of


def test_bar_sorted_with_marked_rows(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 5, width: 50, height: 30}\n",
                   "    mark: {p: {top: 2}}\n")
    values = b.contents[0].values
    assert list(values) == sorted(values, reverse=True) and len(values) == 5
    assert b.marks[(0, "p")] == frozenset(b.contents[0].labels[:2])
    drawn = draw(b, marked=b.marks[(0, "p")])
    mark, plain = share_of(drawn.image, THEME.mark), share_of(drawn.image, THEME.muted)
    assert mark > 0.005 and plain > 0.005  # two picked-out bars, three muted ones
    rows = np.flatnonzero(np.all(np.abs(drawn.image.astype(int) - np.array(to_rgb(THEME.mark)) * 255) <= 12, axis=-1).sum(axis=1) > 20)
    assert rows.max() < drawn.image.shape[0] / 2  # the marked (largest) bars are at the top
