"""Pictures on disk: output folders are ours to tidy only, contact sheets are labelled, 2:1 is enforced."""

import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.output import ImageWriter, contact_sheet, prepare_out_dir, read_equirect, save_frames
from bridge.room import load_room
from bridge.theme import Theme, rgb255


def test_out_dir_removes_only_its_own_stale_steps(tmp_path):
    for n in (1, 2, 3):
        (tmp_path / f"step-{n:02d}").mkdir()
        (tmp_path / f"step-{n:02d}" / "equirect.png").write_bytes(b"x")
    (tmp_path / "step-03" / "my-notes.txt").write_text("keep me")  # not ours: the folder stays
    (tmp_path / "step-04").mkdir()
    (tmp_path / "step-04" / "projector-1.png").write_bytes(b"x")
    prepare_out_dir(tmp_path, 2)
    assert (tmp_path / "step-02").exists() and (tmp_path / "step-03" / "my-notes.txt").exists()
    assert not (tmp_path / "step-04").exists()


def test_out_dir_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(BridgeError, match="is a file; --out needs a folder"):
        prepare_out_dir(tmp_path / "f", None)


def test_frames_are_written_in_the_background(tmp_path):
    room = load_room("rehearsal")
    images = [np.full((p.height, p.width, 3), 40 * p.number, np.uint8) for p in room.projectors]
    with ImageWriter() as writer:
        files = save_frames(tmp_path, np.zeros((64, 128, 3), np.uint8), images, room, writer)
    assert [f.name for f in files] == ["equirect.png"] + [f"projector-{p.number}.png" for p in room.projectors]
    assert np.asarray(Image.open(tmp_path / "projector-2.png"))[0, 0, 0] == 80


def test_contact_sheet_uses_the_theme():
    theme = Theme(sheet="#203040")
    rows = [[np.full((120, 192, 3), 200, np.uint8)] * 3] * 2
    sheet = contact_sheet(rows, ["Step 1", "Step 2"], ["1", "2", "3"], thumb_width=96, theme=theme)
    assert tuple(sheet[-2, -2]) == rgb255("#203040")
    assert sheet.shape[1] == 3 * 96 + 4 * 8
    assert (np.all(sheet == 200, axis=-1)).sum() >= 6 * 96 * 60 * 0.9  # six thumbnails


def test_read_equirect_refuses_what_is_not_2_to_1(tmp_path):
    Image.new("RGB", (300, 100)).save(tmp_path / "wide.png")
    with pytest.raises(BridgeError, match="exactly twice as wide as tall"):
        read_equirect(tmp_path / "wide.png")
    Image.new("RGB", (200, 100)).save(tmp_path / "ok.png")
    assert read_equirect(tmp_path / "ok.png").shape == (100, 200, 3)
