"""Make `backdrop_clip.mp4`: a short, self-made 360° test clip for video backdrops.

An equirectangular (2:1) animation: coloured bands of yaw drifting round the room, a
latitude/longitude grid, a bright horizon line with a slow swell, a pale sky cap and a dark
floor.  Four seconds, 2048 × 1024, 15 fps, H.264 in MP4.  Public domain (CC0): made here,
from nothing but this script.  Run it again to remake the clip:

    .venv/bin/python data/sample/make_clip.py
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 2048, 1024, 15, 4
OUT = Path(__file__).with_name("backdrop_clip.mp4")
COLOURS = np.array([(200, 60, 50), (230, 170, 40), (60, 170, 80), (40, 120, 200), (120, 70, 180), (200, 80, 140)], float)


def frame(t: float) -> np.ndarray:
    """The picture at `t` seconds, RGB uint8."""
    yaw = (np.arange(WIDTH) + 0.5) / WIDTH * 360 - 180  # degrees, -180 at the left
    pitch = 90 - (np.arange(HEIGHT) + 0.5) / HEIGHT * 180  # degrees, up at the top
    band = ((yaw + 180 + 20 * t) % 360) / 60  # six bands, turning 20° a second
    i = np.floor(band).astype(int) % 6
    mix = (band - np.floor(band))[:, None]
    row = COLOURS[i] * (1 - mix ** 4) + COLOURS[(i + 1) % 6] * mix ** 4  # soft edges
    image = np.repeat(row[None], HEIGHT, 0)
    shade = np.clip(0.55 + 0.45 * np.cos(np.radians(pitch)), 0, 1)[:, None, None]  # darker up and down
    image *= shade
    sky = np.clip((pitch - 45) / 30, 0, 1)[:, None, None]
    image = image * (1 - sky) + np.array([235, 240, 250]) * sky
    floor = np.clip((-pitch - 30) / 40, 0, 1)[:, None, None]
    image = image * (1 - floor) + np.array([25, 25, 30]) * floor
    grid_y = (np.abs((pitch[:, None] + 0 * yaw) % 15) < 0.5)
    grid_x = (np.abs((yaw[None, :] + 10 * t + 0 * pitch[:, None]) % 30) < 0.5)
    image[grid_y | grid_x] *= 0.6
    swell = 1.5 * np.sin(np.radians(yaw) * 3 + t * 2)  # the horizon rises and falls a little
    horizon = np.abs(pitch[:, None] - swell[None, :]) < 0.8
    image[horizon] = (255, 255, 255)
    return np.clip(image, 0, 255).astype(np.uint8)


def main() -> None:
    with av.open(str(OUT), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "20", "preset": "slow"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for n in range(FPS * SECONDS):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame(n / FPS), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
