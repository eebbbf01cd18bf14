"""Make the sample's derived files from its real inputs (run from the repository root).

- lsoa21_centroids_shropshire.csv: each LSOA's centroid (British National Grid metres,
  computed from the ONS boundaries) with its Census 2021 residents aged 65 and over, for
  point and heat-map layers.  Centroids of areas, not homes: nobody is located by them.
- indoors_shropshire.tif: a GeoTIFF raster (100 m cells, EPSG:27700) of the IMD 2025
  'indoors' sub-domain score (housing in poor condition, homes without central heating):
  a stand-in for the thermal survey image a council would lay under its maps.
- room-plan.png: a plan of the default room's five projectors, for an image panel.
- fuel_poverty_2022_england.csv: England's households and households in fuel poverty, one row:
  the sums over every English LSOA of DESNZ's sub-regional table (the file named by
  BRIDGE_SHARED_DATA's fuel_poverty/fuel_poverty_lsoa_2022_england.csv; skipped without it),
  so a briefing can say "compared with England" from the same statistics.

    .venv/bin/python data/sample/derive.py
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402
from PIL.TiffImagePlugin import ImageFileDirectory_v2  # noqa: E402

from bridge.data.coordinates import project_to_bng  # noqa: E402
from bridge.data.formats import read_geojson  # noqa: E402
from bridge.data.tables import shapely_areas  # noqa: E402
from bridge.room.load import load_room  # noqa: E402

HERE = Path(__file__).resolve().parent


def areas():
    frame, geometry, _ = read_geojson(HERE / "shropshire_lsoa21.geojson")
    return frame, project_to_bng(geometry, "EPSG:4326", None, ())


def centroids(frame, geometry):
    people = pd.read_csv(HERE / "census21_age_shropshire.csv").set_index("lsoa21_code")
    rows = []
    for code, shape in zip(frame["lsoa21_code"], shapely_areas(geometry)):
        c = shape.centroid
        rows.append({"lsoa21_code": code, "easting": round(c.x, 1), "northing": round(c.y, 1),
                     "aged_65_plus": int(people.loc[code, "Aged 65 years and over"])})
    pd.DataFrame(rows).to_csv(HERE / "lsoa21_centroids_shropshire.csv", index=False)


def raster(frame, geometry, cell=100.0):
    imd = pd.read_csv(HERE / "imd2025_shropshire_lsoa21_subdomains.csv").set_index("lsoa21_code")
    shapes = shapely_areas(geometry)
    allxy = np.concatenate([r for a in geometry for p in a for r in p])
    west, south = np.floor(allxy.min(axis=0) / cell) * cell
    east, north = np.ceil(allxy.max(axis=0) / cell) * cell
    nx, ny = int((east - west) / cell), int((north - south) / cell)
    xs = west + (np.arange(nx) + 0.5) * cell
    ys = north - (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    tree = shapely.STRtree(shapes)
    pts = shapely.points(gx.ravel(), gy.ravel())
    pi, ai = tree.query(pts, predicate="within")
    score = np.full(gx.size, np.nan)
    values = imd.loc[frame["lsoa21_code"], "indoors_score"].to_numpy()
    score[pi] = values[ai]
    lo, hi = np.nanpercentile(score, [2, 98])
    t = np.clip((score - lo) / (hi - lo), 0, 1)
    from matplotlib import colormaps

    rgb = (colormaps["inferno"](t)[:, :3] * 255).astype(np.uint8)
    rgb[np.isnan(score)] = 0
    image = Image.fromarray(rgb.reshape(ny, nx, 3))
    tags = ImageFileDirectory_v2()
    tags[33550] = (cell, cell, 0.0)  # ModelPixelScale
    tags.tagtype[33550] = 12
    tags[33922] = (0.0, 0.0, 0.0, float(west), float(north), 0.0)  # ModelTiepoint
    tags.tagtype[33922] = 12
    image.save(HERE / "indoors_shropshire.tif", tiffinfo=tags, compression="tiff_deflate")


def room_plan():
    room = load_room("bridge")
    fig = Figure(figsize=(6, 6), dpi=120, facecolor="#111827")
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.9), projection="polar")
    ax.set_facecolor("#111827")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    colours = ["#ff6347", "#3cb371", "#4169e1", "#eec900", "#ba55d3"]
    for p, colour in zip(room.projectors, colours):
        theta = np.radians(np.linspace(p.yaw_min, p.yaw_max, 60))
        ax.fill_between(theta, 0.8 + 0.04 * p.number, 0.95, color=colour, alpha=0.7)
        ax.text(np.radians(p.yaw_centre), 0.55, f"{p.number}\n{p.name}", color=colour, ha="center", va="center", fontsize=11)
    ax.plot(0, 0, "o", color="white")
    ax.text(0, 0.12, "you", color="white", ha="center")
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.tick_params(colors="#94a3b8")
    ax.spines["polar"].set_color("#334155")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).print_png(HERE / "room-plan.png")


def england_fuel_poverty():
    shared = os.environ.get("BRIDGE_SHARED_DATA")
    source = Path(shared) / "fuel_poverty" / "fuel_poverty_lsoa_2022_england.csv" if shared else None
    if source is None or not source.exists():
        print("BRIDGE_SHARED_DATA has no fuel_poverty/fuel_poverty_lsoa_2022_england.csv: England's row not remade")
        return
    lsoas = pd.read_csv(source)
    columns = ["Number of households", "Number of households in fuel poverty"]
    row = {"area_code": "E92000001", "area_name": "England", **{c: int(lsoas[c].sum()) for c in columns}}
    pd.DataFrame([row]).to_csv(HERE / "fuel_poverty_2022_england.csv", index=False)


if __name__ == "__main__":
    england_fuel_poverty()
    frame, geometry = areas()
    centroids(frame, geometry)
    raster(frame, geometry)
    room_plan()
    print("wrote lsoa21_centroids_shropshire.csv, indoors_shropshire.tif, room-plan.png")
