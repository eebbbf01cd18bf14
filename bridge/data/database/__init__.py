"""Datasets read from databases (PostgreSQL/PostGIS) and big local files (DuckDB), with the work pushed down as generated SQL."""
