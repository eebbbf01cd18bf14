"""How fast are database datasets, and what does pushing the work down save?

  postgis_lsoa_frame_s   every LSOA in England and Wales (35,672) from PostGIS as a choropleth of the
                         England-wide fuel-poverty table: YAML → data → panel → frame (target ≤ 1.2 × file)
  file_lsoa_frame_s      the same map from the GeoJSON file, in the same run
  pushdown_count_s       10 million synthetic points counted per LSOA in PostGIS through a scene (aggregate:),
                         YAML → counts per area (target: faster than pandas)
  pandas_count_s         the same count through the pandas path from a Parquet file, with its peak memory
  duckdb_parquet_s       the same count from the same Parquet through the embedded (DuckDB) path
                         (target: peak RSS ≤ 1 GB)
Each count runs in a child process of its own, so its peak resident memory (`*_peak_mb`) is its own.
The server is a throwaway PostgreSQL with PostGIS (tests/pg_server.py: Debian's initdb and pg_ctl,
a Unix socket only).  Needs ../shared/data (the England and Wales boundaries and fuel table).
Run: .venv/bin/python bench/db.py [--quick]   (--quick: Shropshire's 198 LSOAs, 100,000 points, 1024×512)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, child_env, quick_option, write_result  # noqa: E402
from render import SAMPLE, SHARED, big_map_files, frame_of  # noqa: E402

MAP = """
title: Fuel poverty
datasets:
  areas: {areas}
  homes: {{path: {fuel}, key: LSOA Code}}
panels:
  - {{id: map, type: map, title: Households in fuel poverty, colour: 'homes["Proportion of households fuel poor (%)"]',
     legend: "%", width: 80, height: 45}}
steps:
  - {{title: All areas, show: [map]}}
"""
COUNT = """
title: Points per area
datasets:
  areas: {areas}
  dots: {dots}
panels:
  - {{id: p, type: text, text: counted, width: 20, height: 10}}
steps:
  - {{title: One, show: [p]}}
