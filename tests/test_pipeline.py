"""The order of the work, end to end: the sample's pictures, and every problem found before drawing."""

import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import render_briefing
from bridge.room.load import load_room
from tests.conftest import MINIMAL, ROOT, write_scene

REFERENCE = ROOT / "tests" / "reference" / "finding-dave-2048x1024"


@pytest.fixture(scope="module")
def sample_render(tmp_path_factory):
    """The sample briefing rendered once at 2048×1024: (the briefing, the folder its steps are in, the step numbers)."""
    out = tmp_path_factory.mktemp("finding-dave")
    briefing = load_briefing(ROOT / "scenes" / "finding-dave.yaml")
    result = render_briefing(briefing, load_room("bridge"), out, (2048, 1024))
    return briefing, out, result.steps


@pytest.mark.slow
def test_sample_frames_match_the_pictures_from_before_the_refactor(sample_render):
    """tests/reference/ holds the sample's frames rendered before panel types became modules.

    On this project's machines they are reproduced exactly (checked when the refactor landed).
    The test allows a handful of pixels to differ by a few levels, because another build of
    Mesa's software rasteriser may round texture filtering differently; a moved label, a changed
    colour or size would change thousands of pixels by far more.
    """
    _, out, steps = sample_render
    assert len(steps) == 7
    for n in steps:
        new = np.asarray(Image.open(out / f"step-{n:02d}" / "equirect.png")).astype(int)
        old = np.asarray(Image.open(REFERENCE / f"step-{n:02d}.png")).astype(int)
        assert new.shape == old.shape
        differs = np.abs(new - old).max(axis=-1) > 2
        assert differs.mean() <= 1e-4, f"step {n}: {differs.sum()} pixels differ from the reference"


@pytest.mark.slow
def test_the_sample_uses_the_room(sample_render):
    """At least five of the sample's seven steps light half of the room's lit band or more, as
    bench/room_usage.py measures it (the same function): its maps fill the band's height on a
    wall each, and a step shows what belongs to it on several walls, not a few cards on dark ones.
    (Before the redesign its steps lit 11–40%.)"""
    from bridge.render.output import read_equirect
    from bridge.render.room_usage import background_rgb, band_mask, band_usage

    briefing, out, steps = sample_render
    room = load_room("bridge")
    background = background_rgb(briefing.theme)
    mask = band_mask(room, 2048, 1024)
    shares = [band_usage(read_equirect(out / f"step-{n:02d}" / "equirect.png"), room, background, mask) for n in steps]
    assert sum(share >= 0.5 for share in shares) >= 5, [f"{share:.0%}" for share in shares]


def test_rules_checked_without_drawing(workdir):
    """A choropleth with fixed classes but no breaks used to fail only while drawing."""
    text = MINIMAL.replace("steps:", "  - {id: m, type: map, colour: people.total, classes: {method: fixed}, width: 40, height: 20}\nsteps:")
    with pytest.raises(BridgeError, match=r"scene.yaml:\d+: panels\[1\].classes: method fixed needs breaks"):
        load_briefing(write_scene(workdir, text))


def test_layout_and_data_problems_together(workdir):
    (workdir / "theme.yaml").write_text("acent: red\n")
    text = MINIMAL.replace("datasets:", "theme: theme.yaml\ndatasets:").replace(
        "steps:",
        "  - {id: m, type: map, colour: people.totl, width: 40, height: 20}\n"
        "  - {id: x, type: extruded, colour: people.total, title: A title, width: 40, height: 3}\nsteps:")
    with pytest.raises(BridgeError) as info:
        load_briefing(write_scene(workdir, text))
    text = "\n".join(map(str, info.value.problems))
    assert "theme.yaml:1: acent: unknown key (did you mean 'accent'?)" in text
    assert "panels[2].height: the caption of an extruded map needs" in text
    assert "panels[1].colour: dataset 'people' has no column 'totl'" in text


def test_a_header_that_leaves_no_room_is_found_by_validate(workdir):
    """Before, a panel whose title filled it failed only while drawing ('too small for its content')."""
    bar = ("  - {id: b, type: bar, value: people.total, label: people.lsoa21_code, width: 14, height: 4,"
           " title: A long title that wraps onto several lines in a narrow panel, source: Census 2021}\nsteps:")
    with pytest.raises(BridgeError, match=r"scene.yaml:\d+: panels\[1\].height: the title and source line leave no room"):
        load_briefing(write_scene(workdir, MINIMAL.replace("steps:", bar)))
    roomy = bar.replace("height: 4", "height: 30")
    assert load_briefing(write_scene(workdir, MINIMAL.replace("steps:", roomy))).contents[1].labels


