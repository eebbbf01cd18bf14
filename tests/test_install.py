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
    helpers = [p.name for p in (ROOT / "tests").glob("*.py") if not p.name.startswith("test_")]  # conftest and what it imports
    for name in (*helpers, "test_compositor.py", "test_gpu.py"):
        shutil.copy(ROOT / "tests" / name, tests / name)
    alone = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a checkout on PYTHONPATH would shadow the wheel
    where = subprocess.run([str(python), "-c", "import bridge, bridge.room.gpu, bridge.scaffold.write, bridge.optional; "
                            "print(bridge.__file__); print(len(bridge.room.gpu.shader_source())); print(bridge.scaffold.write.__file__)"],
                           cwd=tmp_path / "run", check=True, capture_output=True, text=True, env=alone).stdout.split()
    assert where[0].startswith(str(site)) and int(where[1]) > 200  # the installed package, with its shader
    assert where[2].startswith(str(site))  # `bridge new`'s package is in the wheel
    for packaged in ("rooms/bridge.yaml", "web/static/vendor/pannellum/pannellum.js", "shaders/compositor.frag",
                     "export/static/viewer.js"):
        assert (site / "bridge" / packaged).is_file(), packaged
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_gpu.py"],
                            cwd=tmp_path / "run", capture_output=True, text=True, env=alone)
    assert result.returncode == 0 and " passed" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(0o755)


def _setup_run(tmp_path: Path, uid: int, installed: set[str], failing: str = "no such pip call") -> tuple[subprocess.CompletedProcess, str, str]:
    """scripts/setup.sh run in a copy of the project with `id`, `dpkg-query`, `apt-get` and the
    venv's python stubbed: (result, the apt-get calls, the pip calls); nothing is installed."""
    project, bin_ = tmp_path / "project", tmp_path / "bin"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", project / "scripts" / "setup.sh")
    (project / ".venv" / "bin").mkdir(parents=True)
    bin_.mkdir()
    log = tmp_path / "log"
    _stub(bin_, "id", f"echo {uid}")
    _stub(bin_, "dpkg-query", "case \" " + " ".join(sorted(installed)) + " \" in *\" ${@: -1} \"*) echo -n 'install ok installed';; *) exit 1;; esac")
    _stub(bin_, "apt-get", f"echo \"apt-get $*\" >> {log}")
    _stub(project / ".venv" / "bin", "python", f"echo \"pip $*\" >> {log}; case \"$*\" in *'{failing}'*) exit 1;; esac")
    env = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(project / "scripts" / "setup.sh")], capture_output=True, text=True, env=env, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return (result, "\n".join(c for c in calls if c.startswith("apt-get")), "\n".join(c for c in calls if c.startswith("pip")))


def test_setup_without_root_installs_what_pip_can_and_lists_the_rest(tmp_path):
    result, apt, pip = _setup_run(tmp_path, 1000, {"libegl1", "fonts-dejavu-core"})
    assert result.returncode == 0, result.stderr
    assert apt == ""  # never tries what needs root
    assert "only the room's PC (show windows, a cluster of PCs): xvfb xdotool openmpi-bin libopenmpi-dev" in result.stdout
    assert "only the tests (browser pages, the database tests): chromium postgresql-15" in result.stdout
    assert "sudo apt-get install -y libegl-mesa0" in result.stdout and " libegl1 " not in result.stdout
    assert '-e .[show,pdf,powerbi,db,docs]' in pip and "[test]" not in pip  # mpi4py cannot build without Open MPI


def test_setup_without_root_falls_back_to_the_core_when_an_extra_cannot_install(tmp_path):
    result, _, pip = _setup_run(tmp_path, 1000, set(), failing="[show")
    assert result.returncode == 0 and "installing Bridge for authoring alone" in result.stderr
    assert pip.splitlines()[-1].endswith("-e .") and "Bridge is set up (extras: none)" in result.stdout
    root, _, _ = _setup_run(tmp_path / "root", 0, set(), failing="[test]")
    assert root.returncode == 1  # as root nothing is left out quietly


