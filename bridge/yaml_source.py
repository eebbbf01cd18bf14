"""Load YAML safely while remembering the line of every key, so errors can point at it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bridge.errors import BridgeError, Problem, format_key_path

KeyPath = tuple  # of str | int


class BridgeLoader(yaml.SafeLoader):
    """The safe loader with YAML 1.2 booleans: only true/false, so on/off/yes/no stay text.

    (In YAML 1.1 `join: {on: ...}` would read as `{True: ...}`, and a column named No
    would be False.)"""


BridgeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
BridgeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class YamlDocument:
    """Plain Python data from a YAML file plus a map from key path to 1-based line."""

    def __init__(self, path: Path, data: Any, lines: dict[KeyPath, int]):
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of `key_path`, or of its nearest ancestor that exists in the file."""
        key_path = tuple(key_path)
        while key_path:
            if key_path in self.lines:
                return self.lines[key_path]
            key_path = key_path[:-1]
        return self.lines.get(())

    def problem(self, key_path: KeyPath, message: str) -> Problem:
        return Problem(self.path, self.line_of(key_path), format_key_path(key_path) or None, message)


def load_yaml(path: str | Path, what: str = "file") -> YamlDocument:
    """Read `path` with yaml's safe loader; syntax errors and duplicate keys become BridgeErrors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BridgeError(Problem(path, None, None, f"{what} not found")) from None
    except IsADirectoryError:
        raise BridgeError(Problem(path, None, None, f"is a directory, not a {what}")) from None
    except UnicodeDecodeError as exc:
        raise BridgeError(Problem(path, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")) from None
    try:
        node = yaml.compose(text, Loader=BridgeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = f"invalid YAML: {exc.problem or exc.context}"
        raise BridgeError(Problem(path, line, None, msg)) from None
    if node is None:
        raise BridgeError(Problem(path, 1, None, f"the {what} is empty"))
    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    _index(node, (), lines, problems, path)
    if problems:
        raise BridgeError(problems)
    try:
        data = yaml.load(text, Loader=BridgeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:  # a tag such as !!python/object: never constructed
        mark = exc.problem_mark or exc.context_mark
        raise BridgeError(Problem(path, mark.line + 1 if mark else None, None,
                                  f"{exc.problem or exc.context}; Bridge reads plain YAML: remove the tag")) from None
    return YamlDocument(path, data, lines)


def _index(node: yaml.Node, here: KeyPath, lines: dict, problems: list, path: Path) -> None:
    lines.setdefault(here, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                        problems.append(
                    Problem(path, line, format_key_path(here + (key,)),
                            f"duplicate key (first given on line {seen[key]}); keep one")
                )
            seen[key] = line
            lines[here + (key,)] = line
            _index(value_node, here + (key,), lines, problems, path)
            lines[here + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, here + (i,), lines, problems, path)
