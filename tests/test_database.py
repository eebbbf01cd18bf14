"""Database datasets without a server: connections defined by the operator, the SQL Bridge generates, DuckDB.

The tests against a real PostgreSQL are in tests/test_database_pg.py.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from bridge import limits
from bridge.data.database import connections, embedded
from bridge.data.database.sql import FLOAT, INTEGER, TEXT, Ident, Param, Sql, Untranslatable, conjuncts, translate
from bridge.data.expressions import ALL, parse
from bridge.errors import BridgeError
from tests.conftest import write_scene


@pytest.fixture
def config(tmp_path, monkeypatch):
    """An empty configuration folder and no BRIDGE_CONNECTION_* in the environment."""
    for name in list(os.environ):
        if name.startswith(connections.ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "bridge"
    folder.mkdir(parents=True)
    return folder / "connections.yaml"


def test_a_connection_from_the_environment(config, monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS", "service=gis")
    monkeypatch.setenv("BRIDGE_CONNECTION_GIS_ALLOW_SQL", "true")
    found = connections.resolve("gis")
    assert found.conninfo == "service=gis" and found.allow_sql and "BRIDGE_CONNECTION_GIS" in found.where
    monkeypatch.setenv("BRIDGE_CONNECTION_COUNCIL_GIS", "gis")  # a bare name is a service of the pg_service file
    assert connections.resolve("council-gis").conninfo == "service=gis"
    assert not connections.resolve("council-gis").allow_sql


def test_the_connections_file_must_be_private(config):
    config.write_text("gis:\n  host: db.example\n  dbname: gis\n  user: bridge\n  password: Hunter2-Secret\n  allow_sql: true\n")
    config.chmod(0o644)
    with pytest.raises(BridgeError) as caught:
        connections.resolve("gis")
    message = str(caught.value)
    assert "chmod 600" in message and str(config) in message and "Hunter2" not in message
    config.chmod(0o600)
    found = connections.resolve("gis")
    assert found.allow_sql and "dbname=gis" in found.conninfo
    assert "Hunter2" not in repr(found)


def test_an_undefined_connection_says_how_to_define_it(config):
    config.write_text("reporting: {service: reporting}\n")
    config.chmod(0o600)
    with pytest.raises(BridgeError) as caught:
        connections.resolve("gis")
    message = str(caught.value)
    assert "BRIDGE_CONNECTION_GIS" in message and "reporting" in message and str(config) in message


def test_redact_removes_passwords_and_the_connection_string():
    conninfo = "host=db user=u password=S3cret-Value dbname=x"
    said = connections.redact(f"failed for {conninfo}; password=S3cret-Value; postgresql://u:S3cret-Value@db/x", conninfo)
    assert "S3cret" not in said and conninfo not in said


def test_a_failed_connection_never_prints_the_password(workdir, config, monkeypatch):
    from bridge.render.briefing import load_briefing

    monkeypatch.setenv("BRIDGE_CONNECTION_GIS", "postgresql://bridge:Pa55-Word-9@/gis?host=/nonexistent&port=1")
    scene = write_scene(workdir, """
        title: T
        datasets:
          areas: {connection: gis, table: lsoa, key: code}
        panels:
          - {id: p, type: text, text: hi, width: 20, height: 10}
        steps:
          - {title: One, show: [p]}
        """)
    with pytest.raises(BridgeError) as caught:
        load_briefing(scene)
    message = str(caught.value)
    assert "scene.yaml:3" in message and "connection 'gis'" in message and "cannot connect" in message
    assert "Pa55-Word-9" not in message and "postgresql://" not in message
    assert len(message.strip().splitlines()) == 1


def test_values_are_bound_and_identifiers_quoted():
    attack = "x'; DROP TABLE lsoa; --"
    node = conjuncts(parse("name == params.area and people > 5"))
    kinds = {"name": TEXT, "people": INTEGER}
    where = Sql.join(" AND ", [translate(n, "areas", kinds, lambda p: attack) for n in node])
    statement = Sql("SELECT ", Ident.of('we"ird'), " FROM ", Ident.of("gis", "lsoa"), " WHERE ", where)
    text, values = statement.duckdb()
    assert attack not in text and values == [attack, 5.0]
    assert '"we""ird"' in text and '"gis"."lsoa"' in text
    from psycopg import sql

    query, values = statement.postgres()
    assert attack not in sql.Composed(query).as_string(None) and attack in values


def test_what_sql_cannot_say_the_same_way_is_left_to_pandas():
    kinds = {"name": TEXT, "people": FLOAT}
    for text in ('left(name, 3) == "Shr"', "name > \"A\"", "people > name", "rank(people) < 5", 'people == "5"'):
        with pytest.raises(Untranslatable):
            translate(parse(text).tree, "areas", kinds, None)
    assert translate(parse("name == params.ward").tree, "areas", kinds, lambda p: ALL).duckdb() == ("(TRUE)", [])


WHERES = ['name == "Castle"', 'name != "Castle"', "people > 2", "people != 2", "people <= 2 or not (count == 3)",
          'not (name == "Castle") and people >= 0', "count != 3", 'name == params.ward', "people < params.least",
          'name == params.every']


def test_duckdb_and_pandas_give_the_same_table(workdir):
    """Missing values, ±inf and stray spaces mean the same in the generated SQL as in pandas (one dataset a where:)."""
    from bridge.render.briefing import load_briefing

    frame = pd.DataFrame({
        "code": [f"E0{i}" for i in range(8)],
        "name": ["Castle", " Castle ", None, "Abbey", "Quarry", "Castle", "abbey", "Castle"],
        "people": [1.0, 2.5, np.nan, np.inf, -np.inf, 3.0, 2.0, 7.0],
        "count": pd.array([3, 1, None, 4, 3, 2, 3, 9], dtype="Int64"),
    })
    frame.to_parquet(workdir / "data" / "t.parquet")
    tables = {}
    for engine in ("duckdb", "pandas"):
        datasets = "".join(f"  t{i}: {{path: data/t.parquet, engine: {engine}, join: false, where: '{where}'}}\n"
                           for i, where in enumerate(WHERES))
        scene = write_scene(workdir, """
            title: T
            params:
              ward: {type: choice, values: [Castle, Abbey], default: Castle}
              every: {type: choice, values: [Castle, Abbey], all: All, default: all}
              least: {type: number, min: 0, max: 10, step: 0.5, default: 2.5}
            datasets:
              areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
            """ + datasets.replace("\n", "\n            ") + """
            panels:
              - {id: p, type: text, text: hi, width: 20, height: 10}
            steps:
              - {title: One, show: [p]}
            """)
        tables[engine] = load_briefing(scene).data.tables
    for i, where in enumerate(WHERES):
        duck, pandas = tables["duckdb"][f"t{i}"].frame, tables["pandas"][f"t{i}"].frame
        assert 0 < len(pandas) < 8 or where == "name == params.every", where
        assert duck["code"].tolist() == pandas["code"].tolist(), where
        pd.testing.assert_frame_equal(duck.reset_index(drop=True), pandas.reset_index(drop=True), check_dtype=False)


def test_duckdb_opens_only_the_file_bridge_checked(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    with embedded.confined(path) as con:
        assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone() == (2,)
        for sql in ("SELECT * FROM read_csv('/etc/passwd', sep = ':')", "SELECT * FROM read_text('/etc/passwd')",
                    "SELECT * FROM glob('/etc/*')", "SET enable_external_access = true", "LOAD spatial",
                    "INSTALL httpfs", f"COPY (SELECT 1) TO '{tmp_path}/out.csv'"):
            with pytest.raises(Exception) as caught:
                con.execute(sql).fetchall()
            assert "ermission" in str(caught.value) or "locked" in str(caught.value) or "disabled" in str(caught.value)
    assert not (tmp_path / "out.csv").exists()


def test_a_scene_cannot_smuggle_sql_into_duckdb_through_a_name(workdir):
    from bridge.render.briefing import load_briefing

    pd.DataFrame({"a": [1, 2]}).to_parquet(workdir / "data" / "t.parquet")
    scene = write_scene(workdir, """
        title: T
        datasets:
          areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
          t: {path: data/t.parquet, engine: duckdb, join: false, columns: ["a\\" FROM read_csv('/etc/passwd') --"]}
        panels:
          - {id: p, type: text, text: hi, width: 20, height: 10}
        steps:
          - {title: One, show: [p]}
        """)
    with pytest.raises(BridgeError) as caught:
        load_briefing(scene)
    assert "no column" in str(caught.value) and "root:" not in str(caught.value)


def test_big_files_go_to_duckdb_and_count_points_as_pandas_does(workdir, monkeypatch):
    from bridge.data.database import embedded as module
    from bridge.render.briefing import load_briefing

    monkeypatch.setattr(limits, "DUCKDB_FILE_BYTES", 1000)  # the sample's centroids file is bigger than this
    used = []
    real = module.confined
    monkeypatch.setattr(module, "confined", lambda path: used.append(path) or real(path))
    counts = {}
    for engine in ("", ", engine: pandas"):
        scene = write_scene(workdir, f"""
            title: T
            datasets:
              areas: {{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}}
              dots: {{path: data/lsoa21_centroids_shropshire.csv, points: {{x: easting, y: northing, crs: 'EPSG:27700'}},
                     aggregate: {{count: n, sum: [aged_65_plus]}}{engine}}}
            panels:
              - {{id: p, type: text, text: hi, width: 20, height: 10}}
            steps:
              - {{title: One, show: [p]}}
            """)
        counts[engine] = load_briefing(scene).data.aligned["dots"]
    assert len(used) == 1 and used[0].name == "lsoa21_centroids_shropshire.csv"
    assert counts[""]["n"].sum() > 150
    pd.testing.assert_frame_equal(counts[""], counts[", engine: pandas"])


def test_a_literal_value_is_a_parameter_too():
    text, values = translate(parse('name == "it\'s"').tree, "t", {"name": TEXT}, None).duckdb()
    assert "it's" not in text and values == ["it's"] and isinstance(Param("x"), Param)


def test_a_query_needs_a_connection_and_a_connection_no_path(workdir):
    from bridge.scene.model import load_scene

    for dataset, said in (("{path: data/t.csv, query: 'select 1', key: a}", "name its connection"),
                          ("{path: data/t.csv, connection: gis, table: t, key: a}", "exactly one source")):
        scene = write_scene(workdir, f"""
            title: T
            datasets:
              areas: {dataset}
            panels:
              - {{id: p, type: text, text: hi, width: 20, height: 10}}
            steps:
              - {{title: One, show: [p]}}
            """)
        with pytest.raises(BridgeError) as caught:
            load_scene(scene)
        assert said in str(caught.value) and "scene.yaml:3" in str(caught.value)
