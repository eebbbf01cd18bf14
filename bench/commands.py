"""How long do `bridge validate` and `bridge render` take on the sample, against another revision?

  validate_median_s   `bridge validate scenes/finding-dave.yaml`, a cold process (imports included)
  render_median_s     `bridge render scenes/finding-dave.yaml`, all steps, a cold process
Peer in the same run: the same commands from a baseline checkout (`--baseline DIR`, e.g. made with
`git worktree add /tmp/before <commit>`), run alternately with this tree's so that a busy machine
slows both alike; the ratios say how many times slower (> 1) or faster (< 1) this tree is.
Writes bench/results/commands.json.
Run: .venv/bin/python bench/commands.py --baseline /tmp/before [--runs 5] [--quick]
(--quick: one run, no warm-up round, and `render` draws one step at 1024×512)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bridge_command, quick_option, write_result  # noqa: E402

SCENE = "scenes/finding-dave.yaml"
QUICK_RENDER = ("--step", "1", "--size", "1024x512")
FULL_RENDER = ("--size", "4096x2048")


def run_once(tree: Path, command: str, out: Path, quick: bool = False) -> float:
    """Seconds for one cold `bridge COMMAND` of the sample, importing bridge from `tree`."""
    args = bridge_command(command, tree / SCENE)
    if command == "render":  # the same frame in both trees (render's default grew to the room's density)
        args += ["--out", str(out), *(QUICK_RENDER if quick else FULL_RENDER)]
    # A cold cache each time: this tree keeps drawn panels, which would answer every counted run after the first.
    with tempfile.TemporaryDirectory(prefix="bridge-bench-cache-") as cache:
        env = {**os.environ, "PYTHONPATH": str(tree), "BRIDGE_CACHE": cache}
        t = time.perf_counter()
        done = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"{tree}: bridge {command} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def commit_of(tree: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the revision to compare with")
    parser.add_argument("--runs", type=int, default=5)
    quick_option(parser)
    options = parser.parse_args()
    if options.quick:
        options.runs = 1
    trees = {"this tree": ROOT} | ({"baseline": options.baseline.resolve()} if options.baseline else {})
    times: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in ("validate", "render")}
    with tempfile.TemporaryDirectory() as tmp:
        # The first round warms the disk cache and is not counted (a quick run has none).
        for n in range(1 if options.quick else 0, options.runs + 1):
            for command in ("validate", "render"):
                for name, tree in (trees.items() if n % 2 == 0 else reversed(trees.items())):
                    seconds = run_once(tree, command, Path(tmp) / f"{name.replace(' ', '-')}-{n}", options.quick)
                    if n:
                        times[(name, command)].append(seconds)
    med = {key: round(statistics.median(v), 3) for key, v in times.items()}
    record = {
        "validate_median_s": med[("this tree", "validate")],
        "render_median_s": med[("this tree", "render")],
        "runs": options.runs,
        "commit": commit_of(ROOT),
        "cores": os.cpu_count(),
    }
    if options.baseline:
        record |= {
            "baseline_commit": commit_of(options.baseline),
            "baseline_validate_median_s": med[("baseline", "validate")],
            "baseline_render_median_s": med[("baseline", "render")],
            "validate_ratio": round(record["validate_median_s"] / med[("baseline", "validate")], 3),
            "render_ratio": round(record["render_median_s"] / med[("baseline", "render")], 3),
        }
    print(f"{'':24}{'this tree':>12}{'baseline':>12}{'ratio':>8}")
    for command in ("validate", "render"):
        base = record.get(f"baseline_{command}_median_s", "-")
        ratio = record.get(f"{command}_ratio", "-")
        print(f"bridge {command:16}{record[f'{command}_median_s']:>12}{base!s:>12}{ratio!s:>8}")
    print("ratio = this tree's median / the baseline's: above 1 is slower, below 1 faster")
    write_result("commands", record)


if __name__ == "__main__":
    main()
