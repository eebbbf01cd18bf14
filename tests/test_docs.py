"""The documentation builds, links nowhere broken, and every example in it works on what ships."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def blocks(kind: str):
    """(page, text) of every fenced block of this kind in the docs and the README."""
    for page in [ROOT / "README.md", *pages()]:
        for lang, body in FENCE.findall(page.read_text()):
            if lang == kind:
                yield page, body


def test_the_site_builds_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    assert mkdocs, "mkdocs is not installed: pip install -e '.[docs]'"
    run = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    built = list((tmp_path / "site").rglob("*.html"))
    assert len(built) >= 9
    for page in built:  # outside code, where the developer's guide shows the syntax itself
        prose = re.sub(r"<code>.*?</code>", "", page.read_text(), flags=re.S)
        assert not re.search(r"\{\{\s*(bench|limits|table)\.", prose), f"{page}: a placeholder was left"


def test_the_readme_links_resolve():
    readme = (ROOT / "README.md").read_text()
    links = [link for link in LINK.findall(readme) if "://" not in link]
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        assert (ROOT / link.split("#")[0]).exists(), f"README links to {link}, which is not in the repository"


def test_every_role_has_its_page():
    for name in ("analyst.md", "operator.md", "presenter.md", "developer.md", "reference/cli.md",
                 "reference/limits.md", "reference/panels.md", "reference/schema.md", "benchmarks.md"):
        assert (DOCS / name).exists(), name
        assert f"docs/{name}" in (ROOT / "README.md").read_text() or name == "benchmarks.md"


def test_the_readme_keeps_the_two_set_up_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/setup.sh && .venv/bin/bridge render scenes/finding-dave.yaml\n" in readme
    assert "bash scripts/setup.sh && .venv/bin/python -m pytest -q\n" in readme
    assert "bash scripts/setup.sh && .venv/bin/python -m pytest -q" in (ROOT / ".ci" / "run").read_text()


def test_no_page_names_a_file_that_is_not_there_or_a_writers_machine():
    for page in [ROOT / "README.md", ROOT / "bench" / "README.md", *pages()]:
        text = page.read_text()
        for stale in ("NOTES", "../shared", "on this machine", "2-core machine", "this 2-core"):
            assert stale not in text, f"{page.relative_to(ROOT)} mentions {stale!r}"


def test_every_placeholder_names_something():
    expand = hooks().expand
    for page in pages():
        expand(page.read_text(), str(page))  # raises on a placeholder that names nothing


def test_bench_readme_is_generated_from_the_results():
    expected = hooks().benchmarks_page("#") + "\n"
    assert (ROOT / "bench" / "README.md").read_text() == expected, \
        "run: .venv/bin/python docs/hooks.py bench > bench/README.md"


def yaml_example(body: str):
    """A yaml block as data; a line holding only "…" (the rest left out) is skipped."""
    return yaml.safe_load("\n".join(line for line in body.splitlines() if line.strip() != "…"))


def test_every_yaml_example_parses():
    for _page, body in blocks("yaml"):
        yaml_example(body)  # a fragment must still be YAML


def test_every_complete_scene_example_validates(tmp_path):
    """A yaml block with datasets, panels and steps is a whole scene: `bridge validate` it in a
    scenes/ folder beside a copy of data/sample, as the examples' relative paths expect."""
    shutil.copytree(ROOT / "data" / "sample", tmp_path / "data" / "sample")
    (tmp_path / "scenes").mkdir()
    scenes = []
    for i, (page, body) in enumerate(blocks("yaml")):
        doc = yaml_example(body)
        if isinstance(doc, dict) and {"datasets", "panels", "steps"} <= doc.keys():
            path = tmp_path / "scenes" / f"example-{i}.yaml"
            path.write_text(body)
            scenes.append((page, path))
    assert len(scenes) >= 2
    for page, path in scenes:
        run = subprocess.run([sys.executable, "-m", "bridge", "validate", str(path.relative_to(tmp_path))],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"{page.relative_to(ROOT)}: {path.name}\n{path.read_text()}\n{run.stdout}{run.stderr}"


def test_every_console_example_runs():
    """Fenced `console` blocks are examples to run: each `$ ` line from the repository's root."""
    commands = [line[2:] for _, body in blocks("console") for line in body.splitlines() if line.startswith("$ ")]
    assert commands
    for command in commands:
        argv = shlex.split(command)
        if argv[0] in ("bridge", ".venv/bin/bridge"):
            argv = [sys.executable, "-m", "bridge", *argv[1:]]
        run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"{command}\n{run.stdout}{run.stderr}"


def test_the_readme_quotes_the_recorded_test_times():
    """The README's two test times are the ones bench/tests.py last recorded."""
    import json
    import re

    readme = " ".join((ROOT / "README.md").read_text().split())
    recorded = json.loads((ROOT / "bench" / "results" / "tests.json").read_text())
    found = re.search(r"On (\d+) cores the whole suite \((\d+) tests\) took (\d+) s; its fast part, .*?\((\d+) tests, "
                      r".*?\), took (\d+) s", readme)
    assert found, "the README should say how long the whole suite and its fast part take (see bench/tests.py)"
    cores, full_n, full_s, fast_n, fast_s = map(int, found.groups())
    assert (cores, full_n, fast_n) == (recorded["cores"], recorded["full_tests"], recorded["fast_tests"])
    assert (full_s, fast_s) == (round(recorded["full_s"]), round(recorded["fast_s"])), \
        "run .venv/bin/python bench/tests.py and copy its figures into the README"
