"""Show preparation (bridge/show/cache.py, bridge/show/preparer.py): patterns as steps, the cache key, and re-rendering only what an edit touched."""

import json
from pathlib import Path

import numpy as np
import pytest

from bridge.room.load import load_room
from bridge.room.patterns import PATTERNS
from bridge.show.cache import cache_root, content_key, load_cached
from bridge.show.preparer import prepare_patterns, render_to_cache
from tests.conftest import MINIMAL, write_scene


def test_cache_key_follows_scene_data_room_and_size(workdir: Path):
    scene = write_scene(workdir, MINIMAL)
    room = load_room("rehearsal")
    key, watched = content_key(scene, room, (512, 256))
    assert watched[0] == scene.resolve() and len(watched) == 3
    assert content_key(scene, room, (512, 256))[0] == key
    assert content_key(scene, room, (1024, 512))[0] != key
    assert content_key(scene, load_room("bridge"), (512, 256))[0] != key
    csv = workdir / "data" / "census21_age_shropshire.csv"
    csv.write_bytes(csv.read_bytes() + b"\n")
    assert content_key(scene, room, (512, 256))[0] != key


def test_patterns_as_show_steps(tmp_path, monkeypatch):
    """`bridge launch --patterns`: the four calibration patterns as steps of a show."""
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    room = load_room("rehearsal")
    prepared = prepare_patterns(room, (1024, 512))
    assert prepared.step_count == len(PATTERNS) and prepared.watched == []
    blend = prepared.frames[0][PATTERNS.index("blend")]
    assert blend.shape == (800, 1280, 3) and blend[400, 640].min() == 255 and blend[400, 0].max() < 40
    ids = prepared.frames[1][PATTERNS.index("ids")]
    assert (ids[250:450, 540:740].max(axis=-1) > 100).sum() > 300  # projector 2's number at its centre


