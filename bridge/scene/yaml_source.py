"""Load YAML safely while remembering the line of every key, so errors can point at it.

A scene, theme or room file is untrusted: it may come by email.  Before anything is built from
it, a file must be a regular file of at most MAX_YAML_BYTES of UTF-8 text without control
characters; while it is composed, no mapping or list may nest deeper than MAX_YAML_DEPTH; and
walking the composed nodes — every use of an alias walked again, so "billion laughs" counts
as what it would expand to — may visit at most MAX_YAML_NODES of them.  The walk has a budget,
so it never expands anything exponentially, and nothing here recurses deeper than the depth
limit.  Only the standard YAML tags are read: `!include` or `!!python/...` is refused, never run.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from bridge.errors import BridgeError, Problem, excerpt, format_key_path
from bridge.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from bridge.scene.yaml_nodes import STANDARD, KeyPath, Refused, short_key, too_deep, too_many_nodes, walk

# What PyYAML's reader refuses (tab, line breaks and printable text are allowed).
_NOT_ALLOWED = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


try:  # libyaml scans and parses about twenty times faster than PyYAML's own parser
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _PurePythonParser(Reader, Scanner, Parser):
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

    _Parser = _PurePythonParser


class BridgeLoader(Composer, _Parser, SafeConstructor, Resolver):
    """The safe loader with YAML 1.2 booleans: only true/false, so on/off/yes/no stay text.

    (In YAML 1.1 `join: {on: ...}` would read as `{True: ...}`, and a column named No
    would be False.)  Parsed by libyaml where PyYAML has it, composed here in Python so that,
    while composing, it refuses nesting deeper than MAX_YAML_DEPTH and more than
    MAX_YAML_NODES nodes as written (aliases are counted later, when the nodes are walked)."""

    def __init__(self, stream) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._key_path: list = []
        self._depth = 0
        self._composed = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        event = self.peek_event()
        if parent is None or index is None:  # the document, or a mapping's key: no step in the path
            step = ()
        elif isinstance(index, yaml.ScalarNode):
            step = (index.value,)
        elif isinstance(index, yaml.Node):
            step = ("?",)
        else:
            step = (index,)
        self._key_path.extend(step)
        self._composed += 1
        if self._composed > MAX_YAML_NODES:
            raise Refused(event.start_mark, tuple(self._key_path), too_many_nodes())
        collection = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if collection:
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise Refused(event.start_mark, tuple(self._key_path), too_deep())
        try:
            return super().compose_node(parent, index)
        finally:
            if collection:
                self._depth -= 1
            del self._key_path[len(self._key_path) - len(step):]

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise ConstructorError(None, None, f"cannot read {excerpt(node.value)} as a whole number "
                                   f"({len(node.value)} characters)", node.start_mark) from None

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(None, None, f"{excerpt(node.value)} is not a date: {exc}", node.start_mark) from None


BridgeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
BridgeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
BridgeLoader.add_constructor(STANDARD + "int", BridgeLoader.construct_yaml_int)
BridgeLoader.add_constructor(STANDARD + "timestamp", BridgeLoader.construct_yaml_timestamp)


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
    """Read `path` with yaml's safe loader, within the limits; every problem is a located BridgeError."""
    path = Path(path)
    text = _read_text(path, what)
    bad = _NOT_ALLOWED.search(text)
    if bad:
        raise BridgeError(_control_character(path, text, bad.start()))
    node, lines, marks, loader = _compose(path, text, what)
    try:
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line, column = _mark(exc)
        key = _key_at(marks, line, column) if line else None
        raise BridgeError(Problem(path, line, key, _yaml_message(exc, text))) from None
    except RecursionError:  # cannot happen within MAX_YAML_DEPTH; a clear refusal if it ever does
        raise BridgeError(Problem(path, None, None, too_deep())) from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, lines)


def _read_text(path: Path, what: str) -> str:
    """The file's text: a regular file, at most MAX_YAML_BYTES, UTF-8 (a UTF-8 byte-order mark is fine).

    Opened without blocking (a FIFO would wait for a writer) and checked before a byte is read
    (/dev/zero would never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise BridgeError(Problem(path, None, None, f"{what} not found")) from None
    except IsADirectoryError:
        raise BridgeError(Problem(path, None, None, f"is a directory, not a {what}")) from None
    except OSError as exc:
        raise BridgeError(Problem(path, None, None, f"cannot read this {what}: {exc.strerror or exc}")) from None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BridgeError(Problem(path, None, None, f"is a directory, not a {what}"))
        raise BridgeError(Problem(path, None, None,
            f"is not a regular file (a device, pipe or socket); a {what} is a YAML file"))
    with os.fdopen(fd, "rb") as file:
        if info.st_size > MAX_YAML_BYTES:
            raise BridgeError(Problem(path, None, None, _too_big(info.st_size, what)))
        try:
            raw = file.read(MAX_YAML_BYTES + 1)  # the file may have grown since it was measured
        except OSError as exc:
            raise BridgeError(Problem(path, None, None, f"cannot read this {what}: {exc.strerror or exc}")) from None
    if len(raw) > MAX_YAML_BYTES:
        raise BridgeError(Problem(path, None, None, _too_big(len(raw), what)))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(raw):
        raise BridgeError(Problem(path, None, None, f"is UTF-16 text; Bridge reads a {what} as UTF-8: save it as UTF-8"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        raise BridgeError(Problem(path, None, None, f"is not UTF-8 text ({exc.reason} at byte {start})")) from None


def _too_big(size: int, what: str) -> str:
    return f"is {size:,} bytes; a {what} may be at most {MAX_YAML_BYTES:,} bytes"


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte-order mark: a NUL beside most characters of its first line."""
    head = raw[:200]
    return len(head) >= 4 and head.count(0) >= len(head) // 3 and (head[0::2].count(0) == 0) != (head[1::2].count(0) == 0)


