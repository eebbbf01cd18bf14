"""The documented limits table is the code's: every limit is named there with its value.

The table in docs/reference/limits.md is generated from bridge/limits.py when the site is built
(docs/hooks.py); this checks the page asks for it and that the generated text reads as people
read the limits."""

import importlib.util
import re

from bridge import limits
from tests.conftest import ROOT


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_limit_is_in_the_documented_table():
    page = (ROOT / "docs" / "reference" / "limits.md").read_text()
    assert "# Security and limits" in page and "{{ table.limits }}" in page
    section = _hooks().expand(page, "docs/reference/limits.md")
    names = [n for n in dir(limits) if n.isupper()]
    assert names
    for name in names:
        row = next((line for line in section.splitlines() if f"`{name}`" in line), None)
        assert row, f"{name} is not in the documented limits table"
    assert "2 MB" in section and limits.MAX_YAML_BYTES == 2_000_000
    assert "512 MB" in section and limits.MAX_DATA_FILE_BYTES == limits.MAX_DECOMPRESSED_BYTES == 512 * 1024**2
    assert "40 million" in section and limits.MAX_IMAGE_PIXELS == 40_000_000
    assert re.search(r"2,000 characters", section) and re.search(r"40 levels", section)
    assert (limits.MAX_EXPRESSION_CHARS, limits.MAX_EXPRESSION_DEPTH) == (2000, 40)
    assert "| 32 |" in section and limits.MAX_PROJECTORS == 32
    assert "8192 px" in section and limits.MAX_PROJECTOR_SIDE == 8192
    assert "16384 × 8192" in section and limits.MAX_FRAME_WIDTH == 16384
