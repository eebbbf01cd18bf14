"""Expressions into the shapes drawing needs (bridge/panels/common/values.py), with located errors."""

import numpy as np
import pandas as pd
import pytest

from bridge.errors import BridgeError, Problem
from bridge.panels.common.values import condition, numbers, scalar, texts
from bridge.render.briefing import load_briefing
from tests.conftest import MINIMAL, write_scene

HERE = ("panels", 0, "value")


@pytest.fixture
def scene(workdir):
    path = write_scene(workdir, MINIMAL)
    return path, load_briefing(path).data


def error(call) -> str:
    with pytest.raises(BridgeError) as info:
        call()
    (problem,) = info.value.problems
    return str(problem)


def test_numbers_gives_a_number_per_row(scene, workdir):
    _, data = scene
    values = numbers(data, "people.total", HERE, None)
    assert len(values) == 198 and values.dtype == float and list(values.index) == list(range(198))
    assert values.sum() == pytest.approx(pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")["total"].sum())


def test_numbers_refuses_text_with_a_located_message(scene):
    path, data = scene
    message = error(lambda: numbers(data, "people.lsoa21_name", HERE, None))
    assert message.startswith(f"{path}:6: panels[0].value: 'people.lsoa21_name' is not numeric (e.g. 'Shropshire"), message
    assert message.endswith("; use a column of numbers")


def test_numbers_keeps_missing_values_as_nan(scene, workdir):
    path, data = scene
    frame = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")
    frame.loc[0, "total"] = None
    frame.to_csv(workdir / "data" / "census21_age_shropshire.csv", index=False)
    values = numbers(load_briefing(path).data, "people.total", HERE, None)
    assert values.isna().sum() == 1 and values.notna().sum() == 197


def test_one_number_or_one_per_row_as_asked(scene):
    path, data = scene
    assert scalar(data, "sum(people.total)", HERE, None) == pytest.approx(data.aligned["people"]["total"].sum())
    assert error(lambda: scalar(data, "people.total", HERE, None)) == (
        f"{path}:6: panels[0].value: 'people.total' gives one value per row; "
        "a single number is needed: wrap it, e.g. sum(people.total)")
    assert error(lambda: numbers(data, "sum(people.total)", HERE, None)) == (
        f"{path}:6: panels[0].value: 'sum(people.total)' gives one number; this needs a value per row")


def test_texts_and_conditions(scene):
    path, data = scene
    labels = texts(data, "areas.lsoa21_code", HERE, None)
    assert labels.str.startswith("E01").all() and list(labels.index) == list(range(198))
    assert error(lambda: texts(data, "count(people.total)", HERE, None)).endswith("panels[0].value: must be a column of labels")
    wanted = Problem(path, 6, "panels[0].where", "must be true or false per row")
    mask = condition(pd.Series([True, False], index=[7, 9]), wanted)
    assert list(mask) == [True, False] and list(mask.index) == [0, 1]
    for bad in (pd.Series([1, 0]), True, np.array([True])):
        with pytest.raises(BridgeError) as info:
            condition(bad, wanted)
        assert info.value.problems == [wanted]


def test_values_not_finite_or_too_large_are_missing_and_reported(scene):
    path, data = scene
    values = numbers(data, "people.total / (people.total > 1600)", HERE, None)
    gaps = int(values.isna().sum())
    assert 0 < gaps < 198 and np.isfinite(values.dropna()).all()
    assert [str(w) for w in data.warnings] == [
        f"{path}:6: panels[0].value: {gaps} values are not finite (a division by zero, or a number too large?) and are drawn as no data"]
    big = numbers(data, "people.total * 1e12", ("panels", 0, "colour"), None)
    assert big.isna().sum() > 0 and (big.dropna().abs() <= 1e15).all()
    assert "panels[0].colour: " in str(data.warnings[-1]) and "larger than 1e15 in magnitude (too large to be a measure)" in str(data.warnings[-1])
    numbers(data, "people.total / (people.total > 1600)", HERE, None)
    assert len(data.warnings) == 2  # each warning once


def test_one_number_not_finite_or_too_large_is_missing_and_reported(scene):
    path, data = scene
    assert np.isnan(scalar(data, "1/0", HERE, None))
    assert np.isnan(scalar(data, "sum(people.total) * 10**14", ("panels", 0, "yaw"), None))
    assert np.isnan(scalar(data, "max(people.total) ** 400", ("panels", 0, "pitch"), None))
    assert scalar(data, "-10**15", HERE, None) == -1e15
    assert [str(w) for w in data.warnings] == [
        f"{path}:6: panels[0].value: '1/0' is not finite (a division by zero, or a number too large?) and is drawn as no data",
        (f"{path}:6: panels[0].yaw: 'sum(people.total) * 10**14' is larger than 1e15 in magnitude (too large to be a measure) "
         "and is drawn as no data"),
        (f"{path}:6: panels[0].pitch: 'max(people.total) ** 400' is not finite (a division by zero, or a number too large?) "
         "and is drawn as no data"),
    ]
