"""Bridge as a user installs it: a non-editable wheel in a fresh virtualenv carries its shaders
(the top-level shaders/ folder, installed as bridge.shaders), rooms and web files, and the
shader test passes from there; pyproject lists every package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_every_package_is_listed_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    listed = set(re.search(r'^packages = \[(.*?)\]', text, re.M | re.S).group(1).replace('"', "").replace(" ", "").replace("\n", "").split(","))
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bridge").rglob("__init__.py")}
    assert found | {"bridge.shaders"} == listed, found ^ listed


@pytest.mark.slow
def test_a_non_editable_install_runs_the_shader_test(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies come from this environment's site-packages (a path, not a site dir: its
    # .pth files, and so the editable checkout, are not seen); Bridge itself from the wheel.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    tests = tmp_path / "run" / "tests"
    tests.mkdir(parents=True)
    for name in ("conftest.py", "test_compositor.py", "test_gpu.py"):
        shutil.copy(ROOT / "tests" / name, tests / name)
    alone = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a checkout on PYTHONPATH would shadow the wheel
    where = subprocess.run([str(python), "-c", "import bridge, bridge.room.gpu; print(bridge.__file__); print(len(bridge.room.gpu.shader_source()))"],
                           cwd=tmp_path / "run", check=True, capture_output=True, text=True, env=alone).stdout.split()
    assert where[0].startswith(str(site)) and int(where[1]) > 200  # the installed package, with its shader
    for packaged in ("rooms/bridge.yaml", "web/static/vendor/pannellum/pannellum.js", "shaders/compositor.frag",
                     "export/static/viewer.js"):
        assert (site / "bridge" / packaged).is_file(), packaged
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_gpu.py"],
                            cwd=tmp_path / "run", capture_output=True, text=True, env=alone)
    assert result.returncode == 0 and " passed" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
