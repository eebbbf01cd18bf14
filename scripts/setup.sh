#!/usr/bin/env bash
# Set Bridge up on this machine: system OpenGL libraries for offscreen VTK (Debian, as root),
# a virtual environment in .venv, and the package with its test tools.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Mesa's EGL and OSMesa let VTK render with no display and no GPU; xvfb/xdotool drive real
# windows in tests; Chromium runs the web pages' tests (Playwright drives it); Open MPI runs a
# cluster room (mpirun, and the library mpi4py loads); Pango lays out the PDF handout's text for
# WeasyPrint; PostgreSQL with PostGIS runs the database tests' throwaway server.  VTK, mpi4py and WeasyPrint load these at run time, so pip cannot bring them.
packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglx-mesa0 libopengl0 libosmesa6 fonts-dejavu-core xvfb xdotool chromium openmpi-bin libopenmpi-dev
          libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-15 postgresql-15-postgis-3)
if ! command -v python3 >/dev/null || ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    packages+=(python3 python3-venv python3-pip)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "Bridge needs these Debian packages: ${missing[*]}" >&2
        echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip "setuptools>=77"  # tests build a wheel offline
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
echo "Bridge is set up: .venv/bin/bridge --help"