def test_setup_as_root_installs_every_system_package_and_every_extra(tmp_path):
    result, apt, pip = _setup_run(tmp_path, 0, {"libegl1"})
    assert result.returncode == 0, result.stderr
    assert "apt-get install -y -qq --no-install-recommends libegl-mesa0" in apt and "chromium openmpi-bin" not in apt
    assert all(p in apt for p in ("chromium", "openmpi-bin", "xvfb", "postgresql-15-postgis-3", "libpango-1.0-0"))
    assert "-e .[test]" in pip


def test_setup_with_everything_there_installs_the_test_extra(tmp_path):
    every = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", " ".join(
        re.findall(r"^\w+=\((.*?)\)", (ROOT / "scripts" / "setup.sh").read_text(), re.M))))
    result, apt, pip = _setup_run(tmp_path, 1000, every)
    assert result.returncode == 0 and apt == "" and "-e .[test]" in pip, result.stdout + result.stderr


def test_the_test_extra_pulls_every_other_extra():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pulled = set(re.search(r"bridge-room\[([^\]]+)\]", " ".join(extras["test"])).group(1).split(","))
    assert pulled | {"test", "video"} == set(extras), set(extras) - pulled  # video comes through show
    assert extras["show"] == ["bridge-room[video]"]


def test_the_core_leaves_the_room_and_the_rarer_sources_to_extras():
    import tomllib

    core = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    for extra in ("av", "mpi4py", "weasyprint", "pbixray", "psycopg", "duckdb", "playwright"):
        assert not re.search(rf"\b{extra}\b", core), extra
    for authoring in ("pyvista", "starlette", "uvicorn", "websockets", "matplotlib"):
        assert authoring in core


_WITHOUT_EXTRAS = """
import sys
for name in ("av", "mpi4py", "weasyprint", "pbixray", "psycopg", "duckdb", "playwright"):
    sys.modules[name] = None  # as if the extra were not installed: importing it raises ImportError
from bridge.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_validate_without_the_extras_gives_the_normal_result_and_names_the_video_extra():
    def validate(scene: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", _WITHOUT_EXTRAS, "validate", scene], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    plain = validate("scenes/finding-dave.yaml")
    assert plain.returncode == 0, plain.stderr
    assert "ok scenes/finding-dave.yaml: 'Finding Dave" in plain.stdout and "error" not in plain.stderr
    video = validate("scenes/town-in-motion.yaml")
    assert video.returncode == 2 and "Traceback" not in video.stderr
    assert "backdrop.video: 360° video backdrops need the Python package 'av', which is not installed" in video.stderr
    assert 'pip install "bridge-room[video]"' in video.stderr


def test_need_names_the_extra_and_what_it_is_for(monkeypatch):
    from bridge.errors import BridgeError
    from bridge.optional import need

    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(BridgeError, match=r"--cluster rooms need the Python package 'mpi4py', which is not installed: "
                                          r"install the 'cluster' extra with pip install \"bridge-room\[cluster\]\"; it also needs Open MPI"):
        need("mpi4py", extra="cluster", for_what="--cluster rooms")
    assert need("json", extra="video", for_what="nothing").dumps(1) == "1"


def test_need_tells_a_missing_package_from_one_that_cannot_load(monkeypatch, tmp_path):
    from bridge.errors import BridgeError
    from bridge.optional import need

    (tmp_path / "brokenlib.py").write_text("raise ImportError('libavcodec.so.61: cannot open shared object file')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BridgeError, match=r"360° video backdrops: 'brokenlib' is installed but cannot load \(libavcodec.so.61: "
                                          r"cannot open shared object file\); reinstall it with pip install \"bridge-room\[video\]\""):
        need("brokenlib", extra="video", for_what="360° video backdrops")
