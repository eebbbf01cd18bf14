"""Numbers and reference tables for the documentation, taken from the code and from bench/results/ at build time.

Pages write placeholders instead of typing figures by hand, so a page cannot fall behind the
code or the latest benchmark run:

    {{ bench.compositor.cylinder_ms }}          a value from bench/results/compositor.json
    {{ bench.compositor.cylinder_ms:.1f }}      ... with a Python format spec
    {{ bench.compositor.date }}                 the date of the result's last commit (or "uncommitted")
    {{ limits.MAX_YAML_BYTES }}                 a limit from bridge/limits.py, written for people ("2 MB")
    {{ table.NAME }}                            a generated table or page body: see TABLES
    \\{{ bench.x.y }}                              written as it stands (a page explaining the syntax)
    {{ bench.video.targets_met.cpu:met }}       a true/false result as "met" / "not met"

mkdocs runs `on_page_markdown` for every page (mkdocs.yml: `hooks:`); an unknown placeholder
stops the build.  `python docs/hooks.py bench > bench/README.md` writes the benchmarks' README
from the same function the site's Benchmarks page uses (tests/test_docs.py keeps it current).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import io
import json
import os
import pkgutil
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PLACEHOLDER = re.compile(r"(\\?)\{\{\s*(bench|limits|table)\.([A-Za-z0-9_.\-]+)(?:\s*:\s*([^}]*?))?\s*\}\}")
# The keys of a result that say where it was measured (a result file holds what its benchmark wrote).
MACHINE_KEYS = ("cores", "display", "transport")
LONG_LIST = 6  # lists longer than this (raw samples) are summarised in the tables


class DocsError(ValueError):
    """A placeholder that names nothing: the page is wrong, not the reader's build."""


# ---- mkdocs hook -----------------------------------------------------------------------------

def on_page_markdown(markdown: str, page, config, files) -> str:
    return expand(markdown, page.file.src_uri)


def expand(text: str, where: str = "") -> str:
    """Every placeholder in `text` replaced by its value."""

    def one(match: re.Match) -> str:
        escaped, kind, name, spec = match.groups()
        if escaped:
            return match.group(0)[1:]
        try:
            value = {"bench": bench_value, "limits": limit_text, "table": table}[kind](name)
        except (KeyError, FileNotFoundError, AttributeError) as exc:
            raise DocsError(f"{where}: {match.group(0)} names nothing ({exc})") from None
        if isinstance(value, bool):
            return ("met" if value else "not met") if spec == "met" else str(value).lower()
        return format(value, spec) if spec else str(value)

    return PLACEHOLDER.sub(one, text)


# ---- benchmark results -----------------------------------------------------------------------

def results(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text())


def result_date(name: str) -> str:
    """When the result was recorded: its file's last commit (the result files hold no date)."""
    path = RESULTS / f"{name}.json"
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(path.relative_to(ROOT))],
                             cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or "uncommitted"


def bench_value(name: str):
    file, _, key = name.partition(".")
    if key == "date":
        return result_date(file)
    if key == "machine":
        return machine(results(file))
    value = results(file)
    for part in key.split("."):
        value = value[part]
    return value


def machine(record: dict) -> str:
    parts = [f"{record[k]} {k}" if k == "cores" else str(record[k])
             for k in MACHINE_KEYS if k in record]
    return ", ".join(parts) or "not recorded in the result"


def _flatten(record: dict, prefix: str = ""):
    for key, value in record.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def _cell(value) -> str:
    if isinstance(value, list) and len(value) > LONG_LIST:
        return f"{len(value)} values (min {min(value):g}, max {max(value):g})"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _docstring(path: Path) -> str:
    text = ast.get_docstring(ast.parse(path.read_text())) or ""
    # Data that does not ship is described, not located on someone's disk.
    return re.sub(r"Needs \.\./\S+ \(([^)]*)\)\.", r"Needs \1, which do not ship with Bridge.", text)


