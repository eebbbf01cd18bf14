"""The README's limits table is the code's: every limit is named there with its value."""

import re

from bridge import limits
from tests.conftest import ROOT


def test_every_limit_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Security and limits"):readme.index("## Dependencies and why")]
    names = [n for n in dir(limits) if n.isupper()]
    assert names
    for name in names:
        row = next((line for line in section.splitlines() if f"`{name}`" in line), None)
        assert row, f"{name} is not in the README's limits table"
    assert "2 MB" in section and limits.MAX_YAML_BYTES == 2_000_000
    assert "512 MB" in section and limits.MAX_DATA_FILE_BYTES == limits.MAX_DECOMPRESSED_BYTES == 512 * 1024**2
    assert "40 million" in section and limits.MAX_IMAGE_PIXELS == 40_000_000
    assert re.search(r"2,000 characters, 40 levels", section) and (limits.MAX_EXPRESSION_CHARS, limits.MAX_EXPRESSION_DEPTH) == (2000, 40)
    assert "| 32 |" in section and limits.MAX_PROJECTORS == 32
    assert "8192 px" in section and limits.MAX_PROJECTOR_SIDE == 8192
    assert "16384 × 8192" in section and limits.MAX_FRAME_WIDTH == 16384
