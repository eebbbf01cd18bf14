"""Benchmark: a Power BI model read and its measures evaluated, against pbixray and pandas alone.

    .venv/bin/python bench/pbix.py [FOLDER] [--repeat N] [--quick]

FOLDER (default data/sample) holds the .pbix files.  Over them:

- `load_s`: the largest model that holds imported data, opened as Bridge opens it (the archive
  checked, decoded in a bounded child, every table Bridge reads brought back), median of the
  repeats; `load_peer_s`: pbixray alone reading the same tables in this process.  Target:
  `load_s` ≤ 1.2 × `load_peer_s`.
- `measure_grouped_ms_median`: a SUM-and-DIVIDE measure over that model's largest fact table,
  grouped by a column of a table it relates to (bridge.data.dax, after the model is loaded);
  `measure_grouped_peer_ms_median`: the same numbers by a hand-written pandas merge + groupby
  (checked equal to 1e-9).  Target: ≤ 3 × the peer.
- `measures_supported` of `measures_total`: every measure of the files that hold an imported
  model, and the reasons the others are not evaluated.  Target: at least 90 %.

(--quick: one repeat of each.)  Writes bench/results/pbix.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, quick_option, write_result  # noqa: E402
from bridge.data.powerbi.model import MeasureDef, PowerBIModel  # noqa: E402
from bridge.errors import BridgeError  # noqa: E402

MEASURE = "Bench ratio"


def median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def models(folder: Path) -> dict[Path, PowerBIModel | str]:
    """Every .pbix in `folder`: its model, or why Bridge refuses it (no imported data, damaged)."""
    from bridge.data.powerbi.reader import load_model

    found: dict[Path, PowerBIModel | str] = {}
    for path in sorted(folder.glob("*.pbix")):
        try:
            found[path] = load_model(path)
        except BridgeError as exc:
            found[path] = str(exc)
    return found


def bridge_load(path: Path) -> None:
    from bridge.data.powerbi.reader import forget_models, load_model

    forget_models()
    load_model(path)


def peer_load(path: Path, tables: list[str]) -> None:
    import pbixray

    model = pbixray.PBIXRay(str(path))
    for name in tables:
        model.get_table(name)


def grouped_case(model: PowerBIModel) -> tuple[str, str, str, str, str]:
    """(fact, numerator, denominator, one-side table, its grouping column) for the SUM-and-DIVIDE measure."""
    import pandas as pd

    keys = {(r.from_table, r.from_column) for r in model.relationships} | {(r.to_table, r.to_column) for r in model.relationships}
    facts = sorted({r.from_table for r in model.relationships if r.active}, key=lambda t: -len(model.tables[t]))
    def liked(words):  # names with these words first (a sales amount over a cost, by a category), then as they come
        return lambda c: next((i for i, w in enumerate(words) if w in c.lower()), len(words))

    for fact in facts:
        numeric = sorted((c for c in model.tables[fact].columns if (fact, c) not in keys and not c.endswith("Key")
                          and pd.api.types.is_float_dtype(model.tables[fact][c])), key=liked(["sales", "cost"]))
        for r in (r for r in model.relationships if r.active and r.from_table == fact):
            one = model.tables[r.to_table]
            text = sorted((c for c in one.columns if pd.api.types.is_string_dtype(one[c]) and not c.endswith("Key")
                           and 2 <= one[c].nunique() <= 200), key=liked(["category", "country", "name"]))
            if len(numeric) >= 2 and text:
                return fact, numeric[0], numeric[1], r.to_table, text[0]
    raise SystemExit("no fact table with two numeric columns and a related table to group by")


def grouped(model: PowerBIModel, repeat: int) -> dict:
    from bridge.data.dax import evaluate_measures

    fact, a, b, dim, column = grouped_case(model)
    model.measures[MEASURE] = MeasureDef(fact, MEASURE, f"DIVIDE(SUM('{fact}'[{a}]), SUM('{fact}'[{b}]))")
    by = f"'{dim}'[{column}]"
    relation = next(r for r in model.relationships if r.active and r.from_table == fact and r.to_table == dim)

    def peer():
        joined = model.tables[fact][[relation.from_column, a, b]].merge(
            model.tables[dim][[relation.to_column, column]], left_on=relation.from_column, right_on=relation.to_column)
        sums = joined.groupby(column)[[a, b]].sum()
        return sums[a] / sums[b]

    ours = evaluate_measures(model, [MEASURE], by=[by])
    theirs = peer()
    got = dict(zip(ours[by], ours[MEASURE]))
    worst = max(abs(got[k] - v) / abs(v) for k, v in theirs.items() if v)
    if worst > 1e-9:
        raise SystemExit(f"the measure and pandas differ by {worst:.3g} (relative)")
    ms = median_s(lambda: evaluate_measures(model, [MEASURE], by=[by]), repeat) * 1000
    peer_ms = median_s(peer, repeat) * 1000
    del model.measures[MEASURE]
    return {"measure": f"DIVIDE(SUM({fact}[{a}]), SUM({fact}[{b}])) by {dim}[{column}]",
            "measure_grouped_ms_median": round(ms, 2), "measure_grouped_peer_ms_median": round(peer_ms, 2),
            "measure_max_relative_difference": worst}


def support(found: dict[Path, PowerBIModel | str]) -> dict:
    from bridge.data.dax import measure_support

    supported = total = 0
    unsupported: dict[str, str] = {}
    for path, model in found.items():
        if isinstance(model, str):
            continue
        for name, why in measure_support(model).items():
            total += 1
            supported += why is None
            if why is not None:
                unsupported[f"{path.name}: {name}"] = why
    return {"measures_supported": supported, "measures_total": total, "unsupported": unsupported}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "data" / "sample", help="folder of .pbix files")
    parser.add_argument("--repeat", type=int, default=7)
    quick_option(parser)
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    found = models(args.folder)
    imported = {p: m for p, m in found.items() if not isinstance(m, str)}
    if not imported:
        raise SystemExit(f"no .pbix with an imported model in {args.folder}")
    largest = max(imported, key=lambda p: sum(len(f) for f in imported[p].tables.values()))
    tables = list(imported[largest].tables)
    peer_load(largest, tables)  # warm-up: imports and the file in the page cache, for both
    ours, theirs = [], []
    for _ in range(repeat):  # taken in turns, so a busy moment on the machine falls on both alike
        ours.append(median_s(lambda: bridge_load(largest), 1))
        theirs.append(median_s(lambda: peer_load(largest, tables), 1))
    record = {"model": largest.name, "load_s": round(statistics.median(ours), 3),
              "load_peer_s": round(statistics.median(theirs), 3)}
    from bridge.data.powerbi.reader import load_model

    record.update(grouped(load_model(largest), repeat))
    record.update(support(found))
    record["refused"] = {p.name: m for p, m in found.items() if isinstance(m, str)}
    record["files"] = ", ".join(p.name for p in found)
    record["cores"] = os.cpu_count()
    record["load_over_peer"] = round(record["load_s"] / record["load_peer_s"], 2)
    record["measure_over_peer"] = round(record["measure_grouped_ms_median"] / record["measure_grouped_peer_ms_median"], 2)
    record["repeat"] = repeat
    rows = [("load (s)", "load_s", "load_peer_s", "≤ 1.2 × peer"),
            ("grouped measure (ms)", "measure_grouped_ms_median", "measure_grouped_peer_ms_median", "≤ 3 × peer")]
    print(f"{'':24}{'Bridge':>10}{'peer':>10}  target")
    for label, ours, peer, target in rows:
        print(f"{label:24}{record[ours]!s:>10}{record[peer]!s:>10}  {target}")
    share = record["measures_supported"] / max(record["measures_total"], 1)
    print(f"{'measures evaluated':24}{record['measures_supported']:>10}{record['measures_total']:>10}  "
          f"≥ 90 % ({share:.0%}); model {largest.name}")
    for name, why in record["unsupported"].items():
        print(f"  not evaluated: {name}: {why}")
    write_result("pbix", record, args.quick)


if __name__ == "__main__":
    main()
