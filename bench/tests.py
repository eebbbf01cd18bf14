"""How long does the test loop take: the fast part (`pytest -m "not slow"`) against the whole suite?

  fast_s, fast_tests    `pytest -m "not slow"`: the inner loop while changing code (target: under 90 s)
  full_s, full_tests    `pytest`: everything CI runs (renders, shows, browsers, mpirun, the docs site)
Peer in the same run: the whole suite; `full_over_fast` says how many times longer it takes.
The README and the developer's guide quote these figures (tests/test_docs.py checks them).
Writes bench/results/tests.json.
Run: .venv/bin/python bench/tests.py [--fast-only] [--quick]   (--fast-only keeps the whole suite's last figures;
--quick times two small test files, tests/test_geometry.py and tests/test_numformat.py, instead of the suite)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, child_env, quick_option, write_result  # noqa: E402

QUICK_FILES = ("tests/test_geometry.py", "tests/test_numformat.py")


def run_pytest(*args: str) -> tuple[float, int, str]:
    """(wall seconds, tests passed, summary line) of one pytest run; stops the benchmark on a failure."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                          capture_output=True, text=True, env=child_env())
    seconds = time.perf_counter() - t
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    if done.returncode != 0:
        sys.exit(f"pytest {' '.join(args)} failed: {summary}\n{done.stdout[-3000:]}")
    passed = re.search(r"(\d+) passed", summary)
    return seconds, int(passed.group(1)) if passed else 0, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast-only", action="store_true", help="time only the fast part")
    quick_option(parser)
    options = parser.parse_args()
    files = QUICK_FILES if options.quick else ()
    fast_s, fast_n, fast_summary = run_pytest("-m", "not slow", *files)
    record: dict = {"fast_s": round(fast_s, 1), "fast_tests": fast_n, "cores": os.cpu_count(),
                    "date": date.today().isoformat()}
    print(f"pytest -m 'not slow'  {fast_s:7.1f} s  {fast_summary}")
    previous = ROOT / "bench" / "results" / "tests.json"
    # --fast-only keeps the whole suite's last figures: markers do not change its tests.
    if options.fast_only and not options.quick and previous.exists():
        kept = json.loads(previous.read_text())
        if "full_s" in kept:
            record |= {"full_s": kept["full_s"], "full_tests": kept["full_tests"],
                       "full_date": kept.get("full_date", kept["date"]), "full_over_fast": round(kept["full_s"] / fast_s, 1)}
    if not options.fast_only or options.quick:
        full_s, full_n, full_summary = run_pytest(*files)
        record |= {"full_s": round(full_s, 1), "full_tests": full_n, "full_date": record["date"],
                   "full_over_fast": round(full_s / fast_s, 1)}
        print(f"pytest (everything)   {full_s:7.1f} s  {full_summary}")
        print(f"the whole suite takes {full_s / fast_s:.1f}× as long as the fast part")
    write_result("tests", record, options.quick)


if __name__ == "__main__":
    main()
