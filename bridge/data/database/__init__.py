"""Datasets read from databases (PostgreSQL/PostGIS) and big local files (DuckDB), with the work pushed down as generated SQL.

`read_connection` reads a dataset that names `connection:` (bridge/data/database/postgres.py); `uses_duckdb`
says whether DuckDB reads a local file and `read_embedded` reads it (bridge/data/database/embedded.py).
Both are plain calls that can be repeated (a refresh reads again by calling them again).  Drivers are
imported only when a dataset needs them.
"""

from bridge.data.database.areas import points_within
from bridge.data.database.embedded import read as read_embedded
from bridge.data.database.embedded import uses_duckdb
from bridge.data.database.frames import AreaCounts
from bridge.data.database.postgres import read as read_connection

__all__ = ["AreaCounts", "points_within", "read_connection", "read_embedded", "uses_duckdb"]