@pytest.mark.slow
def test_an_edit_re_renders_only_the_steps_it_touches(workdir, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    text = """
title: Edits
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
panels:
  - {id: a, type: text, text: Alpha, yaw: 0, width: 30, height: 10}
  - {id: b, type: text, text: Beta, yaw: 72, width: 30, height: 10}
steps:
  - {title: One, show: [a], notes: first}
  - {title: Two, show: [b]}
  - {title: Three, show: [a, b]}
"""
    room, size = load_room("rehearsal"), (1024, 512)
    scene = write_scene(workdir, text)

    def prepare_now():
        key, watched = content_key(scene, room, size)
        key = render_to_cache(scene, room, size, key)
        meta = json.loads((cache_root() / key / "meta.json").read_text())
        return load_cached(key, watched), meta["rendered"]

    first, rendered = prepare_now()
    assert rendered == [0, 1, 2]
    scene.write_text(scene.read_text().replace("text: Beta", "text: Gamma"))
    second, rendered = prepare_now()
    assert rendered == [1, 2]  # step 1 shows only panel a: copied, not rendered
    assert np.array_equal(first.frames[0][0], second.frames[0][0])
    assert not np.array_equal(first.frames[1][1], second.frames[1][1])
    scene.write_text(scene.read_text().replace("notes: first", "notes: changed"))
    third, rendered = prepare_now()
    assert rendered == [] and third.notes[0] == "changed"


PARAMS_SCENE = """
title: Questions
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
params:
  area: {type: choice, values: [Shropshire 027A, Shropshire 027B], all: The county}
panels:
  - {id: a, type: kpi, value: 'sum(people.total, where=areas.lsoa21_name == params.area)', label: 'people in {params.area}', yaw: 0, width: 30, height: 12}
  - {id: b, type: text, text: Beta, yaw: 72, width: 30, height: 10}
steps:
  - {title: 'One: {params.area}', show: [a]}
  - {title: Two, show: [b]}
  - {title: Three, show: [a], params: {area: Shropshire 027B}}
"""


@pytest.mark.slow
def test_live_parameter_values_re_render_only_the_steps_that_read_them(workdir, monkeypatch):
    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    room, size = load_room("rehearsal"), (1024, 512)
    scene = write_scene(workdir, PARAMS_SCENE)

    def prepare_now(chosen=None):
        key, watched = content_key(scene, room, size, chosen)
        key = render_to_cache(scene, room, size, key, chosen=chosen)
        meta = json.loads((cache_root() / key / "meta.json").read_text())
        return load_cached(key, watched), meta["rendered"]

    first, rendered = prepare_now()
    assert rendered == [0, 1, 2]
    assert first.titles[0] == "One: The county" and first.chosen == {}
    assert first.params == [{"name": "area", "type": "choice", "values": ["all", "Shropshire 027A", "Shropshire 027B"],
                             "labels": ["The county", "Shropshire 027A", "Shropshire 027B"], "default": "all"}]
    assert first.step_params == [{}, {}, {"area": "Shropshire 027B"}]
    picked, rendered = prepare_now({"area": "Shropshire 027A"})
    assert rendered == [0, 2]  # step 2 shows only panel b, which reads no parameter
    assert picked.titles[0] == "One: Shropshire 027A" and picked.chosen == {"area": "Shropshire 027A"}
    assert np.array_equal(first.frames[1][1], picked.frames[1][1])
    assert not np.array_equal(first.frames[0][0], picked.frames[0][0])
    # The live pick wins over the step's own value: step 3 now shows 027A, like step 1.
    assert np.array_equal(picked.frames[0][0], picked.frames[0][2])
    assert not np.array_equal(first.frames[0][0], first.frames[0][2])


@pytest.mark.slow
def test_every_step_keeps_its_360_view_as_a_jpeg_for_the_web(workdir, monkeypatch):
    import io

    from PIL import Image

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    room, size = load_room("rehearsal"), (1024, 512)
    scene = write_scene(workdir, PARAMS_SCENE)
    key, watched = content_key(scene, room, size)
    prepared = load_cached(render_to_cache(scene, room, size, key), watched)
    views = [Image.open(io.BytesIO(prepared.view_jpeg(s))) for s in range(3)]
    assert all(v.format == "JPEG" and v.size == (1024, 512) for v in views)
    # Step 2 (a text panel at yaw 72) is lit where that panel is, step 1 (a KPI ahead) is not.
    two = np.asarray(views[1].convert("L")).astype(int)
    assert two[200:300, 680:760].mean() > two[200:300, 480:540].mean() + 5
    assert prepared.view_jpeg(7) is None
    # …and its content as text, for the watch page's screen-reader view.
    assert len(prepared.texts) == 3 and any("people in The county" in line for line in prepared.texts[0])
    assert prepared.texts[1] == ["Beta"]


def test_a_cache_disk_too_small_for_the_entry_is_a_clear_error_before_anything_is_written(workdir, monkeypatch):
    import shutil
    from collections import namedtuple

    import pytest

    from bridge.errors import BridgeError
    from bridge.room.load import load_room
    from bridge.show.cache import entry_bytes

    monkeypatch.setenv("BRIDGE_CACHE", str(workdir / "cache"))
    scene = write_scene(workdir, MINIMAL)
    room = load_room("rehearsal")
    key, _ = content_key(scene, room, (512, 256))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 100 * 1024**2, 100 * 1024**2))
    with pytest.raises(BridgeError) as info:
        render_to_cache(scene, room, (512, 256), key)
    message = str(info.value)
    assert "preparing the steps needs 0.0 GB in" in message and "only 0.1 GB is free" in message, message
    assert "set BRIDGE_CACHE to a folder on a larger disk" in message
    assert not any(p.name.startswith(".tmp-") for p in (workdir / "cache" / "show").iterdir())  # nothing written
    from bridge.render.briefing import load_briefing

    briefing = load_briefing(scene)
    pixels = sum(p.width * p.height for p in room.projectors)
    assert entry_bytes(room, briefing.scene) == len(briefing.scene.steps) * pixels * 3
