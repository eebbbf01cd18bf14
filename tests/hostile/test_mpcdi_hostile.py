"""Hostile calibration files given to `bridge room import`: archives that would write outside the
folder, XML entity bombs, zip bombs and PFM headers that promise more than they hold.  Each runs
the real command, bounded (30 s, 2 GB): exit 2, a located message, no traceback, nothing written."""

import struct
import zipfile
from pathlib import Path

import pytest

from tests.hostile.harness import accepted, refused, run_bridge

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess

REGION = '<region id="a" xResolution="{w}" yResolution="{h}" x="0" y="0" xsize="1" ysize="1"/>'


def xml(w: int = 8, h: int = 4, head: str = "") -> str:
    return (f'<?xml version="1.0"?>\n{head}<MPCDI profile="2d" version="2.0"><display><buffer id="b">'
            f'{REGION.format(w=w, h=h)}</buffer></display><files><fileset region="a"><geometryWarpFile><path>a.pfm</path>'
            f"</geometryWarpFile></fileset></files></MPCDI>\n")


def pfm(w: int, h: int, value=(0.5, 0.5, 0.0)) -> bytes:
    return f"PF\n{w} {h}\n-1.0\n".encode() + struct.pack("<3f", *value) * (w * h)


def archive(folder: Path, files: dict[str, bytes]) -> Path:
    path = folder / "hall.mpcdi"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


def import_into(tmp_path: Path, files: dict[str, bytes]):
    out = tmp_path / "out"
    out.mkdir()
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    outcome = run_bridge("room", "import", archive(tmp_path, files), "--out", out / "hall.yaml", cwd=tmp_path)
    assert list(out.iterdir()) == [], "something was written"
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before
    return outcome


def test_zip_slip_is_refused_whole(tmp_path):
    refused(import_into(tmp_path, {"mpcdi.xml": xml().encode(), "a.pfm": pfm(8, 4), "../../owned.txt": b"x"}),
            r"hall\.mpcdi: holds a file named '\.\./\.\./owned\.txt', which climbs out of its folder")


def test_billion_laughs_is_refused(tmp_path):
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(9))
    head = f"<!DOCTYPE MPCDI [{entities}]>\n"
    refused(import_into(tmp_path, {"mpcdi.xml": xml(head=head).replace("<path>a.pfm", "<path>&j;a.pfm").encode(),
                                   "a.pfm": pfm(8, 4)}),
            r"hall\.mpcdi: mpcdi\.xml:2: declares a DOCTYPE")


def test_a_pfm_header_promising_more_than_it_holds(tmp_path):
    refused(import_into(tmp_path, {"mpcdi.xml": xml(4000, 3000).encode(), "a.pfm": b"PF\n4000 3000\n-1.0\n" + bytes(64)}),
            r"hall\.mpcdi: a\.pfm: fileset of region 'a' geometryWarpFile: holds 64 bytes of values; a 4000×3000 PFM")


def test_a_zip_bomb_of_a_warp_is_bounded(tmp_path):
    """A 4000×3000 warp grid of zeros: 144 MB inflated from 140 KB; read, found empty, refused."""
    refused(import_into(tmp_path, {"mpcdi.xml": xml(4000, 3000).encode(), "a.pfm": pfm(4000, 3000, (0, 0, 0))}),
            r"hall\.mpcdi: a\.pfm: fileset of region 'a' geometryWarpFile: sets no point")


def test_a_room_too_large_is_refused_before_its_maps_are_read(tmp_path):
    regions = "".join(REGION.replace('id="a"', f'id="r{k}"').format(w=8192, h=8192) for k in range(6))
    filesets = "".join(f'<fileset region="r{k}"><geometryWarpFile><path>a.pfm</path></geometryWarpFile></fileset>' for k in range(6))
    text = xml().replace(REGION.format(w=8, h=4), regions)
    text = text[:text.index("<files>") + 7] + filesets + text[text.index("</files>"):]
    refused(import_into(tmp_path, {"mpcdi.xml": text.encode(), "a.pfm": pfm(8, 4)}),
            r"hall\.mpcdi: 6 region\(s\) of 402\.7 million pixels in all would need about .* a render may hold at most 3\.0 GB")


def test_export_then_import_through_the_command(tmp_path):
    accepted(run_bridge("room", "export", "rehearsal", "--out", tmp_path / "r.mpcdi", "--profile", "2d", cwd=tmp_path))
    outcome = accepted(run_bridge("room", "import", tmp_path / "r.mpcdi", "--out", tmp_path / "r.yaml", cwd=tmp_path))
    assert "maps: none: the room in the file matches its maps" in outcome.stdout
    accepted(run_bridge("validate", Path(__file__).parents[2] / "scenes" / "cold-homes-and-renting.yaml", "--room", tmp_path / "r.yaml"))
