"""Database datasets against a real PostgreSQL with PostGIS (tests/pg_server.py starts one per session).

The map from PostGIS is the map from the GeoJSON, pixel for pixel; the room's parameter values reach
the database as bound values; what goes wrong (a wrong password, a lost connection, a slow query, a
missing table, a query that writes) is one located line that names the connection and never its secrets.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bridge import limits
from bridge.data.database import postgres, session
from bridge.errors import BridgeError
from tests.conftest import write_scene
from tests.pg_server import READER_PASSWORD

pytestmark = pytest.mark.slow  # a PostgreSQL server starts for them

MAP = """
title: T
datasets:
  areas: {areas}
  homes: {{path: data/fuel_poverty_2022_shropshire.csv, key: LSOA Code}}
{more}
panels:
  - {{id: map, type: map, title: Fuel, colour: 'homes["Proportion of households fuel poor (%)"]', width: 60, height: 30}}
steps:
  - {{title: One, show: [map]}}
"""
PG_AREAS = "{connection: gis, table: shropshire_lsoa21, columns: [lsoa21_code, lsoa21_name, geom], key: lsoa21_code}"


@pytest.fixture
def gis(pg, monkeypatch, tmp_path):
    """Connection `gis` defined in the environment as the read-only user; no connections file."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS", pg.conninfo())
    return pg


def briefing(workdir, areas: str = PG_AREAS, more: str = "", overrides=None):
    from bridge.render.briefing import load_briefing

    return load_briefing(write_scene(workdir, MAP.format(areas=areas, more=more)), overrides)


def refusal(workdir, **kwargs) -> str:
    with pytest.raises(BridgeError) as caught:
        briefing(workdir, **kwargs)
    return str(caught.value)


def test_map_from_postgis_is_the_map_from_geojson(gis, workdir):
    from bridge.render.pipeline import PanelArt

    from_file = briefing(workdir, "{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}")
    from_db = briefing(workdir)
    a = PanelArt(from_file, 1024, use_cache=False).image("map")
    b = PanelArt(from_db, 1024, use_cache=False).image("map")
    assert a.std() > 10  # a map was drawn
    assert np.array_equal(a, b)


def test_points_counted_in_postgis_match_the_pandas_count(gis, workdir):
    in_db = briefing(workdir, more="  dots: {connection: gis, table: lsoa21_centroids_shropshire, "
                                   "aggregate: {count: n, sum: [aged_65_plus]}}")
    in_pandas = briefing(workdir, more="  dots: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, "
                                       "crs: 'EPSG:27700'}, aggregate: {count: n, sum: [aged_65_plus]}}")
    assert isinstance(in_db.data.tables["dots"], postgres.frames.AreaCounts)  # counted in the database
    db, pandas = in_db.data.aligned["dots"], in_pandas.data.aligned["dots"]
    assert db["n"].sum() > 150
    assert np.array_equal(db["n"].to_numpy(), pandas["n"].to_numpy())
    assert np.array_equal(db["aged_65_plus"].to_numpy(), pandas["aged_65_plus"].to_numpy())


CHOICE = """
params:
  area: {type: choice, values: ["Shropshire 027A", "Shropshire 027B"], default: "Shropshire 027A"}
"""


def test_parameters_reach_the_database_as_bound_values(gis, workdir, monkeypatch):
    sent = []
    real = session.Run.__call__

    def spy(self, statement, key=None):
        sent.append(statement.postgres())
        return real(self, statement, key)

    monkeypatch.setattr(session.Run, "__call__", spy)
    areas = ("{connection: gis, table: shropshire_lsoa21, key: lsoa21_code, join: false, "
             "where: 'lsoa21_name == params.area'}")
    scene = MAP.format(areas="{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}",
                       more=f"  picked: {areas}") + CHOICE
    from bridge.render.briefing import load_briefing

    loaded = load_briefing(write_scene(workdir, scene))
    assert loaded.data.tables["picked"].frame["lsoa21_code"].tolist() == ["E01028826"]
    selects = [(query, values) for query, values in sent if "Shropshire 027A" in values]
    assert selects, "the parameter's value was not sent as a bound value"
    from psycopg import sql

    assert all("Shropshire 027A" not in sql.Composed(query).as_string(None) for query, _ in selects)


def test_an_injection_attempt_in_a_parameter_is_only_a_value(gis, workdir, pg):
    import psycopg

    areas = "{connection: gis, table: shropshire_lsoa21, key: lsoa21_code, join: false, where: 'lsoa21_name == params.area'}"
    scene = MAP.format(areas="{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}", more=f"  picked: {areas}")
    attack = "x' OR '1'='1'; DROP TABLE shropshire_lsoa21; --"
    scene += CHOICE.replace('"Shropshire 027B"', '"' + attack.replace('"', '\\"') + '"')
    from bridge.render.briefing import load_briefing

    with pytest.raises(BridgeError) as caught:
        load_briefing(write_scene(workdir, scene), {"area": (attack, ("params", "area"))})
    assert "no rows" in str(caught.value)  # matched nothing: it was compared as a name, not run
    with psycopg.connect(pg.owner()) as conn:
        assert conn.execute("SELECT count(*) FROM shropshire_lsoa21").fetchone() == (198,)