def benchmarks_page(heading: str = "#") -> str:
    """Every benchmark: what it measures, how to run it, and its latest figures with their date and machine."""
    out = [f"{heading} Benchmarks", "",
           "Each script in `bench/` measures one thing against a peer in the same run and writes its figures to",
           "`bench/results/NAME.json`; the tables below are those files as they are committed (this page is",
           "generated from them: `python docs/hooks.py bench > bench/README.md`). The date is the result file's",
           "last commit; the machine is what the benchmark recorded about where it ran. Run one with the command",
           "its description gives; it needs the set-up's system packages (Xvfb, Chromium, Open MPI as it says).", ""]
    for script in sorted((ROOT / "bench").glob("*.py")):
        if script.name.startswith("_"):
            continue
        name = script.stem
        doc = _docstring(script)
        title, _, body = doc.partition("\n")
        out += [f"{heading}# `bench/{script.name}`", "", title.strip(), ""]
        if body.strip():
            out += ["```text", body.strip(), "```", ""]
        if not (RESULTS / f"{name}.json").exists():
            out += ["No result is committed yet.", ""]
            continue
        record = results(name)
        out += [f"Latest result, `bench/results/{name}.json`: recorded {result_date(name)}; machine: {machine(record)}.", "",
                "| key | value |", "|---|---|"]
        out += [f"| `{key}` | {_cell(value)} |" for key, value in _flatten(record) if key not in MACHINE_KEYS]
        out.append("")
    return "\n".join(out)


# ---- limits ----------------------------------------------------------------------------------

def _limit_comments() -> dict[str, tuple[str, str]]:
    """Each limit's (section, comment) as bridge/limits.py writes them beside it."""
    import bridge.limits as limits

    found, section = {}, ""
    for tok in tokenize.generate_tokens(io.StringIO(Path(limits.__file__).read_text()).readline):
        if tok.type == tokenize.COMMENT and tok.start[1] == 0:
            section = tok.string.lstrip("# ").strip()
        elif tok.type == tokenize.NAME and tok.start[1] == 0 and tok.string.isupper():
            line = tok.line.split("#", 1)
            found[tok.string] = (section, line[1].strip() if len(line) > 1 else "")
    return found


