"""Keep the architecture honest: no import cycles among bridge modules, and no module, function or class too big to read.

These checks read the source with `ast` (nothing is imported), so they are fast and see imports inside functions too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bridge"

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
MAX_CLASS_METHODS = 20

# Modules allowed over MAX_MODULE_LINES: {"bridge/x/y.py": "one-line reason why it stays whole"}.
ALLOWED_LONG_MODULES: dict[str, str] = {}


@dataclass(frozen=True)
class Edge:
    """One import: `source` imports `target` at `path:line`."""

    source: str
    target: str
    path: str
    line: int


@dataclass
class Module:
    """A parsed bridge module: its dotted name, file, syntax tree and whether it is a package `__init__`."""

    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    defined: set[str] = field(default_factory=set)

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _top_level_names(tree: ast.Module) -> set[str]:
    """Names a module binds at top level (defs, classes, assignments, imports), including inside top-level if/try."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return names


def load_modules() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name, is_package = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[name] = Module(name, path, tree, is_package, _top_level_names(tree))
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in the module, at any depth, except those under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _nearest_module(dotted: str, modules: dict[str, Module]) -> str | None:
    """The longest prefix of `dotted` that is a bridge module (`import bridge.a.b.c` of a name c → bridge.a.b)."""
    parts = dotted.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _resolve_from(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module named by `from X import …`, resolving relative imports against the importing module."""
    if node.level == 0:
        return node.module or ""
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_edges(modules: dict[str, Module]) -> list[Edge]:
    """Edges of the import graph.

    `import bridge.a.b` and `from bridge.a.b import name` are edges to bridge.a.b. `from bridge.a import b` is an edge to
    bridge.a.b when b is a submodule, else to the package bridge.a (its `__init__`, where the name is defined). The implicit
    import of a parent package's `__init__` is not counted: an `__init__` that imports its own submodules would otherwise
    make every child a cycle with its parent; an `__init__` that imports its submodules does count as an edge.
    """
    edges: list[Edge] = []
    for module in modules.values():
        for node in _imports(module.tree):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_nearest_module(alias.name, modules) for alias in node.names if alias.name.split(".")[0] == "bridge"]
            else:
                base = _resolve_from(module, node)
                if base.split(".")[0] != "bridge":
                    continue
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    if submodule in modules:
                        targets.append(submodule)
                    else:
                        targets.append(_nearest_module(base, modules))
            for target in targets:
                if target is not None and target != module.name:
                    edges.append(Edge(module.name, target, module.rel, node.lineno))
    return list(dict.fromkeys(edges))  # `from x import a, b` is one edge


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative, so deep graphs do not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph.get(node, [])
            if i < len(successors):
                work.append((node, i + 1))
                succ = successors[i]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _one_cycle(component: list[str], edges: list[Edge]) -> list[Edge]:
    """A shortest cycle through the component's first module, as the import statements that make it."""
    members = set(component)
    out: dict[str, list[Edge]] = {}
    for edge in edges:
        if edge.source in members and edge.target in members:
            out.setdefault(edge.source, []).append(edge)
    start = component[0]
    previous: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for edge in sorted(out.get(node, []), key=lambda e: (e.target, e.line)):
                if edge.target == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, previous[path[0].source])
                    return path
                if edge.target not in previous:
                    previous[edge.target] = edge
                    next_frontier.append(edge.target)
        frontier = next_frontier
    return []


def find_cycles(modules: dict[str, Module]) -> list[tuple[list[str], list[Edge]]]:
    edges = import_edges(modules)
    graph: dict[str, list[str]] = {name: [] for name in modules}
    for edge in edges:
        if edge.target not in graph[edge.source]:
            graph[edge.source].append(edge.target)
    components = [c for c in _strongly_connected(graph) if len(c) > 1]
    return [(component, _one_cycle(component, edges)) for component in sorted(components)]


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules()


