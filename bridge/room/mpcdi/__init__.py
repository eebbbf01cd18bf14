"""VESA MPCDI v2 calibration archives: import one as a room profile, export a room as one.

The package: `files` (the archive and its XML read safely), `mapfiles` (PFM warps and PNG blend
maps), `calibration` (what the XML says, and a region's warp as directions), `frustum` (the 3d
profile's frustum both ways), `importer` and `exporter`; bridge/commands/room.py is the
`bridge room` command.  This file imports none of them, so importing one runs no other.

An MPCDI file is a zip holding `mpcdi.xml` (display → buffer → regions, one region a
projector, with its resolution and its place in the buffer; in the 3d profile a frustum) and,
per region, a fileset: a geometry warp (PFM: three float32 channels per grid point), an alpha
(blend) map and a beta (black level) map (PNG).  Alignment tools write it; media servers and
render engines read it.  The profiles Bridge reads and writes, and what their warp holds:

- `3d`: per region a frustum (yaw, pitch, roll; left/right/up/down angles, degrees) seen from
  the viewer's eye; the warp gives, for each projector pixel, the normalized (u, v) it shows of
  the frustum's picture ((0, 0) its bottom-left corner).  No warp file: the pixel shows the
  frustum's picture as is.
- `2d`: the warp gives each pixel's normalized (u, v) in the shared canvas, which for Bridge
  is the 360° equirectangular frame ((0, 0): yaw -180°, pitch -90°; (1, 1): yaw 180°, +90°).
- `a3`: the warp gives each pixel's point on the screen in 3D, the viewer's eye at the origin
  (x right, y up, z towards the viewer, unless the region's coordinateFrame says otherwise).
- `sl` (shader lamp) holds projector poses for a 3D model of the surface that the file does not
  carry: it cannot say where a pixel lands, and is refused with that reason.

The warp is read as the VESA reference library (mpcdiPfmIO.cpp) and Unreal nDisplay read it:
PFM rows bottom to top; (u, v) with v = 0 at the bottom, "the same as OpenGL UV mapping" (VESA
MPCDI v2.0 §3.6.2); a grid coarser than the projector in the standard's fill layout, sample i of
n at the centre of cell i (§3.6); the third value of a 2d or 3d warp an optional error estimate
(NaN when not computed), ignored.  Files written with v = 0 at the top (Bridge's exporter before
it wrote <vOrigin> in its extension, some tools) are read that way when asked (`--v-origin
top`), or when their BridgeRoom extension shows an older Bridge wrote them.

Bridge's own light model is `w · (b + (1 − b) · min(1, gain · in^γ))` in linear light (w the
blend weight, b the black level; bridge/room/compositor.py).  MPCDI's is `in · α · (1 − β) + β`
(nDisplay's reading), α stored with `gammaEmbedded` (the map holds α^(1/γ)).  So β = w·b and
α = gain·w·(1 − b)/(1 − w·b); importing inverts it (gain 1), and takes the projector's gamma
from gammaEmbedded.  A gain over 1 cannot be written (α would exceed 1) and is refused.

The file is untrusted input.  Member names are checked before anything is read (no `..`, no
absolute paths: such an archive is refused whole); counts and inflated sizes are bounded
(MAX_MPCDI_MEMBERS, MAX_MPCDI_BYTES, MAX_MPCDI_XML_BYTES); the XML may not declare a DOCTYPE or
entities; PFM and PNG headers are checked against the region before their data is read, and
the room's memory against MAX_RENDER_BYTES before any map is.  Nothing is ever extracted by a
member's name: the importer writes the room's own files, under names it chooses, into a
staging folder beside the output and moves them into place only when the whole room loads.
Every refusal names the archive, the member (and XML line) and the element.

Export computes each projector's maps from the compositor's own geometry (bridge/room/lookup.py:
`pixel_directions`, `projector_weights`), writes them as import reads them (one warp point a
pixel: geometry level 2; a <color> tag per region; a 3d frustum turned as the projector's pixels
are), and adds an MPCDI extension holding the room profile it came from.  On
import that profile is used only where the maps still agree with it (to 0.0005° and 5e-5 of
full light): then the projector is written as yaw/span/black level, not as maps, so an
unchanged round trip gives back the same room; where an alignment tool changed the maps,
the maps win.
"""
