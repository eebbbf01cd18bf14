"""Load the sample's tables into a PostgreSQL database with PostGIS, to try database datasets.

    .venv/bin/python scripts/load_sample_postgis.py "host=localhost dbname=bridge user=me" [FOLDER]

Each CSV of data/sample becomes a table of the same name (numbers as bigint or double precision, the
rest as text, the column names as they are); each GeoJSON a table with its properties and a `geom`
column (SRID 4326, as in the file, with a GiST index); lsoa21_centroids_shropshire also gets a point
`geom` (SRID 27700) from its easting and northing.  Tables that exist are replaced.  The connection
needs a user that may create tables, and the PostGIS extension (created if missing).  The tests load
their throwaway server with this same function (tests/pg_server.py); bench/db.py loads the England and
Wales boundaries with `load_geojson`.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_integer_dtype(values):
        return "bigint"
    if pd.api.types.is_float_dtype(values):
        return "double precision"
    return "text"


def _create(conn, table: str, frame: pd.DataFrame, extra: str = "") -> None:
    from psycopg import sql

    columns = [sql.SQL("{} {}").format(sql.Identifier(str(c)), sql.SQL(_type(frame[c]))) for c in frame.columns]
    if extra:
        columns.append(sql.SQL(extra))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table)))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(", ").join(columns)))


def _copy(conn, table: str, names: list[str], rows) -> None:
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)))
    with conn.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _cells(frame: pd.DataFrame):
    """Rows as Python values, missing ones as None."""
    for row in frame.itertuples(index=False):
        yield [None if (isinstance(v, float) and np.isnan(v)) else (v.item() if hasattr(v, "item") else v) for v in row]


def load_csv(conn, path: Path, table: str) -> int:
    frame = pd.read_csv(path)
    _create(conn, table, frame)
    _copy(conn, table, [str(c) for c in frame.columns], _cells(frame))
    return len(frame)


def load_geojson(conn, path: Path, table: str, srid: int = 4326) -> int:
    """A FeatureCollection's properties and geometry, coordinates exactly as written in the file."""
    import shapely
    from psycopg import sql

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as file:
        features = json.load(file)["features"]
    frame = pd.DataFrame([f.get("properties") or {} for f in features])
    shapes = shapely.set_srid(np.array([shapely.from_geojson(json.dumps(f["geometry"])) for f in features]), srid)
    frame["geom"] = shapely.to_wkb(shapes, hex=True, include_srid=True)
    _create(conn, table, frame.drop(columns="geom"), "geom geometry")
    _copy(conn, table, [str(c) for c in frame.columns], _cells(frame))
    conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(sql.Identifier(table)))
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    return len(frame)


def load_sample(conninfo: str, folder: Path = ROOT / "data" / "sample") -> dict[str, int]:
    """Every table of the sample; returns table → rows."""
    import psycopg

    loaded = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for path in sorted(folder.glob("*.csv")):
            loaded[path.stem] = load_csv(conn, path, path.stem)
        for path in sorted(folder.glob("*.geojson")):
            loaded[path.stem] = load_geojson(conn, path, path.stem)
        conn.execute('ALTER TABLE lsoa21_centroids_shropshire ADD COLUMN geom geometry(Point, 27700)')
        conn.execute('UPDATE lsoa21_centroids_shropshire SET geom = ST_SetSRID(ST_MakePoint(easting, northing), 27700)')
        conn.execute("CREATE INDEX ON lsoa21_centroids_shropshire USING gist (geom)")
    return loaded


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    for name, rows in load_sample(sys.argv[1], Path(sys.argv[2]) if len(sys.argv) == 3 else ROOT / "data" / "sample").items():
        print(f"{name}: {rows} rows")
