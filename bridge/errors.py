"""User-facing errors: every problem names its file, line and key so it can be fixed.

Errors the user can fix (bad scene, missing data, bad room) are `BridgeError`s; the CLI
prints them without a traceback and exits with `exit_code`.  Bugs stay as tracebacks.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str | Path | None
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}"
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class BridgeError(Exception):
    """One or more problems the user can fix; `exit_code` 2 means bad input."""

    exit_code = 2

    def __init__(self, problems: Problem | str | Sequence[Problem]):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems = [p if isinstance(p, Problem) else Problem(None, None, None, p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when `word` is a likely typo of one of `options`."""
    matches = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def format_key_path(path: Sequence[str | int]) -> str:
    """('panels', 2, 'yaw') -> 'panels[2].yaw'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
