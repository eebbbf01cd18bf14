"""Benchmarks that cannot rot: every bench/*.py runs its quick mode here, as a separate process.

A change that breaks a benchmark (an import moved, a function renamed, a containment rule that
refuses its temporary scenes) fails here, not months later when someone next measures.  Each quick
run writes its result into a temporary folder (BRIDGE_BENCH_RESULTS), which must hold the keys the
docs and the committed result read; bench/results/ itself must not change.  All of them share one
Bridge cache, so the sample is prepared for the quick room once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"
BENCHES = sorted(p.stem for p in BENCH.glob("*.py") if not p.name.startswith("_"))
# Keys a committed result has that a quick run may leave out: commands.py's baseline comes only with --baseline.
OPTIONAL = {"commands": {"baseline_commit", "baseline_validate_median_s", "baseline_render_median_s",
                         "validate_ratio", "render_ratio"}}
TIMEOUT_S = 240  # a quick run takes well under a minute; this only stops a hang


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One Bridge cache for every quick run: the sample is prepared for the quick room once."""
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture(scope="module")
def committed() -> dict[str, bytes]:
    """bench/results/ as it was before any quick run."""
    return {p.name: p.read_bytes() for p in (BENCH / "results").glob("*.json")}


def expected_keys(name: str) -> set[str]:
    """The keys of the committed result (what the docs and the benchmarks page read), less the optional ones."""
    return set(json.loads((BENCH / "results" / f"{name}.json").read_text())) - OPTIONAL.get(name, set())


def test_every_benchmark_has_a_quick_mode_and_a_committed_result():
    for name in BENCHES:
        assert "--quick" in (BENCH / f"{name}.py").read_text(), f"bench/{name}.py has no --quick"
        assert (BENCH / "results" / f"{name}.json").exists(), f"bench/{name}.py has no committed result"


@pytest.mark.slow  # each runs a benchmark in its own process (windows, browsers, mpirun)
@pytest.mark.parametrize("name", BENCHES)
def test_quick_mode_runs_and_writes_its_keys(name, tmp_path, cache, committed):
    results = tmp_path / "results"
    env = {**os.environ, "BRIDGE_BENCH_RESULTS": str(results), "BRIDGE_CACHE": str(cache), "COLUMNS": "200"}
    env.pop("DISPLAY", None)  # the benchmarks that need one start their own Xvfb
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, f"bench/{name}.py --quick: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    written = results / f"{name}.json"
    assert written.exists(), f"bench/{name}.py --quick wrote no {written.name} into BRIDGE_BENCH_RESULTS:\n{done.stdout[-1000:]}"
    record = json.loads(written.read_text())
    missing = expected_keys(name) - set(record)
    assert not missing, f"bench/{name}.py --quick left out {sorted(missing)}"
    assert str(written) in done.stdout, "the benchmark should say where it wrote its result"
    now = {p.name: p.read_bytes() for p in (BENCH / "results").glob("*.json")}
    assert now == committed, "a quick run changed bench/results/: it must write only into BRIDGE_BENCH_RESULTS"
    print(f"bench/{name}.py --quick: {seconds:.1f} s")
