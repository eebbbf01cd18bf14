"""The drawn-panel cache (bridge/render/panel_cache.py), panels drawn side by side
(bridge/render/parallel.py) and the render's up-to-date stamp (bridge/render/stamp.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bridge.render import panel_cache
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import PanelArt, prefetch
from tests.conftest import BASE, write_scene

PANELS = """
panels:
  - {id: a, type: text, text: First, title: Alpha, yaw: -40, width: 30, height: 14}
  - {id: b, type: text, text: Second, title: Beta, yaw: 0, width: 30, height: 14}
  - {id: old, type: kpi, title: Older residents, value: 'sum(people["Aged 65 years and over"])', yaw: 40, width: 30, height: 14}
steps:
  - {title: One, show: [a, b, old]}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty cache folder for this test, and nothing remembered in this process."""
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    panel_cache.forget()
    yield panel_cache.cache_root()
    panel_cache.forget()


@pytest.fixture
def draws(monkeypatch) -> list[str]:
    """The titles of the panels `draw_panel` is asked to draw, in this process."""
    from bridge.panels.common import canvas

    drawn: list[str] = []
    real = canvas.draw_panel

    def counted(panel, *args, **kwargs):
        drawn.append(panel.id)
        return real(panel, *args, **kwargs)

    monkeypatch.setattr(canvas, "draw_panel", counted)
    return drawn


def pictures(scene: Path, width: int = 512) -> dict[str, np.ndarray]:
    """Every panel's picture as a fresh process would find it: nothing remembered, the disk store used."""
    panel_cache.forget()
    art = PanelArt(load_briefing(scene), width)
    return {p.id: art.image(p.id) for p in art.briefing.scene.panels}


def test_editing_one_title_redraws_only_that_panel(workdir, cache, draws):
    scene = write_scene(workdir, BASE + PANELS)
    first = pictures(scene)
    assert sorted(draws) == ["a", "b", "old"]
    draws.clear()
    scene.write_text(scene.read_text().replace("title: Beta", "title: Beta edited"))
    second = pictures(scene)
    assert draws == ["b"]
    assert np.array_equal(first["a"], second["a"]) and not np.array_equal(first["b"], second["b"])


def test_a_changed_data_file_redraws_the_panels_that_show_it(workdir, cache, draws):
    scene = write_scene(workdir, BASE + PANELS)
    pictures(scene)
    draws.clear()
    people = workdir / "data" / "census21_age_shropshire.csv"
    lines = people.read_text().splitlines()
    header = lines[0].split(",")
    column = next(k for k, name in enumerate(header) if "65 years and over" in name)
    row = lines[1].split(",")
    row[column] = str(int(float(row[column])) + 1000)
    people.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    pictures(scene)
    assert draws == ["old"]  # the KPI sums the column; the text panels read no data


def test_unchanged_pictures_come_from_disk_bit_for_bit(workdir, cache, draws):
    scene = write_scene(workdir, BASE + PANELS)
    first = pictures(scene)
    again = pictures(scene)
    assert sorted(draws) == ["a", "b", "old"]  # drawn once, then read back
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert len(list(cache.glob("*.npy"))) == 3 and len(list(cache.glob("*.json"))) == 3


@pytest.mark.parametrize("damage", ["garbage", "pickle", "record", "shape"])
def test_a_damaged_entry_is_drawn_again_not_trusted(workdir, cache, draws, damage):
    scene = write_scene(workdir, BASE + PANELS)
    first = pictures(scene)
    draws.clear()
    art = PanelArt(load_briefing(scene), 512)
    key = art.key("b")
    pixels, record_path = cache / f"{key}.npy", cache / f"{key}.json"
    record = json.loads(record_path.read_text())
    if damage == "garbage":
        pixels.write_bytes(b"\x93NUMPY" + b"\0" * 100)
    elif damage == "pickle":  # a pickled object with its hash recorded: still never unpickled
        import hashlib
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
        pixels.write_bytes(buffer.getvalue())
        record_path.write_text(json.dumps({**record, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}))
    elif damage == "record":
        record_path.write_text("{not json")
    else:  # a picture of the wrong size, hashed correctly
        import hashlib
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.zeros((4, 4, 3), np.uint8))
        pixels.write_bytes(buffer.getvalue())
        record_path.write_text(json.dumps({**record, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}))
    again = pictures(scene)
    assert draws == ["b"]
    assert np.array_equal(first["b"], again["b"])
    assert panel_cache.load(key, art.job("b")[2]) is not None  # stored afresh