def _control_character(path: Path, text: str, pos: int) -> Problem:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    code = ord(text[pos])
    kind = "control character" if code < 0x20 or 0x7f <= code <= 0x9f else "character"
    key = None
    try:  # which key it is in: compose the text with every such character made a space
        _, _, marks, loader = _compose(path, _NOT_ALLOWED.sub(" ", text), "file")
        loader.dispose()
        key = _key_at(marks, line, column)
    except BridgeError:
        pass
    return Problem(path, line, key, f"{kind} U+{code:04X} at column {column}: a YAML file may hold tabs and line "
                                    f"breaks but no other control characters; remove it")


def _compose(path: Path, text: str, what: str):
    """The node graph, checked: (root node, key path → line, key path → (line, column), loader)."""
    loader = BridgeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise BridgeError(Problem(path, 1, None, f"the {what} is empty"))
        lines, marks, problems = walk(path, node)
    except Refused as exc:
        loader.dispose()
        raise BridgeError(Problem(path, exc.mark.line + 1, short_key(exc.key_path), exc.message)) from None
    except yaml.MarkedYAMLError as exc:
        loader.dispose()
        line, _ = _mark(exc)
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own bound (1000), met while scanning ahead
            raise BridgeError(Problem(path, line, None, too_deep())) from None
        raise BridgeError(Problem(path, line, None, f"invalid YAML: {_yaml_message(exc, text)}")) from None
    except yaml.YAMLError as exc:  # a reader error has no mark; the text was checked before
        loader.dispose()
        raise BridgeError(Problem(path, None, None, f"invalid YAML: {excerpt(str(exc), 200)}")) from None
    except RecursionError:
        loader.dispose()
        raise BridgeError(Problem(path, None, None, too_deep())) from None
    except BaseException:
        loader.dispose()
        raise
    if problems:
        loader.dispose()
        raise BridgeError(problems)
    return node, lines, marks, loader


def _key_at(marks: dict[KeyPath, tuple[int, int]], line: int, column: int | None) -> str | None:
    """The key written last at or before (line, column): where a problem found by position sits."""
    best: KeyPath = ()
    best_at = (0, 0)
    here = (line, column if column is not None else 1 << 30)
    for key_path, at in marks.items():
        if key_path and at <= here and (at > best_at or (at == best_at and len(key_path) > len(best))):
            best, best_at = key_path, at
    return short_key(best) if best else None


def _mark(exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark else (None, None)


_QUOTE_HINT = ("a value holding ': ' (an expression, a title) must be quoted, "
               "e.g. where: 'period == \"2020: Q1\"' or title: \"Winter: the cold months\"")
_FLOW_QUOTE_HINT = ("inside {…} or […] too, a value holding ': ' must be quoted, "
                    "e.g. {id: note, title: \"Winter: the cold months\"}")


def _yaml_message(exc: yaml.MarkedYAMLError, text: str = "") -> str:
    """The parser's message plus how to fix the usual causes: an unquoted ': ' in a value (block
    style says 'mapping values are not allowed'; flow style, `{…}`, only that it expected ','
    or '}', at the value's second colon) and a tab, which YAML never accepts as indentation."""
    message = str(exc.problem or exc.context)
    if len(message) > 300:
        message = message[:300] + "…"
    line = _line_at(text, exc.problem_mark)
    column = exc.problem_mark.column if exc.problem_mark else 0
    if isinstance(exc, ConstructorError) and "constructor" in message:
        message += "; Bridge reads plain YAML: remove the tag"
    if "mapping values are not allowed" in message:
        message += "; " + _QUOTE_HINT
    elif message.startswith("did not find expected ','") and _second_colon(line, column):
        message += "; " + _FLOW_QUOTE_HINT
    elif line[column:column + 1] == "\t":
        message = f"a tab character at column {column + 1}; YAML indents with spaces only: replace the tab with spaces"
    return message


def _line_at(text: str, mark) -> str:
    """The line of `text` a parser's mark is on ('' if none)."""
    lines = text.splitlines()
    return lines[mark.line] if mark is not None and mark.line < len(lines) else ""


def _second_colon(line: str, column: int) -> bool:
    """The parser stopped at a ':' in a flow entry that already had its key's ': ', as in
    `{id: a, value: a: b}` (not at the next line's key after a missing '}')."""
    if line[column:column + 1] != ":":
        return False
    entry = re.split(r"[,{\[]", line[:column])[-1]
    return ": " in entry
