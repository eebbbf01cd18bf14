"""A .pbix read into Bridge's PowerBIModel: tables equal pbixray's own reading, relationships and measures as the
model defines them, Power BI's hidden auto date tables left out, and one decode per file version."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pbixray
import pytest

from bridge.data.powerbi import decode, reader
from bridge.data.powerbi.decode import is_auto_date
from bridge.data.powerbi.model import Relationship

ROOT = Path(__file__).resolve().parents[1]
AW = ROOT / "data" / "sample" / "adventure-works-internet-sales.pbix"
DATA = ROOT / "tests" / "data" / "pbix"


@pytest.mark.parametrize("path", [AW, DATA / "abc.pbix", DATA / "old-schema17-DataTable.pbix"], ids=lambda p: p.name)
def test_every_table_equals_pbixray_reading_it_alone(path):
    model = reader.load_model(path)
    peer = pbixray.PBIXRay(str(path))
    expected = [t for t in peer.tables if not is_auto_date(t)]
    assert sorted(model.tables) == sorted(expected) and expected
    for name in expected:
        pd.testing.assert_frame_equal(model.tables[name], peer.get_table(name), check_dtype=True)


def test_auto_date_tables_are_left_out():
    peer = pbixray.PBIXRay(str(DATA / "old-schema17-DataTable.pbix"))
    assert any(t.startswith("DateTableTemplate_") for t in peer.tables)  # the file has one to leave out
    model = reader.load_model(DATA / "old-schema17-DataTable.pbix")
    assert not any(is_auto_date(t) for t in model.tables)
    assert len(peer.dax_columns) > 0 and model.calculated_columns == []  # its calculated columns are the date table's


def test_relationships_and_measures_as_the_model_defines_them():
    model = reader.load_model(AW)
    assert len(model.relationships) == 7
    assert Relationship("Internet Sales", "ProductKey", "Product", "ProductKey", True, False, "many-to-one") in model.relationships
    assert Relationship("Customer", "GeographyKey", "Geography", "GeographyKey", True, False, "many-to-one") in model.relationships
    assert model.measures["Internet Sales"].expression == "SUM('Internet Sales'[SalesAmount])"
    assert model.measures["Internet Sales"].table == "Internet Sales"
    assert len(model.measures) == 5
    assert model.date_tables == {"Date"}


def test_both_directions_and_inactive_relationships_are_kept_as_such():
    meta = {"relationships": [
        {"FromTableName": "F", "FromColumnName": "k", "ToTableName": "D", "ToColumnName": "k", "IsActive": 0,
         "Cardinality": "M:1", "CrossFilteringBehavior": "Both"}]}
    model = reader.build_model("x.pbix", {"F": pd.DataFrame({"k": [1]}), "D": pd.DataFrame({"k": [1]})}, meta)
    assert model.relationships == [Relationship("F", "k", "D", "k", active=False, both_directions=True)]


def test_a_file_is_decoded_once_per_version(monkeypatch, tmp_path):
    path = tmp_path / "abc.pbix"
    path.write_bytes((DATA / "abc.pbix").read_bytes())
    calls = []
    real = reader.decode
    monkeypatch.setattr(reader, "decode", lambda p, tables=None: calls.append(p) or real(p, tables))
    first = reader.load_model(path)
    assert reader.load_model(path) is first and len(calls) == 1
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert reader.load_model(path) is not first and len(calls) == 2


def test_a_models_table_read_as_a_dataset_is_a_copy():
    model = reader.load_model(AW)
    table = reader.model_table(model, "Currency")
    table.loc[0, "CurrencyName"] = "changed"
    assert model.tables["Currency"].loc[0, "CurrencyName"] != "changed"


def test_two_children_share_the_tables_and_bring_back_the_same_model(monkeypatch):
    monkeypatch.setattr(decode, "workers", lambda: 2)  # as on a machine of four cores or more
    shared = decode.decode(AW)
    monkeypatch.setattr(decode, "workers", lambda: 1)
    alone = decode.decode(AW)
    assert list(shared.tables) == list(alone.tables) and len(shared.tables) == 9
    for name, frame in alone.tables.items():
        pd.testing.assert_frame_equal(shared.tables[name], frame)
    assert shared.meta == alone.meta
