#!/usr/bin/env bash
# Set Bridge up on this machine: system libraries (Debian, as root), a virtual environment in
# .venv, and the package with its test tools.  Safe to run again.
#
# As root on Debian it installs everything: the system packages below, then Bridge with every
# extra (".[test]").  Without root (an analyst's laptop) it installs what pip alone can, which is
# enough to author briefings (validate, render, preview, export), and lists what only the room's
# PC and the tests need, with the apt-get line to run with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

# Mesa's EGL and OSMesa let VTK render with no display and no GPU; xvfb/xdotool drive real
# windows in tests; Chromium runs the web pages' tests (Playwright drives it); Open MPI runs a
# cluster room (mpirun, and the library mpi4py loads); Pango lays out the PDF handout's text for
# WeasyPrint; PostgreSQL with PostGIS runs the database tests' throwaway server.  VTK, mpi4py and WeasyPrint load these at run time, so pip cannot bring them.
render=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglx-mesa0 libopengl0 libosmesa6 fonts-dejavu-core)
pdf=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
room=(xvfb xdotool openmpi-bin libopenmpi-dev)
tests=(chromium postgresql-15 postgresql-15-postgis-3)
packages=("${render[@]}" "${pdf[@]}" "${room[@]}" "${tests[@]}")
python=()
if ! command -v python3 >/dev/null || ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    python=(python3 python3-venv python3-pip)
    packages+=("${python[@]}")
fi
absent() {  # the named Debian packages that are not installed
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$p"
    done
}
missing=($(absent "${packages[@]}"))
extras="test"
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        echo "installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        if ((${#python[@]})) && [ -n "$(absent "${python[@]}")" ]; then
            echo "Bridge needs Python 3 with venv and pip: sudo apt-get install -y ${python[*]}" >&2
            exit 1
        fi
        echo "Not root: installing what pip alone can (enough to validate, render, preview and export)."
        list() {  # a group's missing packages, if any, with what they are for
            local gone; gone=$(absent "${@:2}")
            [ -z "$gone" ] || echo "  $1: $gone"
        }
        echo "These Debian packages are missing; pip cannot bring them:"
        list "rendering (VTK offscreen; most desktops have them)" "${render[@]}"
        list "the PDF handout (export --pdf)" "${pdf[@]}"
        list "only the room's PC (show windows, a cluster of PCs)" "${room[@]}"
        list "only the tests (browser pages, the database tests)" "${tests[@]}"
        echo "To install them (then run this script again for the tests' extras): sudo apt-get install -y ${missing[*]}"
        extras="show,pdf,powerbi,db,docs"  # no system package needed to install these
        if [ -z "$(absent libopenmpi-dev)" ]; then extras+=",cluster"; fi  # mpi4py builds against Open MPI
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip "setuptools>=77"  # tests build a wheel offline
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"; then
    [ "$extras" != "test" ] || exit 1  # as root, everything must install
    echo "Some extras could not be installed here (above); installing Bridge for authoring alone." >&2
    extras="none"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
echo "Bridge is set up (extras: $extras): .venv/bin/bridge --help"