def test_a_wrong_password_is_one_located_line_without_the_password(pg, workdir, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS", pg.conninfo(password="Wr0ng-Secret-7"))
    message = refusal(workdir)
    assert "scene.yaml:" in message and "connection 'gis'" in message and "password authentication failed" in message
    assert "Wr0ng-Secret-7" not in message and "password=" not in message and str(pg.socket_dir) + " port" not in message
    assert len(message.strip().splitlines()) == 1


def test_a_missing_table_is_located_with_the_tables_there_are(gis, workdir):
    message = refusal(workdir, areas="{connection: gis, table: shropshire_lsoa22, key: lsoa21_code}")
    assert "scene.yaml:" in message and "shropshire_lsoa22" in message and "did you mean 'shropshire_lsoa21'" in message
    assert len(message.strip().splitlines()) == 1


def test_a_query_is_refused_unless_the_operator_allows_sql(gis, workdir):
    message = refusal(workdir, areas="{connection: gis, query: 'select * from shropshire_lsoa21', key: lsoa21_code}")
    assert "allow_sql" in message and "query" in message


def test_a_slow_query_hits_the_statement_timeout(gis, workdir, monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS_ALLOW_SQL", "true")
    monkeypatch.setattr(limits, "MAX_DB_STATEMENT_S", 1)
    started = time.monotonic()
    message = refusal(workdir, areas="{connection: gis, query: 'select *, pg_sleep(0.1) from shropshire_lsoa21', "
                                     "key: lsoa21_code}")
    assert time.monotonic() - started < 10
    assert "MAX_DB_STATEMENT_S" in message and "connection 'gis'" in message
    assert len(message.strip().splitlines()) == 1


def test_a_query_that_writes_is_refused_by_the_server(pg, workdir, monkeypatch, tmp_path):
    import psycopg

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS", pg.conninfo("writer", "writer-secret"))  # a role that may delete
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS_ALLOW_SQL", "1")
    message = refusal(workdir, areas="{connection: gis, query: 'select *, scribble() from shropshire_lsoa21', key: lsoa21_code}")
    assert "read-only" in message and "INSERT" in message
    with psycopg.connect(pg.owner()) as conn:
        assert conn.execute("SELECT count(*) FROM scribbles").fetchone() == (0,)
        conn.execute("INSERT INTO scribbles VALUES ('y')")  # the role and function can write, outside Bridge
        assert conn.execute("SELECT count(*) FROM scribbles").fetchone() == (1,)
        conn.rollback()


def test_a_connection_lost_mid_query_is_one_line(gis, workdir, pg, monkeypatch):
    import psycopg

    monkeypatch.setenv("BRIDGE_CONNECTION_GIS_ALLOW_SQL", "true")

    def drop():
        with psycopg.connect(pg.owner(), autocommit=True) as conn:
            for _ in range(100):
                time.sleep(0.1)
                killed = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE usename = 'reader' AND query LIKE '%pg_sleep%'").fetchall()
                if killed:
                    return

    dropper = threading.Thread(target=drop)
    dropper.start()
    message = refusal(workdir, areas="{connection: gis, query: 'select *, pg_sleep(0.05) from shropshire_lsoa21', "
                                     "key: lsoa21_code}")
    dropper.join()
    assert "connection 'gis'" in message and "lost" in message
    assert READER_PASSWORD not in message and len(message.strip().splitlines()) == 1


def test_where_runs_in_the_database_and_the_rest_after_reading(gis, workdir, monkeypatch, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="bridge.data.database")
    more = """  older:
    connection: gis
    table: census21_age_shropshire
    key: lsoa21_code
    join: false
    where: 'older["Aged 65 years and over"] > 500 and left(lsoa21_name, 14) == "Shropshire 027"'
"""
    loaded = briefing(workdir, "{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}", more)
    frame = loaded.data.tables["older"].frame
    assert len(frame) and (frame["Aged 65 years and over"] > 500).all()
    assert frame["lsoa21_name"].str.startswith("Shropshire 027").all()
    assert "filtered after reading" in caplog.text  # left() is not translated, and says so only at debug level


def test_a_kept_connection_the_server_dropped_is_replaced(gis, workdir, pg):
    """A re-read (a refresh, a live question) after the server dropped the kept connection reads again."""
    import psycopg

    first = briefing(workdir)
    with psycopg.connect(pg.owner(), autocommit=True) as conn:
        dropped = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'reader'").fetchall()
    assert dropped  # the kept connection was there, and is gone
    again = briefing(workdir)
    assert again.data.base.frame["lsoa21_code"].tolist() == first.data.base.frame["lsoa21_code"].tolist()


def test_a_joined_table_of_the_same_connection_sends_only_the_bases_areas(gis, workdir):
    import pandas as pd

    areas = ("{connection: gis, table: shropshire_lsoa21, key: lsoa21_code, "
             "where: 'lsoa21_name == \"Shropshire 027A\" or lsoa21_name == \"Shropshire 027B\"'}")
    loaded = briefing(workdir, areas, "  people: {connection: gis, table: census21_age_shropshire, key: lsoa21_code}")
    assert sorted(loaded.data.tables["people"].frame["lsoa21_code"]) == ["E01028826", "E01028827"]  # 2 rows of 198 sent
    csv = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv").set_index("lsoa21_code")
    aligned = loaded.data.aligned["people"]
    assert aligned["total"].tolist() == csv.loc[loaded.data.base.frame["lsoa21_code"], "total"].tolist()


def test_ctrl_c_cancels_the_query_in_the_server(gis, workdir, pg, monkeypatch):
    import os
    import signal

    import psycopg

    monkeypatch.setenv("BRIDGE_CONNECTION_GIS_ALLOW_SQL", "true")
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        briefing(workdir, areas="{connection: gis, query: 'select *, pg_sleep(0.2) from shropshire_lsoa21', key: lsoa21_code}")
    timer.join()
    running = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'reader' AND query LIKE '%pg_sleep%' AND state = 'active'"
    with psycopg.connect(pg.owner()) as conn:
        for _ in range(20):  # the server stops it within moments, not after the 40 s the query would take
            if conn.execute(running).fetchone() == (0,):
                break
            time.sleep(0.1)
        assert conn.execute(running).fetchone() == (0,)