def test_import_graph_is_found(modules: dict[str, Module]) -> None:
    """A sanity check on the parser, so the cycle test cannot pass by seeing no edges."""
    edges = import_edges(modules)
    assert len(modules) > 20 and len(edges) > len(modules), f"only {len(edges)} edges among {len(modules)} modules"
    assert any(e.source == "bridge.cli" for e in edges), "bridge.cli should import other bridge modules"


def test_no_import_cycles(modules: dict[str, Module]) -> None:
    cycles = find_cycles(modules)
    report = []
    for component, cycle in cycles:
        report.append(f"cycle among {len(component)} modules: {', '.join(component)}")
        report.append("  e.g. " + " -> ".join([cycle[0].source] + [e.target for e in cycle]) if cycle else "")
        report.extend(f"    {e.path}:{e.line}  {e.source} imports {e.target}" for e in cycle)
    assert not cycles, (
        "bridge modules import each other in a cycle (imports inside functions count; `if TYPE_CHECKING:` ones do not).\n"
        "Break each cycle by moving the shared code down a layer:\n" + "\n".join(report)
    )


# Data flows one way: scene file → validated model → data tables → drawn panels → equirectangular frame → projector
# frames → the show. A module may import its own layer or lower ones, never a higher one. Longest prefix wins.
# Layers by what a module may import (lower never imports higher), which is not the order the
# data flows in.  Reading an untrusted file with line numbers (the scene package's YAML source,
# validation messages and containment) serves scenes, themes and rooms alike; the room's
# compositors need only the geometry, so the room sits low; the data layer is told what it needs
# by the scene, so it sits below the scene; the scene's model is built from the panel registry,
# so it sits above the panels, while the rest of the scene sits below them.
LAYERS: dict[str, int] = {
    "bridge": 0, "bridge.errors": 0, "bridge.limits": 0, "bridge.geometry": 0, "bridge.backend": 0,
    "bridge.scene.yaml_source": 1, "bridge.scene.yaml_nodes": 1, "bridge.scene.validation": 1, "bridge.scene.containment": 1,
    "bridge.room": 2,
    "bridge.data": 3,
    "bridge.scene": 4, "bridge.theme": 4,
    "bridge.panels": 5,
    "bridge.scene.model": 6,
    "bridge.render": 7,
    "bridge.show": 8, "bridge.export": 8, "bridge.web": 8, "bridge.preview": 8, "bridge.scaffold": 8,
    "bridge.cli": 9, "bridge.commands": 9, "bridge.__main__": 9,
}
LAYER_NAMES = ["foundation", "reading located files", "room", "data tables", "scene specs and theme", "panels",
               "scene model (from the registry)", "render", "show/export/web/preview/scaffold", "command line"]


def layer_of(module: str) -> int:
    parts = module.split(".")
    while ".".join(parts) not in LAYERS:
        parts.pop()
    return LAYERS[".".join(parts)]


def test_lower_layers_do_not_import_higher_ones(modules: dict[str, Module]) -> None:
    upward = []
    for edge in import_edges(modules):
        if edge.target == "bridge":
            continue  # the root package only holds __version__
        low, high = layer_of(edge.source), layer_of(edge.target)
        if high > low:
            upward.append(f"  {edge.path}:{edge.line}  {edge.source} ({LAYER_NAMES[low]}) imports {edge.target} ({LAYER_NAMES[high]})")
    assert not upward, (
        "a lower layer imports a higher one (see LAYERS for the order and why):\n"
        + "\n".join(sorted(upward))
    )


