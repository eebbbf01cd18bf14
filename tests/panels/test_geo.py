"""What map-like panels share (bridge/panels/common/geo.py): polygon paths with holes, point axes."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath

from bridge.panels.common.canvas import Canvas
from bridge.panels.common.geo import PointsContent, compound_path, point_axes
from bridge.theme import DEFAULT_THEME as THEME
from bridge.theme import rgb255


def ring(x0, y0, x1, y1, clockwise: bool) -> np.ndarray:
    xy = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]], float)  # anticlockwise
    return xy[::-1] if clockwise else xy


def signed_areas(path: MplPath) -> list[float]:
    starts = list(np.flatnonzero(path.codes == MplPath.MOVETO)) + [len(path.codes)]
    out = []
    for a, b in zip(starts[:-1], starts[1:]):
        xy = path.vertices[a:b]
        out.append(0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))
    return out


@pytest.mark.parametrize("shell_clockwise", [True, False])
def test_compound_path_winds_holes_opposite_to_shells(shell_clockwise):
    square_with_hole = [ring(0, 0, 10, 10, shell_clockwise), ring(3, 3, 7, 7, shell_clockwise)]  # both wound alike
    island = [ring(20, 0, 24, 4, not shell_clockwise)]
    path = compound_path([square_with_hole, island])
    assert list(path.codes).count(MplPath.MOVETO) == 3  # one sub-path per ring
    assert signed_areas(path) == pytest.approx([100, -16, 16])  # shells anticlockwise, the hole clockwise


def filled(path: MplPath) -> np.ndarray:
    c = Canvas((240, 100), 10.0)
    ax = c.fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.add_collection(PathCollection([path], facecolors="#ff0000", edgecolors="none"))
    ax.set_xlim(0, 24)
    ax.set_ylim(0, 10)
    red = np.array(rgb255("#ff0000"))
    return np.all(np.abs(c.image().astype(int) - red) < 10, axis=-1)


def test_holes_are_left_empty_when_drawn():
    same_winding = [[ring(0, 0, 10, 10, False), ring(3, 3, 7, 7, False)]]
    naive = MplPath(np.concatenate(same_winding[0]), [1, 2, 2, 2, 2] * 2)
    assert filled(naive)[50, 50], "control: a hole wound like its shell is filled (non-zero rule)"
    drawn = filled(compound_path(same_winding))
    assert not drawn[50, 50] and drawn[50, 10] and drawn[10, 50]  # hole empty, ring around it filled
    assert not drawn[50, 150]  # outside


def test_point_axes_keeps_only_points_in_view():
    outline = [[[ring(0, 0, 1000, 500, False)]]]  # one area: a multipolygon of one polygon of one ring
    xy = np.array([[10, 10], [900, 400], [5000, 10], [np.nan, np.nan]], float)
    c = Canvas((800, 500), 20.0)
    axes = point_axes(c, "Points", None, PointsContent(outline, xy, None), legend=True)
    assert list(axes.inside) == [True, True, False, False]
    assert axes.xlim[0] <= 0 and axes.xlim[1] >= 1000 and axes.ylim[0] <= 0 and axes.ylim[1] >= 500
    cell, nx, ny = axes.grid(c)
    assert cell >= 1.0 and nx * cell >= axes.xlim[1] - axes.xlim[0] and ny * cell >= axes.ylim[1] - axes.ylim[0]
    assert "Points" in [t for t, _ in c.texts()]
    image = c.image()
    assert (np.all(image == rgb255(THEME.missing), axis=-1)).mean() > 0.1  # the areas in the 'missing' grey


def test_leave_room_narrows_the_map_axes_but_never_widens_them():
    from bridge.panels.common.geo import leave_room, map_axes

    c = Canvas((800, 500), 20.0)  # 40° wide: a degree is 0.025 of the width
    ax = map_axes(c, 0.1, 0.9, legend=True)
    x0, _, width, _ = ax.get_position(original=True).bounds
    leave_room(c, ax, 0.95)  # a legend starting further right than the room kept: nothing changes
    assert ax.get_position(original=True).width == pytest.approx(width)
    leave_room(c, ax, 0.5)  # a wider legend: the map ends a degree left of it
    assert ax.get_position(original=True).x1 == pytest.approx(0.5 - 0.025)
    assert ax.get_position(original=True).x0 == pytest.approx(x0)


def test_colour_bar_numbers_are_written_as_legends_write_them_never_with_an_offset():
    from bridge.panels.common.geo import TickNumbers

    assert TickNumbers().format_ticks([2e9, 4e9, 6e9, 8e9]) == ["2bn", "4bn", "6bn", "8bn"]  # short from a million up
    assert TickNumbers().format_ticks([0, 2.5e6, 5e6]) == ["0", "2.5m", "5.0m"]  # zero needs no decimals or unit
    assert TickNumbers().format_ticks([200_000, 400_000]) == ["200,000", "400,000"]
    assert TickNumbers().format_ticks([200, 400, 1000]) == ["200", "400", "1,000"]
    assert TickNumbers().format_ticks([0.0025, 0.005, 0.0075]) == ["0.0025", "0.0050", "0.0075"]  # one number of decimals
