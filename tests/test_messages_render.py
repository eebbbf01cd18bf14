"""Messages of rendering, data and video that named the wrong thing (issue 25): the smallest text
of a step that does not show it, join warnings without file:line, FFmpeg's error numbers, and
lit-band warnings counting more degrees than a panel has."""

import re
import shutil

import pytest

from bridge import cli
from bridge.errors import BridgeError
from bridge.render.checks import lit_warnings
from bridge.render.video_file import read_first_frame
from bridge.room.load import load_room
from bridge.scene.model import load_scene
from tests.conftest import MINIMAL, SAMPLE, write_scene

# -- 1. `render --step N` names the smallest text of the panels that step shows -----------------

TWO_STEPS = MINIMAL.replace(
    "steps:", "  - {id: bars, type: bar, value: people.total, label: people.lsoa21_code, yaw: 90, pitch: 0, width: 40, height: 30}\n"
              "steps:").replace("  - {title: One, show: [note]}", "  - {title: One, show: [bars]}\n  - {title: Two, show: [note]}")


def _smallest_text_line(path, step, folder, capsys) -> tuple[float, str]:
    assert cli.main(["render", str(path), "--step", str(step), "--size", "512x256", "--out", str(folder)]) == 0
    said = capsys.readouterr().out
    found = re.search(r"smallest text: ([\d.]+)° of visual angle \(panel '([^']+)'\)", said)
    assert found, said
    return float(found[1]), found[2]


@pytest.mark.slow  # a full render
def test_render_step_names_the_smallest_text_of_the_panels_it_shows(workdir, capsys):
    path = write_scene(workdir, TWO_STEPS)
    bars, first = _smallest_text_line(path, 1, workdir / "out", capsys)
    assert first == "bars"
    note, second = _smallest_text_line(path, 2, workdir / "out", capsys)
    assert second == "note", "step 2 shows only 'note', yet the smallest text named another panel"
    assert note > bars  # the bar chart's labels, drawn into the room but hidden in step 2, are smaller


# -- 2. join warnings are located at their dataset ---------------------------------------------

def test_a_join_that_misses_areas_is_a_located_warning(workdir, capsys):
    rows = (SAMPLE / "census21_age_shropshire.csv").read_text().splitlines()
    (workdir / "data" / "census21_age_shropshire.csv").write_text("\n".join(rows[:-3]) + "\n")  # three areas dropped
    path = write_scene(workdir, MINIMAL)
    assert cli.main(["validate", str(path)]) == 0
    said = capsys.readouterr().err
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("  people:"))
    assert re.search(rf"warning: {re.escape(str(path))}:{line}: datasets\.people: 3 of 198 areas have no row \(e\.g\. E\d+", said), said
    assert said.count("areas have no row") == 1, said  # once, not also unlocated


# -- 3. FFmpeg's error numbers stay out of what the user reads -----------------------------------

NUMBERS = re.compile(r"Errno|returned -?\d+|\d{4,}")


def _junk(folder):
    path = folder / "clip.mp4"
    path.write_bytes(b"not a video, only words named like one\n" * 40)
    return path


def _truncated(folder):
    path = folder / "clip.mp4"
    path.write_bytes((SAMPLE / "backdrop_clip.mp4").read_bytes()[:100_000])  # its index (moov) is at the end: gone
    return path


def _png(folder):
    path = folder / "clip.mp4"
    shutil.copy(SAMPLE / "room-plan.png", path)  # FFmpeg's image demuxer is not on the list: 'returned 22' before
    return path


@pytest.mark.parametrize("make, words", [
    (_junk, "the file is not a video FFmpeg can decode"),
    (_truncated, "the file is not a video FFmpeg can decode"),
    (_png, "its format is not one of the containers Bridge opens"),
])
def test_a_video_ffmpeg_cannot_read_is_said_in_words(tmp_path, make, words):
    with pytest.raises(BridgeError) as info:
        read_first_frame(make(tmp_path))
    message = str(info.value)
    assert "clip.mp4 is not a video Bridge can read: " + words in message, message
    assert not NUMBERS.search(message), message


def test_a_video_whose_frames_are_damaged_is_said_in_words(tmp_path):
    data = bytearray((SAMPLE / "backdrop_clip.mp4").read_bytes())
    data[48:300_000] = bytes(300_000 - 48)  # the frames zeroed, the header and index kept
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(data))
    with pytest.raises(BridgeError) as info:
        read_first_frame(path)
    message = str(info.value)
    assert "its frames could not be decoded (the file is damaged or cut short)" in message, message
    assert not NUMBERS.search(message), message


def test_the_shows_decoder_says_a_damaged_video_in_words(tmp_path):
    from bridge.show.video import Decoder

    data = bytearray((SAMPLE / "backdrop_clip.mp4").read_bytes())
    data[48:300_000] = bytes(300_000 - 48)
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(data))
    decoder = Decoder(path, loop=False)
    try:
        decoder._thread.join(timeout=10)
        assert decoder.ended and decoder.error is not None
        assert "its frames could not be decoded" in decoder.error and not NUMBERS.search(decoder.error), decoder.error
    finally:
        decoder.close()


@pytest.mark.parametrize("make", [_junk, _truncated])
def test_validate_says_a_broken_video_backdrop_in_words(workdir, capsys, make):
    make(workdir)
    path = write_scene(workdir, MINIMAL.replace("datasets:", "backdrop: {video: clip.mp4}\ndatasets:"))
    assert cli.main(["validate", str(path)]) == 2
    said = capsys.readouterr().err
    assert f"{path}:2: backdrop.video: clip.mp4 is not a video Bridge can read: the file is not a video FFmpeg can decode" in said, said
    assert not NUMBERS.search(said.replace(str(path), "")), said


# -- 4. the lit band: a panel wholly outside it, and 'where its title is' only with a title ------

def _lit(workdir, panel: str):
    scene, doc = load_scene(write_scene(workdir, MINIMAL.replace(
        "  - {id: note, type: text, text: Hello, yaw: 0, pitch: 0, width: 30, height: 10}", panel).replace(
        "show: [note]", "show: [k]")))
    return [w.message for w in lit_warnings(scene, doc, load_room("bridge"))]


def test_a_panel_wholly_above_the_lit_band_says_so_and_how_far_to_move_it(workdir):
    (message,) = _lit(workdir, "  - {id: k, type: kpi, value: sum(people.total), yaw: 0, pitch: 20, width: 20, height: 7}")
    assert "'k' reaches pitch 16°..24° but" in message, message
    assert "it is wholly above the lit band, so none of it will be seen; lower its pitch by at least 9° (to 11° or less)" in message
    assert "its top" not in message and "title" not in message


def test_a_panel_wholly_below_the_lit_band_says_so(workdir):
    (message,) = _lit(workdir, "  - {id: k, type: kpi, value: sum(people.total), yaw: 0, pitch: -40, width: 20, height: 7}")
    assert "it is wholly below the lit band, so none of it will be seen; raise its pitch by at least" in message, message
    assert "its bottom" not in message


def test_the_title_is_named_only_when_the_panel_has_one(workdir):
    (untitled,) = _lit(workdir, "  - {id: k, type: kpi, value: sum(people.total), yaw: 0, pitch: 14, width: 20, height: 7}")
    assert "its top" in untitled and "title" not in untitled, untitled
    (titled,) = _lit(workdir, "  - {id: k, type: kpi, title: People, value: sum(people.total), yaw: 0, pitch: 14, width: 20, height: 7}")
    assert "(above 15°, where its title is)" in titled, titled
