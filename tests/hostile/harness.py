"""Run `bridge` on hostile input the way an operator would, bounded so a regression fails, not hangs.

Every case runs the real command in a child process with a wall-clock timeout and an
address-space cap (a runaway allocation fails there instead of exhausting the machine), and
reports its exit code, output, time and peak memory.  `refused()` asserts the one error path:
exit code 2, a located message, no traceback, within the issue's 30 s and 2 GB.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 30
MAX_RSS_MB = 2048
ADDRESS_SPACE_CAP = 8 * 1024**3  # VTK and llvmpipe reserve far more address space than they use


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))
    os.setsid()


def run_bridge(*args, cwd: Path | None = None, env: dict | None = None, timeout: float = TIMEOUT_S) -> Outcome:
    """`python -m bridge ARGS` in a bounded child; its own peak memory from wait4."""
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    environment.pop("DISPLAY", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bridge", *map(str, args)], cwd=cwd, env=environment,
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=_limits)
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Outcome(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                       seconds, usage.ru_maxrss / 1024)


def within_bounds(outcome: Outcome) -> None:
    assert outcome.returncode != -signal.SIGKILL, f"killed after {TIMEOUT_S} s: {outcome.output[-500:]}"
    assert outcome.seconds < TIMEOUT_S, f"took {outcome.seconds:.1f} s"
    assert outcome.max_rss_mb < MAX_RSS_MB, f"peak memory {outcome.max_rss_mb:.0f} MB"
    assert "Traceback" not in outcome.output, outcome.output[-2000:]
    assert not re.search(r"\x1b\[|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]", outcome.output), "control characters reached the terminal"


def refused(outcome: Outcome, pattern: str) -> Outcome:
    """Exit 2 with a message matching `pattern` (a regex), within the bounds, no traceback."""
    within_bounds(outcome)
    assert outcome.returncode == 2, f"exit {outcome.returncode}: {outcome.output[-1500:]}"
    assert re.search(pattern, outcome.stderr), f"{pattern!r} not in:\n{outcome.stderr[-1500:]}"
    return outcome


def accepted(outcome: Outcome) -> Outcome:
    within_bounds(outcome)
    assert outcome.returncode == 0, f"exit {outcome.returncode}: {outcome.output[-1500:]}"
    return outcome


SCENE = """title: Hostile
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [total]}
panels:
PANELS
steps:
  - {title: One, show: [p]}
"""
TEXT_PANEL = "  - {id: p, type: text, text: hello, width: 30, height: 10}"


def scene(folder: Path, panels: str = TEXT_PANEL, extra: str = "", text: str | None = None) -> Path:
    """Write scene.yaml: the base scene with `panels` (YAML lines) and `extra` top-level keys."""
    path = folder / "scene.yaml"
    body = text if text is not None else SCENE.replace("PANELS", panels) + extra
    path.write_text(body, encoding="utf-8")
    return path
