"""Hostile and unusable .pbix files: one clear line naming the file, exit 2, nothing written, bounded time and memory.

Broken zips, zip bombs, too many members, a model that will not decode, a decode over its memory or time limit,
and the reports that hold no data (live connection, DirectQuery, calculated tables only) — through `bridge pbix`
and through a scene that names the file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bridge import cli
from bridge.data.powerbi import archive, decode, reader
from tests.hostile.harness import refused, run_bridge

ROOT = Path(__file__).resolve().parents[2]
AW = ROOT / "data" / "sample" / "adventure-works-internet-sales.pbix"
DATA = ROOT / "tests" / "data" / "pbix"
SCENE = """title: T
models: {{aw: {{path: {name}}}}}
datasets:
  total: {{model: aw, measures: [Internet Sales], key: "Internet Sales"}}
panels:
  - {{id: n, type: text, text: hi, yaw: 0, pitch: 0, width: 30, height: 10}}
steps:
  - {{title: One, show: [n]}}
"""


@pytest.fixture(autouse=True)
def fresh_models():
    reader.forget_models()
    yield
    reader.forget_models()


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def pbix_refused(folder: Path, capsys, name: str, data: bytes | None = None, source: Path | None = None) -> str:
    """`bridge pbix NAME` in `folder`: exit 2, one error line naming the file, no traceback, nothing written."""
    path = folder / name
    path.write_bytes(data if data is not None else (source or AW).read_bytes())
    before = sorted(folder.iterdir())
    code = cli.main(["pbix", str(path)])
    text = capsys.readouterr()
    assert code == 2, text
    lines = [line for line in text.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {name}: "), text.err
    assert "Traceback" not in text.err and "internal error" not in text.err and text.out == ""
    assert sorted(folder.iterdir()) == before
    return lines[0]


def test_random_bytes_named_pbix(tmp_path, capsys):
    assert "damaged zip" in pbix_refused(tmp_path, capsys, "junk.pbix", b"PK\x03\x04" + bytes(range(256)) * 40)


def test_a_truncated_report(tmp_path, capsys):
    assert "save it again from Power BI Desktop" in pbix_refused(tmp_path, capsys, "cut.pbix", AW.read_bytes()[:200_000])


def test_a_zip_bomb(tmp_path, capsys):
    bomb = zipped({"DataModel": b"\0" * 20 * 1024**2, "Version": b"1"})
    assert "zip bomb" in pbix_refused(tmp_path, capsys, "bomb.pbix", bomb)


def test_too_many_members(tmp_path, capsys):
    many = zipped({f"Report/{i}.json": b"" for i in range(archive.MAX_PBIX_MEMBERS + 1)}, zipfile.ZIP_STORED)
    assert f"holds {archive.MAX_PBIX_MEMBERS + 1:,} files" in pbix_refused(tmp_path, capsys, "many.pbix", many)


def test_more_inflated_bytes_than_the_limit(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(archive, "MAX_PBIX_INFLATED_BYTES", 1024**2)  # the sample inflates to 2.4 MB
    assert "would inflate to" in pbix_refused(tmp_path, capsys, "big.pbix")


def test_a_data_model_of_junk(tmp_path, capsys):
    junk = zipped({"Version": b"1.28", "DataModel": bytes(range(256)) * 64}, zipfile.ZIP_STORED)
    assert "its model cannot be decoded" in pbix_refused(tmp_path, capsys, "junk-model.pbix", junk)


def test_a_report_with_no_model(tmp_path, capsys):
    empty = zipped({"Version": b"1.28", "Report/Layout": b"{}"})
    assert "holds no data model" in pbix_refused(tmp_path, capsys, "no-model.pbix", empty)


def test_decoding_over_its_memory_limit_is_stopped(tmp_path, capsys, monkeypatch):
    """A decoder asking for 4 GB (as a hostile DataModel could) fails in its child, under the child's limit."""
    monkeypatch.setattr(decode, "MAX_PBIX_DECODE_BYTES", 64 * 1024**2)
    monkeypatch.setattr(decode, "_work", lambda *args: {"size": len(bytearray(4 * 1024**3))})
    line = pbix_refused(tmp_path, capsys, "hungry.pbix")
    assert "needs more than 64 MB of memory" in line and "export the tables" in line


def test_decoding_over_its_time_limit_is_stopped(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(decode, "MAX_PBIX_DECODE_S", 0.001)
    assert "took longer than" in pbix_refused(tmp_path, capsys, "slow.pbix")


@pytest.mark.parametrize("name, says", [
    ("live-connection-ssas.pbix", "connected live to an Analysis Services model: it holds no data"),
    ("live-connection-pbiservice.pbix", "connected live to a dataset in the Power BI service"),
    ("directquery-parameters.pbix", "uses DirectQuery"),
    ("empty-schema-calc-only.pbix", "holds only calculated tables"),
])
def test_reports_that_hold_no_data_say_what_to_do(tmp_path, capsys, name, says):
    line = pbix_refused(tmp_path, capsys, name, source=DATA / name)
    assert says in line
    assert "export" in line


def test_a_scene_naming_a_report_without_data_is_refused_at_the_models_path(tmp_path, capsys):
    (tmp_path / "live.pbix").write_bytes((DATA / "live-connection-ssas.pbix").read_bytes())
    (tmp_path / "scene.yaml").write_text(SCENE.format(name="live.pbix"))
    out = tmp_path / "out"
    code = cli.main(["render", str(tmp_path / "scene.yaml"), "--size", "512x256", "--out", str(out)])
    text = capsys.readouterr().err
    assert code == 2, text
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and ":2: models.aw.path: live.pbix: is connected live" in errors[0], text
    assert not out.exists()


@pytest.mark.slow
def test_the_real_command_on_a_zip_bomb_is_bounded(tmp_path):
    path = tmp_path / "bomb.pbix"
    path.write_bytes(zipped({"DataModel": b"\0" * 64 * 1024**2}))
    outcome = refused(run_bridge("pbix", str(path), cwd=tmp_path), r"bomb\.pbix: .*zip bomb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.pbix"], outcome.output
