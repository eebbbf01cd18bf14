"""`bridge import`: a Power BI report's pages as steps, its visuals as panels round the room
(bridge/data/powerbi/report.py, bridge/scaffold/from_report.py, visuals.py, page_layout.py)."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
import yaml

from bridge.cli import main
from bridge.data.powerbi.report import read_report
from bridge.errors import BridgeError
from bridge.render.checks import lit_warnings
from bridge.room.load import load_room
from bridge.scaffold.page_layout import Box, page_spots

PBIX = Path(__file__).parent / "data" / "pbix"
SUPPLIER = PBIX / "old-Supplier-Quality-Analysis-Sample-PBIX.pbix"
AS_OF = "2024-06-30"


def test_the_report_is_read_page_by_page_with_each_visuals_fields_by_role():
    report = read_report(SUPPLIER)
    assert [p.name.strip() for p in report.pages] == ["Info", "Supplier Quality", "Top Bottom Analysis",
                                                      "Downtime Analysis", "Duplicate of Info"]
    page = report.pages[1]
    assert (page.width, page.height) == (960, 720)
    column = next(v for v in page.visuals if v.type == "clusteredColumnChart")
    assert [f.column for f in column.fields("Category")] == ["Material Type[Material Type]"]
    assert [f.column for f in column.fields("Series")] == ["Defect Type[Defect Type]"]
    assert [(f.kind, f.name) for f in column.fields("Y")] == [("measure", "Total Defect Qty")]
    assert column.x == pytest.approx(29.96, abs=0.01) and column.width == pytest.approx(909.29, abs=0.01)
    title = next(v for v in page.visuals if v.type == "textbox" and v.y < 20)
    assert title.text == "Supplier Quality Analysis"


def test_a_visuals_own_aggregation_becomes_a_dax_measure():
    report = read_report(PBIX / "Adventure Works, Internet Sales.pbix")
    table = report.pages[1].visuals[0]
    aggregate = next(f for f in table.fields("Values") if f.kind == "aggregate")
    assert aggregate.measure_name == "Count of CustomerKey"
    assert aggregate.dax == "DISTINCTCOUNT('Internet Sales'[CustomerKey])" or aggregate.dax.endswith("[CustomerKey])")


def test_a_damaged_layout_is_one_clear_line(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Report/Layout", "{not json".encode("utf-16-le"))
        archive.writestr("DataModel", b"x")
    path = tmp_path / "broken.pbix"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(BridgeError) as caught:
        read_report(path)
    assert str(caught.value).startswith("broken.pbix: has a damaged report layout")


@pytest.mark.parametrize("room_name", ["bridge", "front-wall"])
def test_a_page_is_laid_left_to_right_round_the_room_inside_the_lit_band(room_name):
    room = load_room(room_name)
    boxes = [Box(x, y, 300, 200, "column") for y in (0, 240, 480) for x in (0, 320, 640, 960)]
    spots = page_spots(boxes, 1280, 720, room)
    (start, end), = room.covered_yaws()
    for row in range(3):
        yaws = [s.yaw for s in spots[row * 4:row * 4 + 4]]
        assert yaws == sorted(yaws)  # left to right on the page is clockwise round the room
        assert all(start <= y - 0.01 for y in yaws) and all(y <= end + 0.01 for y in yaws)
    assert spots[0].pitch > spots[4].pitch > spots[8].pitch  # top to bottom is high to low
    for k, a in enumerate(spots):
        lo, hi = room.lit_band(a.yaw)
        assert lo <= a.pitch - a.height / 2 and a.pitch + a.height / 2 <= hi
        for b in spots[k + 1:]:  # nothing overlaps
            assert abs(a.yaw - b.yaw) >= (a.width + b.width) / 2 or abs(a.pitch - b.pitch) >= (a.height + b.height) / 2
    if room_name == "bridge":  # a page uses the walls, not one of them
        assert max(s.yaw for s in spots) - min(s.yaw for s in spots) > 150


@pytest.mark.slow
def test_a_report_imports_as_a_briefing_that_validates_with_a_clean_layout(tmp_path, capsys):
    from bridge.render.briefing import load_briefing
    from bridge.render.pipeline import layout_faults

    assert main(["import", str(SUPPLIER), "--out", str(tmp_path / "b"), "--as-of", AS_OF]) == 0
    printed = capsys.readouterr().out
    assert "not converted" in printed and "map" in printed and "boundary files" in printed
    assert "visuals converted: 21 of 26" in printed  # slicers (parameters) and placed panels, of every visual
    scene = tmp_path / "b" / "old-Supplier-Quality-Analysis-Sample-PBIX.yaml"
    text = scene.read_text()
    assert (tmp_path / "b" / SUPPLIER.name).read_bytes() == SUPPLIER.read_bytes()
    assert "# not converted: map:" in text  # the scene says what it left out, where
    data = yaml.safe_load(text)
    assert [s["title"] for s in data["steps"]] == ["Info", "Supplier Quality", "Top Bottom Analysis", "Downtime Analysis",
                                                   "Duplicate of Info"]
    assert data["models"]["report"]["as_of"] == datetime.date(2024, 6, 30)
    kinds = {p["type"] for p in data["panels"]}
    assert {"column", "line", "scatter", "table", "kpi", "text", "image"} <= kinds
    assert "category" in data["params"]  # the slicer became a parameter that filters its page
    room = load_room(None)
    briefing = load_briefing(scene, room=room)
    faults, _ = layout_faults(briefing, 4096)
    assert faults == []
    assert lit_warnings(briefing.scene, briefing.data.doc, room) == []


@pytest.mark.slow
def test_import_writes_over_nothing(tmp_path, capsys):
    folder = tmp_path / "b"
    folder.mkdir()
    mine = folder / "old-Supplier-Quality-Analysis-Sample-PBIX.yaml"
    mine.write_text("my own work\n")
    assert main(["import", str(SUPPLIER), "--out", str(folder), "--as-of", AS_OF]) == 2
    assert "already exists; Bridge does not overwrite it" in capsys.readouterr().err
    assert mine.read_text() == "my own work\n"
    assert sorted(p.name for p in folder.iterdir()) == [mine.name]


@pytest.mark.parametrize("report, why", [("live-connection-ssas.pbix", "Analysis Services"),
                                         ("empty-schema-calc-only.pbix", "only calculated tables")])
def test_a_report_with_no_data_is_refused_in_one_line(tmp_path, capsys, report, why):
    assert main(["import", str(PBIX / report), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert report in err and why in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
@pytest.mark.parametrize("report", ["Adventure Works, Internet Sales.pbix", "rls-sample-report.pbix"])
def test_every_sample_report_imports_and_validates_clean(tmp_path, report):
    from bridge.render.briefing import load_briefing
    from bridge.render.pipeline import layout_faults

    assert main(["import", str(PBIX / report), "--out", str(tmp_path), "--as-of", AS_OF]) == 0
    scene = next(tmp_path.glob("*.yaml"))
    briefing = load_briefing(scene, room=load_room(None))
    assert briefing.scene.steps and briefing.scene.panels
    faults, _ = layout_faults(briefing, 4096)
    assert faults == []


@pytest.mark.slow
def test_names_from_the_report_cannot_write_into_the_scene(monkeypatch):
    """A page named "x\\nevil: 1" (a report is untrusted input) stays a title and a comment."""
    from bridge.scaffold import from_report

    real = from_report.read_report

    def renamed(path):
        report = real(path)
        report.pages[1].name = "Supplier\nevil: 1\n# \x1b[31m"
        return report

    monkeypatch.setattr(from_report, "read_report", renamed)
    imported = from_report.import_report(SUPPLIER, load_room(None), datetime.date(2024, 6, 30))
    data = yaml.safe_load(imported.text)
    assert "evil" not in data
    assert data["steps"][1]["title"] == "Supplier\nevil: 1\n# \x1b[31m"  # kept as the page's name, quoted
    comments = [line for line in imported.text.splitlines() if line.lstrip().startswith("#")]
    assert any("Supplier evil: 1" in line and "\\x1b" in line for line in comments)


def test_the_visuals_extent_not_the_pages_margins_is_laid_round_the_room():
    room = load_room("bridge")
    boxes = [Box(400, 300, 200, 120, "column"), Box(640, 300, 200, 120, "column")]  # a wide empty margin all round
    spots = page_spots(boxes, 1280, 720, room)
    left, right = spots[0].yaw - spots[0].width / 2, spots[1].yaw + spots[1].width / 2
    assert right - left > 250  # the two charts, not the page, span the walls
    lo, hi = room.lit_band(0.0)
    assert all(s.height > 0.8 * (hi - lo) - 6 for s in spots)  # and the band's height


def test_a_picture_keeps_its_shape_and_text_keeps_its_size_while_charts_grow_into_the_free_band():
    room = load_room("bridge")
    boxes = [Box(0, 0, 600, 100, "column"), Box(700, 0, 400, 200, "image"), Box(0, 600, 600, 100, "kpi"),
             Box(700, 600, 400, 100, "text")]
    chart, picture, kpi, text = page_spots(boxes, 1280, 720, room)
    assert picture.width == pytest.approx(picture.height * 2, abs=0.02)
    assert chart.height > 14.5  # grown past a chart's least height into the band below it
    assert chart.pitch - chart.height / 2 > kpi.pitch + kpi.height / 2  # and still clear of the card below
    assert text.height == pytest.approx(5.0, abs=0.01)  # a text box's least height: its type does not grow
