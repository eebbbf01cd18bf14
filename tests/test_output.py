"""Pictures on disk: output folders are ours to tidy only, contact sheets are labelled, 2:1 is enforced."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridge.errors import BridgeError
from bridge.render.output import (
    ImageWriter,
    contact_sheet,
    prepare_out_dir,
    read_equirect,
    save_frames,
)
from bridge.room.load import load_room
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


# Output folders: refused clearly (exit 2, `--out: ...`), and nothing that is not ours is touched.


def out_problem(path) -> str:
    with pytest.raises(BridgeError) as info:
        prepare_out_dir(path, None)
    return str(info.value)


def test_out_dir_refusals(tmp_path):
    assert out_problem(Path("/")) == "--out: / is the root of the file system; give a folder of its own, e.g. out/briefing"
    (tmp_path / "notes.txt").write_text("keep")
    assert out_problem(tmp_path / "notes.txt" / "out") == \
        f"--out: {tmp_path / 'notes.txt'} is a file, so it cannot hold the folder {tmp_path / 'notes.txt' / 'out'}"
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    assert out_problem(tmp_path / "link") == \
        f"--out: {tmp_path / 'link'} is a symbolic link to {tmp_path / 'gone'}, which does not exist; give a folder that exists or can be made"
    assert out_problem(tmp_path / "link" / "deeper").startswith(f"--out: {tmp_path / 'link'} is a symbolic link")
    assert (tmp_path / "notes.txt").read_text() == "keep" and not (tmp_path / "gone").exists()


def test_out_dir_that_cannot_be_written(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert out_problem(tmp_path / "o") == f"--out: cannot write in {tmp_path / 'o'}: Permission denied"


def test_out_dir_that_cannot_be_made(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert out_problem(tmp_path / "o") == f"--out: cannot make the folder {tmp_path / 'o'}: Permission denied"


def test_a_symlink_to_a_folder_is_a_fine_out_dir(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert prepare_out_dir(tmp_path / "link", None) == tmp_path / "link"
    assert list((tmp_path / "real").iterdir()) == []  # the write probe leaves nothing


def test_stale_steps_that_only_look_like_ours_are_kept(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "equirect.png").write_bytes(b"someone's picture")
    out = tmp_path / "out"
    out.mkdir()
    (out / "step-05").symlink_to(elsewhere)  # a link to a folder of files with our names
    (out / "step-06").mkdir()
    (out / "step-06" / "projector-1.png").mkdir()  # a folder with our name
    (out / "step-06" / "projector-1.png" / "inside.txt").write_text("keep")
    (out / "step-07").mkdir()
    (out / "step-07" / "equirect.png").symlink_to(elsewhere / "equirect.png")
    prepare_out_dir(out, 2)
    assert (elsewhere / "equirect.png").read_bytes() == b"someone's picture"
    assert (out / "step-05").is_symlink() and (out / "step-06" / "projector-1.png" / "inside.txt").exists()
    assert (out / "step-07" / "equirect.png").is_symlink()


def test_images_are_never_written_through_a_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "step-01"
    folder.mkdir()
    (folder / "equirect.png").symlink_to(victim)
    room = load_room("rehearsal")
    images = [np.zeros((p.height, p.width, 3), np.uint8) for p in room.projectors]
    save_frames(folder, np.zeros((64, 128, 3), np.uint8), images, room)
    assert victim.read_text() == "precious"
    assert not (folder / "equirect.png").is_symlink() and Image.open(folder / "equirect.png").size == (128, 64)
    assert sorted(f.name for f in folder.iterdir()) == ["equirect.png"] + [f"projector-{p.number}.png" for p in room.projectors]
    assert oct((folder / "equirect.png").stat().st_mode & 0o777) != oct(0o600)  # as open() makes files, not mkstemp


def test_a_step_folder_that_is_a_symlink_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "step-01").symlink_to(tmp_path / "elsewhere")
    room = load_room("rehearsal")
    with pytest.raises(BridgeError, match="step-01 is a symbolic link; Bridge writes its images only into folders of its own"):
        save_frames(tmp_path / "step-01", np.zeros((64, 128, 3), np.uint8), [], room)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_read_equirect_checks_the_size_before_decoding(tmp_path):
    Image.new("RGB", (200, 100)).save(tmp_path / "ok.png")
    seen = []

    def check(w, h):
        seen.append((w, h))
        raise BridgeError("too big")

    with pytest.raises(BridgeError, match="too big"):
        read_equirect(tmp_path / "ok.png", check=check)
    assert seen == [(200, 100)]


def test_read_equirect_refuses_what_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    for path in (tmp_path / "pipe.png", Path("/dev/zero")):
        with pytest.raises(BridgeError, match="is not a regular file"):
            read_equirect(path)
    with pytest.raises(BridgeError, match="is a directory, not an image"):
        read_equirect(tmp_path)
