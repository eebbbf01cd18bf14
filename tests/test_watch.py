"""The file watcher (bridge/show/watch.py): what counts as a change, reported once it has settled."""

import os
from pathlib import Path

from bridge.show.watch import FileWatcher


def test_watcher_reports_a_change_once_it_has_settled(tmp_path: Path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("1")
    b.write_text("1")
    w = FileWatcher([a, b], interval=0.0, settle=0.5)
    assert w.poll(0.0) == []
    a.write_text("22")
    assert w.poll(1.0) == []  # just changed: wait
    assert w.poll(1.2) == []  # still settling
    assert w.poll(1.6) == [a]
    assert w.poll(2.0) == []  # reported once
    b.unlink()  # a deleted file is a change too
    w.poll(3.0)
    assert w.poll(4.0) == [b]


def test_watcher_sees_a_same_size_rewrite(tmp_path: Path):
    a = tmp_path / "a.txt"
    a.write_text("1")
    w = FileWatcher([a], interval=0.0, settle=0.0)
    st = a.stat()
    a.write_text("2")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    w.poll(0.0)
    assert w.poll(0.1) == [a]


def test_a_save_during_re_preparation_is_not_lost(tmp_path: Path):
    a = tmp_path / "a.txt"
    a.write_text("1")
    w = FileWatcher([a], interval=0.0, settle=0.0)
    a.write_text("22")
    w.set_paths([a])  # the show swaps in frames and re-reads the file list after this save
    assert w.poll(0.0) == [a]
    assert w.poll(0.1) == []