def test_modules_are_short(modules: dict[str, Module]) -> None:
    too_long = []
    for module in modules.values():
        lines = len(module.path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and module.rel not in ALLOWED_LONG_MODULES:
            too_long.append(f"  {module.rel}: {lines} lines")
    assert not too_long, (
        f"modules over {MAX_MODULE_LINES} lines (split them, or add to ALLOWED_LONG_MODULES with a one-line reason):\n"
        + "\n".join(sorted(too_long))
    )


def test_long_module_allowlist_is_current(modules: dict[str, Module]) -> None:
    """Each allowlist entry names a real module still over the limit, with a reason: the list may only shrink."""
    by_path = {m.rel: m for m in modules.values()}
    stale = []
    for rel, reason in ALLOWED_LONG_MODULES.items():
        if not reason.strip():
            stale.append(f"  {rel}: no reason given")
        elif rel not in by_path:
            stale.append(f"  {rel}: no such module")
        elif len(by_path[rel].path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES:
            stale.append(f"  {rel}: now within {MAX_MODULE_LINES} lines, remove it from the list")
    assert not stale, "ALLOWED_LONG_MODULES is out of date:\n" + "\n".join(stale)


def _qualified_defs(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """(qualified name, node) for every function and class, nested ones included."""
    found: list[tuple[str, ast.AST]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                found.append((name, child))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def test_functions_are_short(modules: dict[str, Module]) -> None:
    too_long = []
    for module in modules.values():
        for name, node in _qualified_defs(module.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"  {module.rel}:{node.lineno} {name}: {lines} lines")
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines (split them into named steps):\n" + "\n".join(
        sorted(too_long)
    )


def test_classes_are_small(modules: dict[str, Module]) -> None:
    too_big = []
    for module in modules.values():
        for name, node in _qualified_defs(module.tree):
            if isinstance(node, ast.ClassDef):
                methods = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in node.body)
                if methods > MAX_CLASS_METHODS:
                    too_big.append(f"  {module.rel}:{node.lineno} {name}: {methods} methods")
    assert not too_big, f"classes over {MAX_CLASS_METHODS} methods (split their responsibilities):\n" + "\n".join(sorted(too_big))


def test_every_module_imports(modules: dict[str, Module]) -> None:
    """Every module imports on its own, so the fast tests reach all of bridge (some only run under `slow` tests)."""
    import importlib

    failures = []
    for name in sorted(modules):
        if name == "bridge.__main__":
            continue  # runs the command line
        try:
            importlib.import_module(name)
        except Exception as exc:  # report every module that fails, not only the first
            failures.append(f"  {name}: {type(exc).__name__}: {exc}")
    assert not failures, "modules that do not import:\n" + "\n".join(failures)


def test_cycle_finder_sees_function_level_and_skips_type_checking() -> None:
    """The checker itself: a function-level import closes a cycle, a TYPE_CHECKING import does not."""

    def module(name: str, source: str, is_package: bool = False) -> Module:
        tree = ast.parse(source)
        return Module(name, ROOT / (name.replace(".", "/") + ".py"), tree, is_package, _top_level_names(tree))

    pkg_init = module("bridge.pkg", "from bridge.pkg.a import thing\nVALUE = 1\n", is_package=True)
    a = module("bridge.pkg.a", "def thing():\n    from bridge.pkg import b\n    return b\n")
    b = module("bridge.pkg.b", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bridge.pkg import a\n")
    mods = {m.name: m for m in (pkg_init, a, b)}
    # The package __init__ imports a, and a's `from bridge.pkg import b` is an edge to the submodule, not the package.
    assert not find_cycles(mods)
    c = module("bridge.pkg.c", "from bridge.pkg import VALUE\n")
    mods["bridge.pkg.c"] = c
    mods["bridge.pkg"] = module("bridge.pkg", "from bridge.pkg.a import thing\nfrom bridge.pkg.c import x\nVALUE = 1\n", True)
    mods["bridge.pkg.a"] = a
    cycles = find_cycles(mods)
    assert [component for component, _ in cycles] == [["bridge.pkg", "bridge.pkg.c"]]
    b_real = module("bridge.pkg.b", "import bridge.pkg.a\n")
    cycles = find_cycles({"bridge.pkg.a": a, "bridge.pkg.b": b_real})
    assert [component for component, _ in cycles] == [["bridge.pkg.a", "bridge.pkg.b"]]
    assert [e.line for e in cycles[0][1]] == [2, 1]