def _bytes(value: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if value % size == 0:
            return f"{value // size} {unit}"
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if value % size == 0:
            return f"{value // size} {unit}"
    return f"{value:,} bytes"


def limit_text(name: str) -> str:
    """A limit as a person reads it: 2 MB, 40 million pixels, 16384 × 8192, ±10¹⁵."""
    import bridge.limits as limits

    value = getattr(limits, name)
    if name.endswith("_BYTES"):
        return _bytes(value)
    if name == "MAX_IMAGE_PIXELS":
        return f"{value / 1e6:g} million pixels"
    if name == "MAX_MEASURE_MAGNITUDE":
        return "±10" + str(round(__import__("math").log10(value))).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    if name == "MAX_FRAME_WIDTH":
        return f"{value} × {value // 2}"
    if name == "MAX_PROJECTOR_SIDE":
        return f"{value} px each way"
    if name == "MAX_EXPRESSION_CHARS":
        return f"{value:,} characters"
    if name == "MAX_EXPRESSION_DEPTH":
        return f"{value} levels"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def limits_table() -> str:
    lines = ["| limit | value | what it bounds |", "|---|---|---|"]
    for name, (section, comment) in _limit_comments().items():
        what = comment or section.lower()
        lines.append(f"| `{name}` | {limit_text(name)} | {what} |")
    return "\n".join(lines) + "\n"


# ---- the command line ------------------------------------------------------------------------

def _bridge_parser() -> argparse.ArgumentParser:
    """The CLI's parser, from whichever public function builds it (the CLI is being split into modules)."""
    for module in ("bridge.cli", "bridge.commands"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for attr in ("build_parser", "make_parser", "parser", "create_parser", "_parser"):
            fn = getattr(mod, attr, None)
            if callable(fn):
                parser = fn()
                if isinstance(parser, argparse.ArgumentParser):
                    return parser
    raise AttributeError("no function in bridge.cli or bridge.commands builds the argparse parser")


def _subcommands(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def cli_reference() -> str:
    """Every command's --help, as argparse prints it at 100 columns."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        parser = _bridge_parser()
        out = ["```text", parser.format_help().rstrip(), "```", ""]
        for name, sub in _subcommands(parser).items():
            out += [f"## `bridge {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
            for action, subsub in _subcommands(sub).items():
                out += [f"### `bridge {name} {action}`", "", "```text", subsub.format_help().rstrip(), "```", ""]
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(out)


# ---- panel types and the schema --------------------------------------------------------------

def _type_of(prop: dict) -> str:
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop or "oneOf" in prop:
        kinds = [_type_of(p) for p in prop.get("anyOf", prop.get("oneOf")) if p.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds))
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if prop.get("type") == "object" and "additionalProperties" in prop:
        return f"map of {_type_of(prop['additionalProperties'])}"
    return str(prop.get("type", "any"))


def _cell_text(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _properties_table(schema: dict) -> list[str]:
    required = set(schema.get("required", ()))
    lines = ["| key | type | default | what |", "|---|---|---|---|"]
    for key, prop in schema.get("properties", {}).items():
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
        star = "*" if key in required else ""
        lines.append(f"| `{key}`{star} | {_cell_text(_type_of(prop))} | {_cell_text(default)} | "
                     f"{_cell_text(prop.get('description', ''))} |")
    return lines


def panel_reference() -> str:
    """Each registered panel type's keys, from its model (* required)."""
    from bridge import panels

    out = []
    for name, model in panels.panel_types().items():
        out += [f"## `{name}`", "", _cell_text((model.__doc__ or "").strip()), ""]
        out += _properties_table(model.model_json_schema()) + [""]
    return "\n".join(out)


def schema_reference(which: str) -> str:
    """The committed JSON Schema file, one table per object it defines."""
    schema = json.loads((ROOT / f"bridge-{which}.schema.json").read_text())
    out = [f"Top level of a {which} file:", ""] + _properties_table(schema) + [""]
    for name, definition in sorted(schema.get("$defs", {}).items()):
        if "properties" not in definition:
            continue
        out += [f"### {name}", "", _cell_text(definition.get("description", "")), ""] + _properties_table(definition) + [""]
    return "\n".join(out)


# ---- the package map -------------------------------------------------------------------------

def _summary(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    except SyntaxError:
        return ""
    first = " ".join(doc.split("\n\n", 1)[0].split())
    return _cell_text(first)


def modules_table() -> str:
    """Every package and module under bridge/, with the first paragraph of its docstring."""
    import bridge

    lines = ["| module | why it is there |", "|---|---|"]
    base = Path(bridge.__file__).parent
    for info in sorted(pkgutil.walk_packages([str(base)], "bridge."), key=lambda i: i.name):
        rel = info.name.replace(".", "/")
        path = ROOT / (rel + "/__init__.py" if info.ispkg else rel + ".py")
        if not path.exists():
            continue
        shown = f"`{rel}/`" if info.ispkg else f"`{rel}.py`"
        lines.append(f"| {shown} | {_summary(path)} |")
    return "\n".join(lines) + "\n"


def table(name: str) -> str:
    tables = {
        "panels": lambda: __import__("bridge.panels", fromlist=["markdown_table"]).markdown_table(),
        "panel_keys": panel_reference,
        "limits": limits_table,
        "cli": cli_reference,
        "modules": modules_table,
        "scene_schema": lambda: schema_reference("scene"),
        "theme_schema": lambda: schema_reference("theme"),
        "benchmarks": lambda: benchmarks_page("#"),
    }
    return tables[name]().rstrip("\n")


TABLES = ("panels", "panel_keys", "limits", "cli", "modules", "scene_schema", "theme_schema", "benchmarks")

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:] != ["bench"]:
        sys.exit("usage: python docs/hooks.py bench > bench/README.md")
    print(benchmarks_page("#"))