def test_a_failed_measure_marks_its_panels_and_the_rest_are_still_checked(workdir):
    text = MINIMAL.replace("panels:", "derive:\n  broken: people.totl * 2\n  fine: people.total / 2\n  also_broken: nope.x\npanels:").replace(
        "steps:",
        "  - {id: a, type: kpi, value: sum(broken), width: 20, height: 10}\n"
        "  - {id: b, type: kpi, value: sum(fine), width: 20, height: 10}\n"
        "  - {id: c, type: kpi, value: sum(people.missing_column), width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError) as info:
        load_briefing(write_scene(workdir, text))
    lines = [str(p) for p in info.value.problems]
    assert any("derive.broken: dataset 'people' has no column 'totl'" in line for line in lines), lines
    assert any("derive.also_broken: no dataset 'nope'" in line for line in lines), lines
    assert any("panels[1].value: uses the measure 'broken', which could not be computed" in line for line in lines), lines
    assert any("panels[3].value:" in line and "missing_column" in line for line in lines), lines
    assert not any("panels[2]" in line for line in lines)  # the panel on the good measure is fine


@pytest.mark.slow
def test_rendering_one_step_keeps_the_other_rows_of_the_contact_sheet(workdir, tmp_path):
    text = MINIMAL.replace("steps:", "  - {id: other, type: text, text: Second, yaw: 90, width: 30, height: 10}\nsteps:") + \
        "  - {title: Two, show: [other]}\n"
    path = write_scene(workdir, text)
    room = load_room("rehearsal")
    full = render_briefing(load_briefing(path), room, tmp_path, (512, 256))
    before = np.asarray(Image.open(full.contact_sheet))
    (workdir / "scene.yaml").write_text(text.replace("text: Second", "text: Changed"))
    one = render_briefing(load_briefing(path), room, tmp_path, (512, 256), steps=[2])
    after = np.asarray(Image.open(one.contact_sheet))
    assert after.shape == before.shape  # both rows are still there
    half = before.shape[0] // 2
    assert np.array_equal(after[:half - 20], before[:half - 20])  # step 1's row kept as it was
    assert not np.array_equal(after[half:], before[half:])  # step 2's row redrawn


def test_every_mistake_in_one_panel_is_reported_at_once(workdir):
    text = MINIMAL.replace("  - {id: note, type: text, text: Hello, yaw: 0, pitch: 0, width: 30, height: 10}",
                           "  - {id: b, type: bar, value: people.nope, label: areas.lsoa21_nam, width: 40, height: 20}\n"
                           "  - {id: t, type: table, columns: {A: people.x, B: people.total}, width: 40, height: 20}")
    path = write_scene(workdir, text.replace("show: [note]", "show: [b, t]"))
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    where = [p.key for p in info.value.problems]
    assert where == ["panels[0].value", "panels[0].label", "panels[1].columns.A"], info.value.problems
    assert "did you mean 'lsoa21_name'?" in info.value.problems[1].message


@pytest.mark.slow
@pytest.mark.parametrize("scene", ["finding-dave.yaml", "cold-homes-and-renting.yaml"])
def test_the_samples_have_no_text_cut_or_overlapping(scene):
    from bridge.render.pipeline import layout_faults

    briefing = load_briefing(ROOT / "scenes" / scene)
    for width in (2048, 4096, 8192):
        assert layout_faults(briefing, width)[0] == [], width


@pytest.mark.slow
def test_text_that_overlaps_or_is_cut_is_reported_at_its_panel(workdir, tmp_path):
    from typing import Literal

    from bridge import panels
    from bridge.panels.common.base import PanelModel
    from bridge.render.pipeline import layout_faults

    class Clash(PanelModel):
        type: Literal["clash"]

        def draw(self, canvas, content, source, marked) -> None:
            canvas.fig.text(0.4, 0.5, "Left words", fontsize=canvas.pt(2))
            canvas.fig.text(0.42, 0.5, "Right words", fontsize=canvas.pt(2))
            canvas.fig.text(0.9, 0.2, "runs off the edge", fontsize=canvas.pt(2))

    panels.register(Clash)
    try:
        text = MINIMAL.replace("type: text, text: Hello,", "type: clash,")
        path = write_scene(workdir, text)
        briefing = load_briefing(path)
        faults = [str(f) for f in layout_faults(briefing, 2048)[0]]
        assert any(f"{path}:6: panels[0]: 'note': text 'Left words' overlaps text 'Right words'" in f for f in faults), faults
        assert any("text 'runs off the edge' runs past the panel's right edge by" in f for f in faults), faults
        result = render_briefing(briefing, load_room("bridge"), tmp_path / "out", (1024, 512))
        assert [str(f) for f in result.layout_faults] == faults
    finally:
        panels.unregister("clash")


def test_layout_is_checked_in_each_steps_parameter_view_too(workdir):
    from typing import Literal

    from bridge import panels
    from bridge.panels.common.base import PanelModel
    from bridge.render.pipeline import layout_faults

    class Named(PanelModel):  # writes its title, and a word over it when the title is long
        type: Literal["named"]

        def draw(self, canvas, content, source, marked) -> None:
            canvas.fig.text(0.05, 0.5, self.title, fontsize=canvas.pt(2))
            if len(self.title) > 12:
                canvas.fig.text(0.1, 0.5, "over", fontsize=canvas.pt(2))

    panels.register(Named)
    try:
        text = (MINIMAL.replace("title: Test\n", "title: Test\nparams:\n  place: {type: choice, values: [Ludlow, Much Wenlock and Cressage]}\n")
                .replace("type: text, text: Hello,", "type: named, title: '{params.place}',")
                .replace("steps:\n  - {title: One, show: [note]}", "steps:\n  - {title: One, show: [note]}\n  - {title: Two, show: [note], params: {place: Much Wenlock and Cressage}}"))
        path = write_scene(workdir, text)
        briefing = load_briefing(path)
        assert [s.params for s in briefing.scene.steps][1] == {"place": "Much Wenlock and Cressage"}
        faults = [str(f) for f in layout_faults(briefing, 2048)[0]]
        assert faults and all("text 'Much Wenlock and Cressage'" in f for f in faults), faults  # not Ludlow's view
        assert any("overlaps text 'over'" in f for f in faults), faults
    finally:
        panels.unregister("named")