"""


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike getrusage's maxrss, which a child
    started by fork and exec inherits from its parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(scene: str) -> None:
    """In a child process: load the scene (every dataset read, points counted) and print seconds and peak RSS."""
    import bridge.limits
    from bridge.render.briefing import load_briefing
    from bridge.scene.containment import allow

    bridge.limits.MAX_DB_STATEMENT_S = 900  # measured, not limited: a national count may take minutes here

    allow([SHARED, SAMPLE, Path(scene).parent])
    imported_mb = peak_mb()  # Python, Bridge and its libraries
    t = time.perf_counter()
    briefing = load_briefing(scene)
    seconds = time.perf_counter() - t
    counted = briefing.data.aligned["dots"]["n"]
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(),
                      "imported_mb": imported_mb,
                      "points_counted": float(counted.sum()), "areas": len(counted)}))


def run_child(scene: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(scene)], capture_output=True, text=True, env=child_env())
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_points(conninfo: str, parquet: Path) -> None:
    """The Parquet's points into PostGIS as a point table (SRID 4326) with a GiST index, through COPY."""
    import psycopg
    import pyarrow.csv
    import pyarrow.parquet

    table = pyarrow.parquet.read_table(parquet)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE UNLOGGED TABLE raw_points (lon float8, lat float8, value float8)")
        with conn.cursor().copy("COPY raw_points FROM STDIN (FORMAT csv)") as copy:
            for batch in table.to_batches(max_chunksize=1_000_000):
                sink = pyarrow.BufferOutputStream()
                pyarrow.csv.write_csv(pyarrow.Table.from_batches([batch]), sink, pyarrow.csv.WriteOptions(include_header=False))
                copy.write(sink.getvalue().to_pybytes())
        conn.execute("CREATE TABLE points AS SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom, "
                     "value FROM raw_points")
        conn.execute("DROP TABLE raw_points")
        conn.execute("CREATE INDEX points_geom ON points USING gist (geom)")
        conn.execute("CLUSTER points USING points_geom")  # as a national point table is kept: near points together
        conn.execute("ANALYZE points")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick_option(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--points", type=int, help="how many synthetic points (default 10 million; --quick 100,000)")
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    quick = args.quick
    width, n = (1024, 100_000) if quick else (4096, 10_000_000)
    n = args.points or n
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]  # bench/tests.py would shadow the tests folder
    import pg_server
    from load_sample_postgis import load_geojson

    results: dict[str, object] = {"points": n, "cores": os.cpu_count() or 1}
    with tempfile.TemporaryDirectory(prefix="bridge-bench-db-") as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)
        server = pg_server.start(Path(tempfile.mkdtemp(prefix="bridge-pg-", dir=tmp)))
        try:
            import psycopg

            boundaries, fuel, what = big_map_files(quick)
            t = time.perf_counter()
            with psycopg.connect(server.owner(), autocommit=True) as conn:
                areas = load_geojson(conn, boundaries, "lsoa")
                conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
            results["areas"] = areas
            os.environ.update({"BRIDGE_CONNECTION_BENCH": server.conninfo(), "XDG_CONFIG_HOME": str(tmp / "config")})
            file_areas = f"{{path: {boundaries}, key: lsoa21_code}}"
            db_areas = "{connection: bench, table: lsoa, columns: [lsoa21_code, lsoa21_name, geom], key: lsoa21_code}"
            for name, spec in (("file", file_areas), ("postgis", db_areas)):
                scene = tmp / f"{name}.yaml"
                scene.write_text(MAP.format(areas=spec, fuel=fuel))
                if not quick:
                    frame_of(scene, width)  # warm: fonts, caches and the server's own
                results[f"{name}_lsoa_frame_s"], results[f"{name}_lsoa_parts"] = frame_of(scene, width)
                print(f"{name} map: {results[f'{name}_lsoa_frame_s']:.2f} s", flush=True)

            import shapely

            bounds = shapely.total_bounds(shapely.from_wkb([r[0] for r in psycopg.connect(server.owner()).execute(
                "SELECT ST_AsBinary(geom) FROM lsoa").fetchall()]))
            rng = np.random.default_rng(0)
            parquet = tmp / "points.parquet"
            pd.DataFrame({"lon": rng.uniform(bounds[0], bounds[2], n), "lat": rng.uniform(bounds[1], bounds[3], n),
                          "value": rng.random(n)}).to_parquet(parquet, row_group_size=1_000_000)
            load_points(server.owner(), parquet)
            results["load_s"] = time.perf_counter() - t
            dots = {"pushdown": "{connection: bench, table: points, aggregate: {count: n}}",
                    "pandas": f"{{path: {parquet}, engine: pandas, points: {{x: lon, y: lat}}, aggregate: {{count: n}}}}",
                    "duckdb": f"{{path: {parquet}, engine: duckdb, points: {{x: lon, y: lat}}, aggregate: {{count: n}}}}"}
            base = {"pushdown": "{connection: bench, table: lsoa, columns: [lsoa21_code], key: lsoa21_code}"}
            counted = {}
            for path, spec in dots.items():
                scene = tmp / f"count-{path}.yaml"
                scene.write_text(COUNT.format(areas=base.get(path, file_areas), dots=spec))
                measured = run_child(scene)
                counted[path] = measured["points_counted"]
                key = "duckdb_parquet" if path == "duckdb" else f"{path}_count"
                results[f"{key}_s"], results[f"{key}_peak_mb"] = measured["seconds"], measured["peak_mb"]
                results["imported_mb"] = measured["imported_mb"]
                print(f"{path}: {measured}", flush=True)
            results["points_counted"] = counted["pandas"]
            assert len(set(counted.values())) == 1, f"the three paths counted differently: {counted}"
        finally:
            server.ctl("-m", "immediate", "stop")

    file_s, db_s = results["file_lsoa_frame_s"], results["postgis_lsoa_frame_s"]
    print(f"database datasets on this machine ({what}; {n:,} points; seconds, one run each after a warm-up)")
    print(f"{'map, YAML → frame':<44}{'PostGIS':>10}{'file':>10}")
    print(f"{'  ' + what:<44}{db_s:>10.2f}{file_s:>10.2f}   ({db_s / file_s:.2f}× the file; target ≤ 1.2×)")
    print(f"{'count points per area, YAML → counts':<44}{'seconds':>10}{'peak MB':>10}")
    for label, key in (("PostGIS (pushed down)", "pushdown_count"), ("pandas, Parquet", "pandas_count"),
                       ("DuckDB, Parquet (embedded)", "duckdb_parquet")):
        print(f"{'  ' + label:<44}{results[key + '_s']:>10.2f}{results[key + '_peak_mb']:>10.0f}")
    print(f"  (a child that has only imported Bridge and its libraries: {results['imported_mb']:.0f} MB)")
    write_result("db", {k: (round(v, 3) if isinstance(v, float) else
                            {a: round(b, 3) for a, b in v.items()} if isinstance(v, dict) else v)
                        for k, v in results.items()}, quick)


if __name__ == "__main__":
    main()
