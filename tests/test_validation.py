"""Pydantic errors as located problems (bridge/scene/validation.py): key path as written, line, what is valid."""

from typing import Annotated, Literal

import pytest
from pydantic import Field, ValidationError

from bridge.scene.fields import Strict, Yaw
from bridge.scene.validation import pydantic_problems
from bridge.scene.yaml_source import load_yaml


class Cat(Strict):
    type: Literal["cat"]
    name: str


class Dog(Strict):
    type: Literal["dog"]
    name: str
    size: Literal["small", "large"] = "small"


class Item(Strict):
    name: str
    yaw: Yaw = 0


class Root(Strict):
    title: str
    items: list[Item] = []
    pets: list[Annotated[Cat | Dog, Field(discriminator="type")]] = []


TAGS = {"cat": Cat, "dog": Dog}


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "f.yaml"
    path.write_text(text)
    doc = load_yaml(path)
    with pytest.raises(ValidationError) as info:
        Root.model_validate(doc.data)
    return [str(p).removeprefix(f"{path}:") for p in pydantic_problems(info.value, doc, Root, TAGS)]


def test_item_errors_name_the_line_and_key_path_sorted_by_line(tmp_path):
    found = problems(tmp_path, "items:\n  - {name: a, yaw: 400}\n  - name: b\n    yw: 3\n")
    assert found == [
        "1: title: is required",  # missing at the top: the document's first line
        "2: items[0].yaw: 400 is outside -180..180",
        "4: items[1].yw: unknown key (did you mean 'yaw'?); valid keys here: name, yaw",
    ]


def test_tagged_union_errors_name_the_type_not_the_branch(tmp_path):
    found = problems(tmp_path, "title: t\npets:\n  - {type: cta, name: a}\n  - {type: dog, name: b, size: huge}\n  - {name: c}\n")
    assert found == [
        "3: pets[0].type: 'cta' is not a valid type (did you mean 'cat'?); use one of cat, dog",
        "4: pets[1].size: 'huge' is not valid; use 'small' or 'large'",
        "5: pets[2].type: a type is required: one of cat, dog",
    ]


def test_wrong_kinds_of_value_say_what_was_given(tmp_path):
    found = problems(tmp_path, "title: [a, b]\nitems: {name: a}\n")
    assert found[0].startswith("1: title: input should be a valid string (got ['a', 'b'])"), found
    assert found[1].startswith("2: items: input should be a valid list"), found
