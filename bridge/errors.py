"""User-facing errors: every problem names its file, line and key so it can be fixed.

Errors the user can fix (bad scene, missing data, bad room) are `BridgeError`s; the CLI
prints them without a traceback and exits with `exit_code`.  Anything else is a bug: the CLI
says so in one line and writes the traceback to a log file.  Text from a file is shown through
`printable` (no control characters reach the terminal) and `excerpt` (never more than a few
words of a file's contents).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


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

    def __init__(self, problems: Problem | str | Sequence[Problem | str]):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems = [p if isinstance(p, Problem) else Problem(None, None, None, p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


_LIKENESS = 0.65  # difflib's ratio a suggestion needs: above 0.6, where unrelated short words land


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when `word` is a likely typo of one of `options`
    (letter case ignored: 'aged 65 years and over' finds 'Aged 65 years and over').

    Likeness must be over 0.6 (difflib's ratio): 'cta' → 'cat' (0.67) is a typo, but 'gauge'
    and 'image' (0.6, three letters of five) only share letters, and a wrong guess misleads."""
    options = [str(o) for o in options]
    matches = difflib.get_close_matches(str(word), options, n=1, cutoff=_LIKENESS)
    if not matches:
        lower = {o.lower(): o for o in reversed(options)}
        matches = [lower[m] for m in difflib.get_close_matches(str(word).lower(), list(lower), n=1, cutoff=_LIKENESS)]
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def closest_first(word: str, options: Iterable[str]) -> list[str]:
    """`options` ordered by likeness to `word` (letter case ignored), the closest first."""
    key = str(word).lower()
    return sorted((str(o) for o in options), key=lambda o: -difflib.SequenceMatcher(None, key, o.lower()).ratio())


def format_key_path(path: Sequence[str | int]) -> str:
    """('panels', 2, 'yaw') -> 'panels[2].yaw'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# Characters that would move the cursor, recolour or rewrite the operator's terminal (C0 and C1
# controls, DEL, and the bidirectional overrides that reorder what is shown).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNPRINTABLE_OR_NEWLINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return {10: "\\n", 13: "\\r"}.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: object, newlines: bool = False) -> str:
    """`text` safe for a terminal: control characters and escape sequences shown escaped
    ('\\x1b[31m' prints as the seven characters \\x1b[31m).  Tabs stay; line breaks stay only
    where `newlines` is true, so a one-line message cannot forge a second line."""
    pattern = _UNPRINTABLE if newlines else _UNPRINTABLE_OR_NEWLINE
    return pattern.sub(_escaped, str(text))


def shown(text: object, limit: int = 120) -> str:
    """`text` as quoted in a message: control characters escaped (`printable`), long text cut short."""
    text = printable(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def excerpt(text: str | bytes, limit: int = 40) -> str:
    """A short, escaped excerpt of what a file holds, for an error that must not echo it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(str(text).split())
    short = text[:limit].rstrip()
    return "'" + printable(short).replace("'", "\\'") + "'" + ("…" if len(text) > limit else "")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one ("1 step", "3 steps", "0 steps"): the show's console and
    log say how many of something in words people read aloud."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