def test_the_store_is_bounded_oldest_out_first(workdir, cache):
    scene = write_scene(workdir, BASE + PANELS)
    pictures(scene)
    entries = sorted(cache.glob("*.npy"), key=lambda p: p.stat().st_mtime)
    sizes = {p.stem: p.stat().st_size + (cache / f"{p.stem}.json").stat().st_size for p in entries}
    import os

    for age, path in enumerate(entries):  # make the order of use unambiguous: the first is the oldest
        os.utime(cache / f"{path.stem}.json", (1_000_000 + age, 1_000_000 + age))
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    newest = entries[-1].stem
    panel_cache.prune(keep_bytes=sizes[newest])
    left = {p.stem for p in cache.glob("*.npy")}
    assert left == {newest}
    assert {p.stem for p in cache.glob("*.json")} == {newest}
    assert sum(p.stat().st_size for p in cache.iterdir()) <= sizes[newest]


def test_a_lone_half_or_a_stale_temporary_is_removed(cache):
    import os

    cache.mkdir(parents=True)
    (cache / "abc.npy").write_bytes(b"x")
    (cache / ".tmp-123").write_bytes(b"y")
    (cache / "fresh.npy").write_bytes(b"z")  # a write in progress: younger than a minute, kept
    for name in ("abc.npy", ".tmp-123"):
        os.utime(cache / name, (1_000_000, 1_000_000))
    panel_cache.prune()
    assert sorted(p.name for p in cache.iterdir()) == ["fresh.npy"]


def test_a_changed_texture_size_or_marked_rows_is_another_picture(workdir, cache):
    scene = write_scene(workdir, BASE + PANELS)
    briefing = load_briefing(scene)
    small, large = PanelArt(briefing, 512), PanelArt(briefing, 4096)  # 16 and 25.6 pixels a degree
    assert small.key("a") != large.key("a")
    assert small.key("a") != small.key("a", frozenset({"E01028492"}))
    assert small.key("a") == PanelArt(load_briefing(scene), 512).key("a")


@pytest.mark.slow  # forks a pool of processes
def test_panels_drawn_side_by_side_are_the_same_bytes(workdir, tmp_path, monkeypatch):
    from bridge.render.parallel import draw_side_by_side

    scene = write_scene(workdir, BASE + PANELS.replace(
        "steps:", "  - {id: m, type: map, colour: 'people[\"Aged 65 years and over\"]', yaw: 90, width: 40, height: 25}\n"
                  "  - {id: bars, type: bar, label: areas.lsoa21_name, value: people.total, top: 8, yaw: 140, "
                  "width: 40, height: 25}\nsteps:"))
    briefing = load_briefing(scene)
    art = PanelArt(briefing, 1024, use_cache=False)
    jobs = [art.job(p.id) for p in briefing.scene.panels]
    side_by_side = draw_side_by_side(jobs, 2)
    from bridge.panels.common.canvas import draw_panel

    assert all(d is not None for d in side_by_side)
    for job, drawn in zip(jobs, side_by_side):
        alone = draw_panel(*job)
        assert drawn.image.tobytes() == alone.image.tobytes()
        assert (drawn.faults, drawn.hints, drawn.smallest_text_deg) == (alone.faults, alone.hints, alone.smallest_text_deg)


