"""The composed YAML node graph checked before anything is built from it: limits, tags and keys.

bridge/scene/yaml_source.py composes a file into nodes; `walk` then measures them as the
document would be built (a node reached through N aliases counts N times, so an alias bomb is
measured, never expanded), refuses what is over the limits, any tag that is not plain YAML and
duplicate keys, and indexes every key's line and column, all without recursion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bridge.errors import Problem, excerpt, format_key_path
from bridge.limits import MAX_YAML_DEPTH, MAX_YAML_NODES

KeyPath = tuple  # of str | int

STANDARD = "tag:yaml.org,2002:"
# The tags a plain YAML file may carry (explicitly or by resolution): anything else is refused.
PLAIN_TAGS = frozenset(STANDARD + name for name in (
    "str", "int", "float", "bool", "null", "seq", "map", "timestamp", "binary", "set", "omap", "pairs", "merge", "value"))


class Refused(Exception):
    """A limit reached while composing: where, and what to say."""

    def __init__(self, mark, key_path: KeyPath, message: str):
        super().__init__(message)
        self.mark = mark
        self.key_path = key_path
        self.message = message


def too_many_nodes() -> str:
    return (f"more than {MAX_YAML_NODES:,} values, lists and mappings (every use of an alias counted in full); "
            f"a YAML file may hold at most {MAX_YAML_NODES:,}")


def too_deep() -> str:
    return f"mappings and lists nested more than {MAX_YAML_DEPTH} deep; the limit is {MAX_YAML_DEPTH}"


def walk(path: Path, root: yaml.Node):
    """Index every key's line and refuse the limits, duplicate keys and tags, without recursion.

    The limits count the document as it would be built: a node reached through N aliases
    counts N times, and nesting is measured through aliases (one that refers to itself nests
    without end).  Sizes are summed once per node, so an alias bomb is measured, never expanded."""
    sizes, heights, loop = _measure(root)
    first = _first_paths(root)
    if loop is not None:
        raise Refused(loop.start_mark, first[id(loop)], too_deep() + " (an alias here refers to itself)")
    if sizes[id(root)] > MAX_YAML_NODES:
        node = _descend(root, lambda n: sizes[id(n)] > MAX_YAML_NODES)
        raise Refused(node.start_mark, first[id(node)], too_many_nodes())
    if heights[id(root)] > MAX_YAML_DEPTH:
        node, depth = root, 1
        while depth <= MAX_YAML_DEPTH:
            node = max(_children(node), key=lambda n: heights[id(n)])
            depth += 1
        raise Refused(node.start_mark, first[id(node)], too_deep())
    lines: dict[KeyPath, int] = {}
    marks: dict[KeyPath, tuple[int, int]] = {}
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, KeyPath]] = [(root, ())]
    while stack:
        node, here = stack.pop()
        lines.setdefault(here, node.start_mark.line + 1)
        marks.setdefault(here, (node.start_mark.line + 1, node.start_mark.column + 1))
        if id(node) in seen:  # an alias: its insides were indexed where the anchor is
            continue
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            problems.append(Problem(path, node.start_mark.line + 1, format_key_path(here) or None, _tag_message(node.tag)))
        elif isinstance(node, yaml.MappingNode):
            keys: dict[Any, int] = {}
            children = []
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    problems.append(Problem(path, line, format_key_path(here) or None,
                                            "a key must be a plain name or number, not a list or mapping"))
                    continue
                key = key_node.value
                if key_node.tag not in PLAIN_TAGS:
                    problems.append(Problem(path, line, format_key_path(here + (key,)), _tag_message(key_node.tag)))
                    continue
                if key in keys:
                    problems.append(Problem(path, line, format_key_path(here + (key,)),
                                            f"duplicate key (first given on line {keys[key]}); keep one"))
                keys[key] = line
                lines[here + (key,)] = line
                marks[here + (key,)] = (line, key_node.start_mark.column + 1)
                children.append((value_node, here + (key,)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, here + (i,)) for i, item in reversed(list(enumerate(node.value))))
    return lines, marks, problems


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []


def _measure(root: yaml.Node):
    """Per node (by id): how many nodes it expands to (capped just past the limit) and how deep
    its mappings and lists nest through aliases; and a node that contains itself, if any."""
    cap = MAX_YAML_NODES + 1
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    open_: set[int] = set()  # the nodes on the current path: meeting one again is a loop
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            open_.discard(key)
            sizes[key] = min(cap, 1 + sum(sizes[id(c)] for c in children))
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            continue
        if key in sizes:
            continue
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            sizes[key], heights[key] = 1, 0
            continue
        open_.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_:
                return sizes, heights, child
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes, heights, None


def _first_paths(root: yaml.Node) -> dict[int, KeyPath]:
    """Where each node is first written (an alias's target: where its anchor is)."""
    first: dict[int, KeyPath] = {}
    stack: list[tuple[yaml.Node, KeyPath]] = [(root, ())]
    while stack:
        node, here = stack.pop()
        if id(node) in first:
            continue
        first[id(node)] = here
        if isinstance(node, yaml.MappingNode):
            stack.extend((v, here + (k.value if isinstance(k, yaml.ScalarNode) else "?",)) for k, v in reversed(node.value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, here + (i,)) for i, item in reversed(list(enumerate(node.value))))
    return first


def _descend(node: yaml.Node, too_big) -> yaml.Node:
    """The innermost node along the way down for which `too_big` still holds."""
    while True:
        inner = next((c for c in _children(node) if too_big(c)), None)
        if inner is None:
            return node
        node = inner


def short_key(key_path: KeyPath) -> str | None:
    """A key path fit for one line: 'a[0][0]…[0][0]' rather than sixty-four [0]s."""
    if len(key_path) > 8:
        return f"{format_key_path(key_path[:3])}…{format_key_path(key_path[-2:])}"
    return format_key_path(key_path) or None


def _tag_message(tag: str) -> str:
    shown = "!!" + tag[len(STANDARD):] if tag.startswith(STANDARD) else tag
    return f"the tag {excerpt(shown, 60)} is not read: Bridge reads plain YAML (no !include, no !!python/...); remove the tag"


def mapping_in(raw: dict, key: str) -> dict:
    """raw[key] of raw YAML data where it is a mapping, else {} (validation reports the wrong type)."""
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def list_in(raw: dict, key: str) -> list:
    """raw[key] of raw YAML data where it is a list, else [] (validation reports the wrong type)."""
    value = raw.get(key)
    return value if isinstance(value, list) else []
