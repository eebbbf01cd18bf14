"""The linters stay clean: ruff and mypy pass on the code, and `# type: ignore` only ever gets rarer.

ruff and mypy come from the `test` extra; they run from the same environment as the tests (so `.venv/bin/ruff`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# The number of `# type: ignore` comments in bridge/ when this was written. Lower it when you remove some; never raise it.
TYPE_IGNORE_CEILING = 1  # was 54 before ruff and mypy were configured


def _tool(name: str) -> str:
    exe = BIN / name
    if not exe.exists():
        pytest.skip(f"{name} is not installed beside {sys.executable}; pip install -e '.[test]'")
    return str(exe)


@pytest.mark.slow
def test_ruff_passes() -> None:
    result = subprocess.run([_tool("ruff"), "check", "--output-format", "concise", "bridge", "tests", "bench"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"ruff check found problems (ruff check --fix solves the [*] ones):\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_mypy_passes() -> None:
    result = subprocess.run([_tool("mypy"), "bridge"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"


def test_type_ignores_only_go_down() -> None:
    pattern = re.compile(r"#\s*type:\s*ignore")
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in sorted((ROOT / "bridge").rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert len(found) <= TYPE_IGNORE_CEILING, (
        f"{len(found)} `# type: ignore` comments in bridge/, more than the ceiling of {TYPE_IGNORE_CEILING}: "
        "fix the type instead of silencing it.\n  " + "\n  ".join(found)
    )
    if len(found) < TYPE_IGNORE_CEILING:
        print(f"only {len(found)} `# type: ignore` left: lower TYPE_IGNORE_CEILING in {Path(__file__).name} to {len(found)}")
