"""Fast by design: `bridge --help` and `bridge validate` load only what they use.  VTK, PyAV,
mpi4py and OpenCV (and the database, Power BI and PDF libraries) take seconds to import on a
busy laptop, so the commands an analyst runs in the writing loop must not import them unless the
scene needs them (a heatmap needs OpenCV's blur, a video backdrop PyAV).  Checked as a new
process with `python -X importtime`, whose report names every module imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

ROOM_AND_RENDER = {"vtk", "vtkmodules", "pyvista", "av", "mpi4py", "cv2"}
EXTRAS = {"weasyprint", "pbixray", "psycopg", "duckdb", "playwright"}


def imported(*args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """The top-level packages a new `bridge ARGS` process imports, from -X importtime's report."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "bridge", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in result.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "bridge" in names, result.stderr[-2000:]  # the report was read
    return names, result


@pytest.mark.slow
def test_help_imports_no_heavy_library():
    names, result = imported("--help")
    assert result.returncode == 0 and "validate" in result.stdout
    assert not names & (ROOM_AND_RENDER | EXTRAS | {"matplotlib", "pandas", "pyarrow", "shapely", "pyproj", "pydantic"}), \
        sorted(names & (ROOM_AND_RENDER | EXTRAS | {"matplotlib", "pandas", "pyarrow", "shapely", "pyproj", "pydantic"}))


@pytest.mark.slow
def test_validate_imports_neither_the_room_nor_the_extras():
    # cold-homes-and-renting has maps, bars, a table and KPIs but no heatmap and no video: nothing of the room's
    names, result = imported("validate", "scenes/cold-homes-and-renting.yaml")
    assert result.returncode == 0 and "ok scenes/cold-homes-and-renting.yaml" in result.stdout, result.stderr[-2000:]
    assert not names & (ROOM_AND_RENDER | EXTRAS), sorted(names & (ROOM_AND_RENDER | EXTRAS))


@pytest.mark.slow
def test_validate_of_the_sample_imports_no_vtk_video_or_mpi():
    names, result = imported("validate", "scenes/finding-dave.yaml")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not names & ({"vtk", "vtkmodules", "pyvista", "av", "mpi4py"} | EXTRAS), sorted(names & (ROOM_AND_RENDER | EXTRAS))


@pytest.mark.slow
def test_validate_reads_each_dataset_once(monkeypatch, capsys):
    """The layout pass checks a step's parameter view (finding-dave's step 6 picks a ward): it
    must reuse the tables read for the briefing, not read every file again."""
    from collections import Counter

    from bridge.cli import main
    from bridge.data import tables

    reads: Counter = Counter()
    real = tables.read_dataset

    def counting(name, *args, **kwargs):
        reads[name] += 1
        return real(name, *args, **kwargs)

    monkeypatch.setattr(tables, "read_dataset", counting)
    monkeypatch.setattr(tables, "_kept_tables", None)  # restored afterwards: other tests read afresh
    assert main(["validate", str(ROOT / "scenes" / "finding-dave.yaml")]) == 0, capsys.readouterr().err
    assert len(reads) == 10 and set(reads.values()) == {1}, reads
