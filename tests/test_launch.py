"""End to end under a virtual X server: `bridge launch --windowed`, keys from xdotool, screenshots.

The test starts its own Xvfb on a free display (bridge/show/xvfb.py), runs the show in
a subprocess, sends keys to its window with xdotool and grabs the screen with Pillow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageGrab

from bridge.show.xvfb import virtual_display
from tests.conftest import write_scene

pytestmark = pytest.mark.slow  # the show runs in a subprocess on its own Xvfb

FIT = (960, 540)

SCENE = """
title: Launch test
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
panels:
  - {id: hello, type: text, style: title, text: Hello room, yaw: 0, pitch: 0, width: 60, height: 20}
  - {id: count, type: kpi, value: sum(people.total), label: residents, yaw: 0, pitch: 0, width: 40, height: 20}
  - {id: side, type: text, text: Over here, yaw: 120, pitch: 0, width: 60, height: 20}
steps:
  - {title: Hello, show: [hello], notes: Say hello}
  - {title: Count, show: [count, side]}
  - {title: Side, show: [side]}
"""


@pytest.fixture(scope="module")
def display():
    """A fresh Xvfb on a display number it picks itself; DISPLAY string."""
    if not shutil.which("Xvfb") or not shutil.which("xdotool"):
        pytest.fail("Xvfb and xdotool are needed (scripts/setup.sh installs them)")
    with virtual_display(1280, 720) as name:
        yield name


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


class Running:
    """A launched show: its log, its window and its screen."""

    def __init__(self, folder: Path, display: str, scene: Path, port: int = 0, extra: tuple = ()):
        self.folder, self.display = folder, display
        self.log = folder / "show.log"
        self.stdout = folder / "stdout.txt"
        env = dict(os.environ, DISPLAY=display, BRIDGE_CACHE=str(folder / "cache"), COLUMNS="100")
        env.pop("VTK_DEFAULT_OPENGL_WINDOW", None)  # this process may have chosen EGL for its own offscreen tests
        self.process = subprocess.Popen(  # --port 0: a free port, so tests never collide on the default 8765
            [sys.executable, "-m", "bridge", "launch", str(scene), "--room", "rehearsal", "--windowed",
             "--size", "1024x512", "--fit", f"{FIT[0]}x{FIT[1]}", "--log", str(self.log), "--port", str(port), *extra],
            cwd=folder, env=env, stdout=open(self.stdout, "w"), stderr=subprocess.STDOUT)
        text = wait_for(self._started, 180, "the show to start")
        self.window = re.search(r"window (0x[0-9a-f]+)", text).group(1)

    def _started(self) -> str | None:
        if self.process.poll() is not None:
            pytest.fail("bridge launch exited early:\n" + self.stdout.read_text())
        text = self.log.read_text() if self.log.exists() else ""
        return text if "show started" in text else None

    def key(self, keysym: str) -> None:
        subprocess.run(["xdotool", "key", "--window", self.window, keysym], env=dict(os.environ, DISPLAY=self.display),
                       check=True, stderr=subprocess.DEVNULL)

    def screen(self) -> np.ndarray:
        """The window's area of the screen (it sits at 0,0: Xvfb has no window manager)."""
        shot = np.asarray(ImageGrab.grab(xdisplay=self.display).convert("RGB")).astype(np.int16)
        return shot[:FIT[0] * 800 // 3840 + 1, :FIT[0]]

    def log_text(self) -> str:
        return self.log.read_text()

    def close(self) -> int:
        if self.process.poll() is None:
            self.key("Escape")
            self.key("Escape")
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


def settled(run: Running, *, differs_from=None, equals=None, black=False) -> np.ndarray:
    """Wait for the screen to reach a state (black, equal to a shot, or different from one); the shot."""
    found = {}

    def check():
        shot = run.screen()
        if black:
            ok = shot.max() <= 8
        elif equals is not None:
            ok = np.abs(shot - equals).max() <= 3
        else:
            ok = np.abs(shot - differs_from).mean() > 2
        if ok:
            found["shot"] = shot
        return ok

    wait_for(check, 15, "the screen to change")
    return found["shot"]


def test_launch_windowed_steps_blacks_out_and_survives_broken_edits(workdir: Path, display: str):
    scene = write_scene(workdir, SCENE)
    run = Running(workdir, display, scene)
    try:
        first = run.screen()
        assert first.shape == (201, 960, 3)
        assert first.max() > 100  # the title is on screen, not a black window

        run.key("Right")
        second = settled(run, differs_from=first)
        assert "key Right: step 2" in run.log_text()

        run.key("b")
        settled(run, black=True)
        run.key("b")
        settled(run, equals=second)  # came back to the same picture
        assert "blackout on" in run.log_text() and "blackout off" in run.log_text()

        # A truncated data file: the room keeps the last good frames, the console says why.
        csv = workdir / "data" / "census21_age_shropshire.csv"
        good_csv = csv.read_bytes()
        csv.write_bytes(good_csv[:40])
        wait_for(lambda: "ERROR" in run.log_text(), 60, "the broken data file to be reported")
        assert np.abs(run.screen() - second).max() <= 3
        assert "census21_age_shropshire.csv" in run.log_text().split("ERROR", 1)[1]

        # Invalid YAML in the scene: same, with the line.
        csv.write_bytes(good_csv)
        good_scene = scene.read_text()
        scene.write_text(good_scene.replace("steps:\n", "steps: [\n"))
        wait_for(lambda: re.search(r"ERROR .*scene\.yaml:\d+: invalid YAML", run.log_text()), 60,
                 "the invalid YAML to be reported with its line")
        assert np.abs(run.screen() - second).max() <= 3
        run.key("Left")  # still answering keys
        settled(run, equals=first)
        run.key("Right")

        # Fixed again: the new frames are swapped in and the show carries on.
        scene.write_text(good_scene.replace("Hello room", "Hello again"))
        wait_for(lambda: "reloaded" in run.log_text(), 90, "the fixed scene to be reloaded")
        settled(run, equals=second)
        run.key("Home")
        settled(run, differs_from=first)  # step 1's title changed
    finally:
        code = run.close()
    stdout = run.stdout.read_text()
    assert code == 0, stdout
    assert re.search(r"error: .*census21_age_shropshire\.csv", stdout)
    assert re.search(r"error: .*scene\.yaml:\d+: invalid YAML", stdout)
    assert "show ended" in run.log_text()


def test_second_launch_of_an_unchanged_scene_starts_from_the_cache(workdir: Path, display: str):
    scene = write_scene(workdir, SCENE)
    for expected in ("prepared", "loaded from cache"):
        run = Running(workdir, display, scene)
        assert run.close() == 0
        assert f"steps {expected} in" in run.log_text()
        run.log.unlink()


PARAM_SCENE = """
title: Questions in the room
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
params:
  area: {type: choice, values: [Shropshire 027A], all: The county}
  above: {type: number, min: 0, max: 100000, step: 50000}
panels:
  - {id: count, type: kpi, value: 'sum(people.total, where=areas.lsoa21_name == params.area)', label: '{params.area}', yaw: 0, pitch: 0, width: 40, height: 20}
  - {id: map, type: map, colour: 'people.total / (people.total > params.above)', yaw: 120, pitch: 0, width: 40, height: 30}
steps:
  - {title: Count, show: [count, map]}
"""


def test_keys_change_a_parameter_and_a_value_the_data_cannot_answer_keeps_the_picture(workdir: Path, display: str):
    scene = write_scene(workdir, PARAM_SCENE)
    run = Running(workdir, display, scene)
    try:
        county = run.screen()
        run.key("plus")  # area: the county -> Shropshire 027A
        wait_for(lambda: "answered step 1" in run.log_text(), 60, "the answer to be logged")
        # The KPI's number and label change: a small part of the screen, but clearly.
        wait_for(lambda: (np.abs(run.screen() - county).max(axis=-1) > 60).sum() > 200, 15, "the KPI to change")
        one_area = run.screen()
        assert "area: Shropshire 027A" in run.log_text()
        run.key("Tab")
        run.key("plus")  # above: 50000 leaves the map with no value: refused, picture kept
        wait_for(lambda: "every value is missing" in run.log_text(), 60, "the refusal to be logged")
        assert np.abs(run.screen() - one_area).max() <= 3
        run.key("ISO_Left_Tab")
        run.key("x")  # area back to the county: the same picture (pasted, so within a level or two)
        def near_county():
            now = run.screen()
            return (np.abs(now - county).max(axis=-1) > 60).sum() < (np.abs(one_area - county).max(axis=-1) > 60).sum() / 20

        wait_for(near_county, 15, "the county's picture")
    finally:
        code = run.close()
    assert code == 0, run.stdout.read_text()
    assert "kept the last good picture" in run.stdout.read_text() or "every value is missing" in run.stdout.read_text()


def test_launch_serves_the_remote_and_the_watch_page_and_refuses_a_taken_port(workdir: Path, display: str):
    import httpx

    scene = write_scene(workdir, SCENE)
    run = Running(workdir, display, scene)
    try:
        log = run.log_text()
        control = re.search(r"remote \(control\): (http://127\.0\.0\.1:(\d+)/remote\?token=[\w-]+)", log)
        watch = re.search(r"watch \(look only\): (http://127\.0\.0\.1:\d+/watch\?token=([\w-]+))", log)
        assert control and watch, log
        port, base = int(control.group(2)), control.group(1).split("/remote")[0]
        assert httpx.get(control.group(1), timeout=5).status_code == 200
        view = httpx.get(f"{base}/view.jpg?token={watch.group(2)}", timeout=5)
        assert view.status_code == 200 and view.content[:2] == b"\xff\xd8"  # step 1's 360° view, a JPEG
        first = run.screen()
        token = control.group(1).split("token=")[1]
        assert httpx.post(f"{base}/api/command?token={watch.group(2)}", json={"do": "next"}, timeout=5).status_code == 403
        assert httpx.post(f"{base}/api/command?token={token}", json={"do": "next"}, timeout=5).status_code == 202
        settled(run, differs_from=first)  # the room's own windows moved on
        assert "remote: next" in run.log_text() and "key Right: step 2" in run.log_text()
        state = httpx.get(f"{base}/api/state?token={token}", timeout=5).json()
        assert (state["step"], state["current"]) == (2, "Count")

        # A second show on the same port: refused at once, in one line, before preparing anything.
        second = subprocess.run([sys.executable, "-m", "bridge", "launch", str(scene), "--room", "rehearsal", "--windowed",
                                 "--port", str(port)], cwd=workdir, capture_output=True, text=True, timeout=60,
                                env=dict(os.environ, DISPLAY=display, BRIDGE_CACHE=str(workdir / "cache")))
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"--port {port} is in use; pick another with --port" in second.stderr
        assert "Traceback" not in second.stdout + second.stderr
    finally:
        code = run.close()
    assert code == 0, run.stdout.read_text()


def test_a_launched_show_plays_a_video_backdrop_and_v_pauses_it(workdir: Path, display: str):
    from tests.test_video import SCENE as VIDEO_SCENE
    from tests.test_video import make_clip

    make_clip(workdir / "clip.mp4", frames=40)
    scene = write_scene(workdir, VIDEO_SCENE)
    run = Running(workdir, display, scene, extra=("--compositor", "gpu"))
    try:
        first = run.screen()
        settled(run, differs_from=first)  # the bands turn: it plays in the real window
        run.key("v")
        wait_for(lambda: "video paused" in run.log_text(), 15, "V to pause the video")
        time.sleep(0.5)
        held = run.screen()
        time.sleep(0.8)
        assert np.abs(run.screen() - held).max() <= 3  # paused: the picture holds
        run.key("v")
        settled(run, differs_from=held)  # and plays on
    finally:
        code = run.close()
    stdout = run.stdout.read_text()
    assert code == 0, stdout
    assert "compositor: gpu (OpenGL: " in stdout  # stated on the console, as asked for
    assert re.search(r"video on step 1: clip\.mp4, 512 × 256 at 10 fps, gpu compositor", run.log_text())


def test_sigterm_ends_a_show_as_esc_does_and_before_it_starts_stops_preparing(workdir: Path, display: str):
    """SIGTERM (`kill`, a service manager's stop) on a running show: the loop ends, "show ended" is
    logged, the answering worker stops (no "leaked semaphore" from multiprocessing), exit code 0.
    While the steps are still being prepared: preparing stops, exit code 143, nothing left behind."""
    import signal

    scene = write_scene(workdir, PARAM_SCENE)  # a parameter: the show runs an answering worker
    run = Running(workdir, display, scene)
    try:
        run.process.send_signal(signal.SIGTERM)
        code = run.process.wait(timeout=30)
    finally:
        run.close()
    time.sleep(1)  # multiprocessing's resource tracker warns after the show's process has gone
    stdout = run.stdout.read_text()
    assert code == 0, stdout
    assert "leaked" not in stdout and "Traceback" not in stdout, stdout
    log = run.log_text()
    assert "SIGTERM: quitting, as Esc twice does" in log and "show ended after" in log.split("SIGTERM")[1], log

    run.log.unlink()
    env = dict(os.environ, DISPLAY=display, BRIDGE_CACHE=str(workdir / "cache"))
    env.pop("VTK_DEFAULT_OPENGL_WINDOW", None)
    process = subprocess.Popen([sys.executable, "-m", "bridge", "launch", str(scene), "--room", "rehearsal", "--windowed",
                                "--size", "1024x512", "--log", str(run.log), "--port", "0", "--no-cache"],
                               cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: run.log.exists() and "launch " in run.log.read_text(), 60, "the show to start preparing")
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    time.sleep(1)
    assert process.returncode == 143, output
    assert "stopped by SIGTERM before the show started" in output
    assert "leaked" not in output and "Traceback" not in output
    log = run.log.read_text()
    assert "SIGTERM before the show started: stopped" in log and "first frame on screen" not in log, log
