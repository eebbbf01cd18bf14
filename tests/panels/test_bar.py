"""Bar panels (bridge/panels/bar.py): sorted bars, a step's marked rows picked out at the top."""

import re

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


def _value_labels(texts, values):
    """The drawn texts that are value labels (not axis ticks): one per bar, in the bars' order."""
    return [t for t in texts if t in values]


def test_bar_labels_share_one_number_of_decimals(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: older, label: areas.lsoa21_name, top: 100, order: ascending, width: 60, height: 80}\n")
    values = b.contents[0].values
    assert values.min() < 10 < values.max()  # 5.6 to 26.x: below and above ten
    expected = [f"{v:.1f}" for v in values]
    texts = draw(b, size=(1200, 1600)).texts
    assert _value_labels(texts, expected) == expected  # e.g. 5.6 and 26.2, never 5.62 beside 26.2
    assert not any(re.fullmatch(r"\d+\.\d\d", t) for t in texts)


def test_bar_labels_of_counts_are_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: 'people[\"Aged 65 years and over\"] - 100.4', label: areas.lsoa21_name, top: 8, order: ascending, width: 50, height: 30}\n")
    assert b.contents[0].count and b.contents[0].values.min() < 100  # 43, not 42.6: a count of people is whole
    expected = [f"{round(v):,}" for v in b.contents[0].values]
    texts = draw(b).texts
    assert set(expected) <= set(texts) and not any(re.fullmatch(r"[\d,]+\.\d+", t) for t in texts), texts


def test_bar_labels_of_whole_numbers_are_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: bar, value: round(people.total / 100), label: areas.lsoa21_name, top: 8, width: 50, height: 30}\n")
    assert not b.contents[0].count and b.contents[0].values.max() < 100  # 16, not 16.0
    expected = [f"{round(v):,}" for v in b.contents[0].values]
    texts = draw(b).texts
    assert set(expected) <= set(texts) and not any(re.fullmatch(r"[\d,]+\.\d+", t) for t in texts), texts
