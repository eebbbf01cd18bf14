"""Hostile input: each case builds a briefing folder (scene beside a copy of the sample data)."""

import shutil
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture
def briefing(tmp_path: Path) -> Path:
    """A folder with data/ (a copy of the sample data) where a case writes scene.yaml."""
    folder = tmp_path / "briefing"
    folder.mkdir()
    shutil.copytree(SAMPLE, folder / "data")
    return folder
