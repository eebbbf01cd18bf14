"""Shared helpers: write small scenes into a temp folder beside copies of the sample data."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.pg_server import pg  # noqa: F401 - the throwaway PostgreSQL the database tests share

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A temp folder with the sample data under data/ so scenes can say data/…"""
    shutil.copytree(SAMPLE, tmp_path / "data")
    return tmp_path


def write_scene(folder: Path, text: str, name: str = "scene.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


MINIMAL = """
title: Test
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
panels:
  - {id: note, type: text, text: Hello, yaw: 0, pitch: 0, width: 30, height: 10}
steps:
  - {title: One, show: [note]}
"""

# A base of areas and people with declared counts; `brief` adds datasets, measures and panels.
BASE = """
title: Data
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
"""


def brief(workdir: Path, datasets: str = "", panels: str = "  - {id: p, type: text, text: hi, width: 20, height: 10}\n",
          derive: str = ""):
    """A loaded briefing of BASE plus `datasets`, `derive` and `panels` (one step showing panel p)."""
    from bridge.render.briefing import load_briefing

    text = BASE + datasets + derive + "panels:\n" + panels + "steps:\n  - {title: One, show: [p]}\n"
    return load_briefing(write_scene(workdir, text))


# Fixtures that start a process, a window or a browser: any test using one is slow, wherever it is written.
SLOW_FIXTURES = {
    "display": "starts a private Xvfb (tests/test_launch.py)",
    "browser": "starts Chromium through Playwright (tests/test_web.py, tests/test_export.py)",
    "exported": "runs `bridge export` in a subprocess (tests/test_export.py)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow the tests that use a process-, window- or browser-starting fixture, so `-m "not slow"` skips them."""
    for item in items:
        if SLOW_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