@pytest.mark.slow  # renders the scene twice, with a pool of processes
def test_a_parallel_render_is_byte_for_byte_a_serial_one(workdir, tmp_path, monkeypatch):
    from bridge.render.pipeline import render_briefing
    from bridge.room.load import load_room

    scene = write_scene(workdir, BASE + PANELS)
    outputs = []
    for jobs in (1, 2):
        monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / f"cache-{jobs}"))  # both cold
        panel_cache.forget()
        out = tmp_path / f"out-{jobs}"
        render_briefing(load_briefing(scene), load_room("bridge"), out, (1024, 512), jobs=jobs)
        outputs.append(out)
    files = sorted(p.relative_to(outputs[0]) for p in outputs[0].rglob("*.png"))
    assert files and files == sorted(p.relative_to(outputs[1]) for p in outputs[1].rglob("*.png"))
    for name in files:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_prefetch_draws_what_is_missing_once(workdir, cache, draws):
    scene = write_scene(workdir, BASE + PANELS)
    art = PanelArt(load_briefing(scene), 512)
    prefetch([(art, "a", frozenset()), (art, "a", frozenset()), (art, "b", frozenset())], jobs=1)
    assert draws == []  # one job: nothing drawn ahead, the render draws in order
    art.image("a")
    prefetch([(art, "a", frozenset()), (art, "b", frozenset())], jobs=1)
    assert draws == ["a"]


@pytest.mark.slow  # renders three times
def test_a_render_with_nothing_changed_rewrites_nothing(workdir, cache, capsys):
    from bridge.cli import main

    scene = write_scene(workdir, BASE + PANELS)
    out = workdir / "o"
    args = ["render", str(scene), "--size", "512x256", "--out", str(out)]
    assert main(args) == 0
    first = capsys.readouterr().out
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert main(args) == 0
    again = capsys.readouterr().out
    assert again.startswith("unchanged: 1 step(s)") and "rendered" not in again
    assert again.splitlines()[1:] == first.splitlines()[1:]  # the same report: files, smallest text, layout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == written
    (out / "step-01" / "projector-1.png").write_bytes(b"changed by hand")
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("rendered")
    scene.write_text(scene.read_text().replace("title: Beta", "title: Beta edited"))
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("rendered")
    assert main([*args[:-2], "--out", str(workdir / "elsewhere")]) == 0  # another folder has no stamp
    assert capsys.readouterr().out.startswith("rendered")


def test_a_forged_stamp_makes_no_render_read_a_device(tmp_path):
    from types import SimpleNamespace

    from bridge.render import stamp

    scene = tmp_path / "scene.yaml"
    scene.write_text("title: x\n")
    picture = tmp_path / "out" / "step-01" / "equirect.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(b"png")
    st = picture.stat()
    forged = {"key": "0" * 64, "inputs": [str(scene.resolve()), "/dev/zero"], "code": {},
              "files": {"step-01/equirect.png": [st.st_size, st.st_mtime_ns]}, "report": {"title": "forged"}}
    (tmp_path / "out" / stamp.STAMP).write_text(json.dumps(forged))
    room = SimpleNamespace(digest="r")
    assert stamp.render_key(forged["inputs"], room, (512, 256), None) is None  # /dev/zero is not read for ever
    assert stamp.unchanged(tmp_path / "out", scene, room, (512, 256), None) is None
    honest = stamp.render_key(forged["inputs"][:1], room, (512, 256), None)
    (tmp_path / "out" / stamp.STAMP).write_text(json.dumps({**forged, "inputs": forged["inputs"][:1], "key": honest}))
    assert stamp.unchanged(tmp_path / "out", scene, room, (512, 256), None) == {"title": "forged"}
    assert stamp.unchanged(tmp_path / "out", scene, room, (1024, 512), None) is None  # another size
    picture.write_bytes(b"png, edited")
    assert stamp.unchanged(tmp_path / "out", scene, room, (512, 256), None) is None  # a file touched
