"""A room on several PCs (bridge/show/cluster/): groups, host mapping, errors, and a real cluster.

The cluster test runs `bridge launch --cluster` (mpirun -np 6: a controller and five render
nodes, one of them driving two projectors) on its own Xvfb, presses keys on the controller's
preview window with xdotool and reads every node's windows off the screen: stepping changes
every node, each node's projectors show exactly the single-machine images of those
projectors, a killed node is reported within a second while the others carry on, F5 brings
it back at the current step, a hung node is reported and rejoins, and killing the controller
ends every node.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import main
from bridge.errors import BridgeError
from bridge.room.load import load_room
from bridge.show.cluster.groups import Group, assign, node_prepared, node_room, output_groups
from bridge.show.xvfb import virtual_display
from tests.conftest import write_scene
from tests.show_helpers import synthetic

WIDTH, HEIGHT = 256, 160

ROOM = """
name: Six small
screen: {shape: cylinder, radius_m: 3.0, height_m: 2.4, eye_height_m: 1.6}
projectors:
  - {name: a, yaw: 0,    span_deg: 72, resolution: [256, 160], host: pc1}
  - {name: b, yaw: 60,   span_deg: 72, resolution: [256, 160], host: pc1}
  - {name: c, yaw: 120,  span_deg: 72, resolution: [256, 160], host: pc2}
  - {name: d, yaw: 180,  span_deg: 72, resolution: [256, 160], host: pc3}
  - {name: e, yaw: -120, span_deg: 72, resolution: [256, 160], host: pc4}
  - {name: f, yaw: -60,  span_deg: 72, resolution: [256, 160], host: pc5}
"""

SCENE = """
title: Cluster test
transition_ms: 300
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
panels:
  - {id: hello, type: text, style: title, text: Hello room, yaw: 0, pitch: 0, width: 60, height: 20}
  - {id: count, type: kpi, value: sum(people.total), label: residents, yaw: 60, pitch: 0, width: 40, height: 20}
  - {id: side, type: text, text: Over here, yaw: 120, pitch: 0, width: 60, height: 20}
  - {id: back, type: text, text: Behind you, yaw: 180, pitch: 0, width: 60, height: 20}
  - {id: left, type: text, text: To the left, yaw: -90, pitch: 0, width: 80, height: 20}
steps:
  - {title: Hello, show: [hello, back, left]}
  - {title: Count, show: [count, side]}
  - {title: Round, show: [side, back, left, hello]}
"""


def room_file(folder: Path, text: str = ROOM) -> Path:
    path = folder / "room.yaml"
    path.write_text(text)
    return path


# -- groups and hosts --------------------------------------------------------------------
def test_projectors_are_grouped_by_host_and_one_each_without_hosts(tmp_path: Path):
    room = load_room(room_file(tmp_path))
    groups = output_groups(room)
    assert [(g.number, g.host, g.projectors) for g in groups] == [
        (1, "pc1", (0, 1)), (2, "pc2", (2,)), (3, "pc3", (3,)), (4, "pc4", (4,)), (5, "pc5", (5,))]
    assert [g.projectors for g in output_groups(load_room("bridge"))] == [(0,), (1,), (2,), (3,), (4,)]
    # On its own PC a node's outputs start at the desktop's corner; on one shared desktop they keep their places.
    own = node_room(room, groups[1], own_desktop=True)
    assert [p.output for p in own.projectors] == [(0, 0)] and own.projectors[0].name == "c"
    shared = node_room(room, groups[1], own_desktop=False)
    assert [p.output for p in shared.projectors] == [(2 * WIDTH, 0)]
    assert [p.output for p in node_room(room, groups[0], True).projectors] == [(0, 0), (WIDTH, 0)]


def test_a_host_on_some_projectors_only_or_a_bad_host_name_is_refused_at_its_line(tmp_path: Path):
    partial = ROOM.replace(", host: pc3}", "}")
    with pytest.raises(BridgeError) as caught:
        load_room(room_file(tmp_path, partial))
    text = str(caught.value.problems[0])
    assert re.search(r"room\.yaml:\d+: projectors\[3\]: has no host while other projectors do", text), text
    bad = ROOM.replace("host: pc3", "host: 'pc 3;rm'")
    with pytest.raises(BridgeError) as caught:
        load_room(room_file(tmp_path, bad))
    assert re.search(r"room\.yaml:\d+: projectors\[3\]\.host", str(caught.value.problems[0]))
    # Hosts never change a projector's pixels: the cached tables and frames stay valid.
    assert load_room(room_file(tmp_path)).digest == load_room(room_file(tmp_path, ROOM.replace("pc", "node"))).digest


def test_ranks_are_matched_to_hosts_and_a_mismatch_says_how_to_fix_it(tmp_path: Path):
    groups = [Group(1, "pc1", (0, 1)), Group(2, "pc2", (2,))]
    chosen, one_machine = assign(groups, {1: "pc2.lan", 2: "PC1"}, "room.yaml")
    assert {r: g.number for r, g in chosen.items()} == {1: 2, 2: 1} and not one_machine
    chosen, one_machine = assign(groups, {1: "desk", 2: "desk"}, "room.yaml")  # a rehearsal: in order
    assert {r: g.number for r, g in chosen.items()} == {1: 1, 2: 2} and one_machine
    with pytest.raises(BridgeError, match=r"2 output group\(s\) but mpirun started 3 render rank\(s\); start 3 ranks"):
        assign(groups, {1: "a", 2: "a", 3: "a"}, "room.yaml")
    with pytest.raises(BridgeError) as caught:
        assign(groups, {1: "pc1", 2: "pc9"}, "room.yaml")
    assert str(caught.value.problems[0]).startswith("room.yaml: projectors[2].host: 'pc2' runs no render rank")


def test_a_nodes_windows_show_exactly_what_one_pc_shows_of_its_projectors(tmp_path: Path):
    from bridge.show.windows import ShowWindows

    room = load_room(room_file(tmp_path))
    colours = [[(40 * i + 10, 200 - 30 * i, 15 * s + 20) for i in range(6)] for s in range(2)]
    prepared = synthetic(room, colours)
    whole = ShowWindows(room, prepared, "span", offscreen=True)
    try:
        whole.show(whole.view)
        whole.render()
        single = whole.grab()
    finally:
        whole.close()
    for group in output_groups(room):
        windows = ShowWindows(node_room(room, group, True), node_prepared(prepared, group), "span", offscreen=True)
        try:
            windows.render()
            shot = windows.grab()
        finally:
            windows.close()
        assert shot.shape == (HEIGHT, WIDTH * len(group.projectors), 3)  # native resolution, its projectors only
        left = group.projectors[0] * WIDTH
        assert np.array_equal(shot, single[:, left:left + shot.shape[1]])


# -- the command line -----------------------------------------------------------------------
def test_cluster_without_mpirun_or_with_a_host_file_missing_a_host_is_a_clear_error(tmp_path: Path, monkeypatch, capsys):
    scene = write_scene(tmp_path, SCENE)
    room = room_file(tmp_path)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no mpirun anywhere
    for name in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert main(["launch", str(scene), "--room", str(room), "--cluster"]) == 2
    err = capsys.readouterr().err
    assert "--cluster: mpirun is not installed" in err and "apt-get install openmpi-bin" in err
    assert "Traceback" not in err
    hosts = tmp_path / "hosts"
    hosts.write_text("pc1 slots=2\npc2\npc4\npc5  # pc3 is away\n")
    assert main(["launch", str(scene), "--room", str(room), "--cluster", "--hosts", str(hosts)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"room\.yaml: projectors\[3\]\.host: 'pc3' is not in the host file .*hosts \(it lists pc1, pc2, "
                     r"pc4, pc5\); add a line 'pc3 slots=1'", " ".join(err.split())), err
    assert "Traceback" not in err


def test_a_node_run_by_hand_says_what_starts_it_and_exits_at_once(monkeypatch, capsys):
    """`bridge node` outside mpirun would wait for a controller that never speaks: it refuses (exit 2)."""
    import bridge.show.cluster.node as node_module

    for name in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)

    def no_mpi():
        raise AssertionError("`bridge node` outside mpirun started MPI: it would wait for a controller")

    monkeypatch.setattr(node_module, "mpi", no_mpi)  # a regression fails here instead of hanging the test run
    started = time.monotonic()
    assert main(["node"]) == 2
    assert time.monotonic() - started < 5
    err = " ".join(capsys.readouterr().err.split())
    assert "error: node: run by hand, `bridge node` would wait for a controller that never comes: it is one render node of a " \
           "room on several PCs, which `bridge launch SCENE --cluster` starts under mpirun" in err, err
    assert "Traceback" not in err


def test_the_launcher_exits_with_the_code_the_controller_left(tmp_path: Path, monkeypatch, capsys):
    """mpirun --enable-recovery exits 0 whatever its ranks do: the controller leaves its code in a
    file, 2 for a refused input, 1 for a failure, 0 for a show that ran; no code (killed) is a failure."""
    from bridge.show.cluster.launch import controller_code, controller_ended
    from bridge.show.cluster.messages import STATUS_ENV

    status = tmp_path / "status"
    monkeypatch.setenv(STATUS_ENV, str(status))

    def fails(exc):
        def run():
            raise exc
        return run

    for run, code in ((lambda: 0, 0), (fails(BridgeError("scene.yaml:3: steps: refused")), 2),
                      (fails(RuntimeError("a bug")), 1), (fails(KeyboardInterrupt()), 130)):
        try:
            controller_code(run)
        except (BridgeError, RuntimeError, KeyboardInterrupt):
            pass
        assert status.read_text() == str(code)
        assert controller_ended(status, 0) == code and not status.exists()
    status.write_text("")
    assert controller_ended(status, 0) == 1  # killed before it could say
    assert "the controller ended before the show did" in capsys.readouterr().err
    status.write_text("")
    assert controller_ended(status, 213) == 1  # mpirun failed (a PC it could not reach): a failure, not its own code
    assert "mpirun failed (exit code 213)" in capsys.readouterr().err


@pytest.mark.slow
def test_a_controller_that_cannot_start_says_why_and_every_rank_ends(workdir: Path):
    """`mpirun -np 3` by hand for a room of five groups, a broken scene through `bridge launch
    --cluster`, and `bridge node` alone under mpirun: one clear line each, no traceback, nothing left
    running, and exit code 2 (a refused input) from each.  mpirun itself exits 0 under
    --enable-recovery: the controller leaves its code in the file BRIDGE_CLUSTER_STATUS names, and
    `bridge launch --cluster` exits with it."""
    if not shutil.which("mpirun"):
        pytest.fail("mpirun is needed (scripts/setup.sh installs Open MPI)")
    from bridge.show.cluster.launch import mpirun_command

    scene = write_scene(workdir, SCENE)
    status = workdir / "status"
    env = dict(os.environ, BRIDGE_CACHE=str(workdir / "cache"), DISPLAY=os.environ.get("DISPLAY", ":0"),
               BRIDGE_CLUSTER_STATUS=str(status))
    command = mpirun_command(["launch", str(scene), "--room", str(room_file(workdir)), "--cluster"], 3, None, env)
    started = time.monotonic()
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    text = " ".join((done.stdout + done.stderr).split())
    assert re.search(r"error: .*room\.yaml: projectors: the room has 5 output group\(s\) but mpirun started 2 render "
                     r"rank\(s\); start 6 ranks \(mpirun -np 6", text), text
    assert "Traceback" not in text
    assert time.monotonic() - started < 60  # the render ranks were told to end, not left waiting for a controller
    assert not (workdir / "cache" / "show").exists()  # refused before preparing anything
    assert status.read_text() == "2"
    # Through `bridge launch --cluster`, a controller that refuses the scene after start-up: exit code 2.
    del env["BRIDGE_CLUSTER_STATUS"]
    broken = write_scene(workdir, SCENE.replace("steps:\n", "steps: [\n"), "broken.yaml")
    done = subprocess.run([sys.executable, "-m", "bridge", "launch", str(broken), "--room", str(room_file(workdir)),
                           "--cluster", "--size", "1024x512", "--log", str(workdir / "show.log")],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, text
    assert re.search(r"error: .*broken\.yaml:\d+: invalid YAML", text), text
    assert "Traceback" not in text and "the controller ended before the show did" not in text
    # `bridge node` by hand under a plain mpirun: rank 0 is no node; it says so, every rank ends at once,
    # and mpirun (without --enable-recovery) exits with rank 0's code.
    root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    started = time.monotonic()
    done = subprocess.run(["mpirun", *root, "--oversubscribe", "-np", "2", sys.executable, "-m", "bridge", "node"],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    text = " ".join((done.stdout + done.stderr).split())
    assert "error: node: under mpirun, rank 0 is the controller, not a render node: run `bridge launch SCENE " \
           "--cluster` as every rank" in text, text
    assert "Traceback" not in text and done.returncode == 2, text
    assert time.monotonic() - started < 30


# -- a real cluster on one machine ------------------------------------------------------------
class Cluster:
    """`bridge launch --cluster` on a private Xvfb: its log, its screen, its processes."""

    def __init__(self, folder: Path, display: str, show: list[str], frames=None):
        self.folder, self.display = folder, display
        self.log = folder / "show.log"
        self.stdout = folder / "stdout.txt"
        self.env = dict(os.environ, DISPLAY=display, BRIDGE_CACHE=str(folder / "cache"), COLUMNS="100")
        self.env.pop("VTK_DEFAULT_OPENGL_WINDOW", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bridge", "launch", *show, "--room", str(room_file(folder)), "--cluster",
             "--size", "1024x512", "--log", str(self.log), "--port", "0"],
            cwd=folder, env=self.env, stdout=open(self.stdout, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(lambda: self.log_text().count(": up") >= 5, 240, "five render nodes to come up", self)
            self.window = re.search(r"window (0x[0-9a-f]+)", self.log_text()).group(1)
            if frames is None:
                entry, = [p for p in (folder / "cache" / "show").iterdir() if (p / "meta.json").exists()]
                # The single-machine images, per projector: what `bridge launch` on one PC shows.
                frames = [np.load(entry / f"projector-{i + 1}.npy") for i in range(6)]
            self.frames = frames
        except BaseException:
            self.end()
            raise

    def end(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def pid(self, what: str) -> int:
        return int(re.findall(rf"{what}.*pid (\d+)", self.log_text())[-1])

    def key(self, keysym: str) -> None:
        subprocess.run(["xdotool", "key", "--window", self.window, keysym], env=self.env, check=True,
                       stderr=subprocess.DEVNULL)

    def projectors(self) -> list[np.ndarray]:
        """What each projector's output shows on the screen now (the nodes' windows tile the top row)."""
        from PIL import ImageGrab

        shot = np.asarray(ImageGrab.grab(xdisplay=self.display).convert("RGB")).astype(np.int16)
        return [shot[:HEIGHT, i * WIDTH:(i + 1) * WIDTH] for i in range(len(self.frames))]

    def showing(self, step: int | None, projectors=range(6)) -> bool:
        """Every listed projector shows its single-machine image of `step` (None: black)."""
        shots = self.projectors()
        for i in projectors:
            want = np.zeros_like(shots[i]) if step is None else self.frames[i][step].astype(np.int16)
            if np.abs(shots[i] - want).max() > 2:
                return False
        return True

    def stamp(self, pattern: str) -> float:
        """The log time of the last line matching `pattern`, as a Unix time."""
        line = [line for line in self.log_text().splitlines() if re.search(pattern, line)][-1]
        return datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()


def wait_for(predicate, timeout: float, what: str, cluster: Cluster | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if cluster is not None and cluster.process.poll() is not None:
            pytest.fail(f"the cluster ended while waiting for {what}:\n{cluster.stdout.read_text()[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}" +
                (f"\n{cluster.log_text()[-3000:]}" if cluster is not None else ""))


def node_windows(display: str) -> list[str]:
    """The render nodes' windows on the display (their titles start "Bridge node")."""
    found = subprocess.run(["xdotool", "search", "--name", "^Bridge node "], env=dict(os.environ, DISPLAY=display),
                           capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.slow
def test_a_cluster_steps_together_shows_single_machine_images_and_survives_a_lost_node(workdir: Path):
    if not all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "mpirun")):
        pytest.fail("Xvfb, xdotool and mpirun are needed (scripts/setup.sh installs them)")
    with virtual_display(6 * WIDTH, HEIGHT + 400) as display:
        cluster = Cluster(workdir, display, [str(write_scene(workdir, SCENE))])
        try:
            assert re.search(r"mpirun .*-np 6 ", cluster.stdout.read_text())  # a controller and five nodes
            # Every node shows its projectors' single-machine images, at native resolution.
            wait_for(lambda: cluster.showing(0), 15, "every node to show step 1")
            assert not cluster.showing(1)
            cluster.key("Right")
            wait_for(lambda: cluster.showing(1), 15, "every node to show step 2")
            cluster.key("b")
            wait_for(lambda: cluster.showing(None), 15, "every node to black out")
            cluster.key("b")
            wait_for(lambda: cluster.showing(1), 15, "the picture back on every node")

            # A node that dies is reported within a second; the others carry on.
            killed = time.time()
            os.kill(cluster.pid(r"node 3 \(host pc3"), signal.SIGKILL)
            wait_for(lambda: re.search(r"node 3 .* lost", cluster.log_text()), 10, "the lost node to be reported")
            assert cluster.stamp(r"WARNING node 3 .* lost") - killed <= 1.0
            cluster.key("Right")
            others = [0, 1, 2, 4, 5]  # projector 4 is node 3's
            wait_for(lambda: cluster.showing(2, others), 15, "the other nodes to show step 3")
            assert not cluster.showing(2, [3])

            # F5 restarts it; it rejoins at the step the room shows.
            cluster.key("F5")
            wait_for(lambda: cluster.showing(2), 60, "the restarted node to show step 3")
            assert "node 3 (host pc3, projector 4): restarted" in cluster.log_text()

            # A node that hangs is reported too, and rejoins when it answers again.
            hung = cluster.pid(r"node 5 \(host pc5")
            os.kill(hung, signal.SIGSTOP)
            stopped = time.time()
            wait_for(lambda: re.search(r"node 5 .* lost", cluster.log_text()), 10, "the hung node to be reported")
            assert cluster.stamp(r"WARNING node 5 .* lost") - stopped <= 1.0
            cluster.key("Left")
            wait_for(lambda: cluster.showing(1, [0, 1, 2, 3, 4]), 15, "the others to show step 2")
            os.kill(hung, signal.SIGCONT)
            wait_for(lambda: cluster.showing(1), 15, "the hung node to catch up")
            assert "node 5 (host pc5, projector 6) on" in cluster.log_text() and "answers again" in cluster.log_text()
            assert len(node_windows(display)) == 5

            # The controller dies: every node closes its windows and ends.
            os.kill(cluster.pid("controller"), signal.SIGKILL)
            wait_for(lambda: cluster.process.poll() is not None, 30, "mpirun to end after its controller")
            assert node_windows(display) == []
        finally:
            cluster.end()


@pytest.mark.slow
def test_test_patterns_on_a_cluster_are_sent_by_the_controller_and_sigterm_ends_the_show_cleanly(workdir: Path):
    """The patterns have no cache entry: each node is sent its projectors' images.  SIGTERM to
    `bridge launch --cluster` ends the show as Esc twice on the controller's window does (mpirun
    passes it on as SIGUSR1): every node ends, the log says "show ended", and the launch exits 0."""
    if not all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "mpirun")):
        pytest.fail("Xvfb, xdotool and mpirun are needed (scripts/setup.sh installs them)")
    from bridge.show.preparer import prepare_patterns

    patterns = prepare_patterns(load_room(room_file(workdir)), (1024, 512))
    with virtual_display(6 * WIDTH, HEIGHT + 400) as display:
        cluster = Cluster(workdir, display, ["--patterns"], patterns.frames)
        try:
            assert cluster.log_text().count("has no copy of the prepared frames: sending them") == 5
            wait_for(lambda: cluster.showing(0), 15, "every node to show the first pattern")
            cluster.key("End")
            wait_for(lambda: cluster.showing(patterns.step_count - 1), 15, "every node to show the last pattern")
            cluster.process.send_signal(signal.SIGTERM)
            assert cluster.process.wait(timeout=60) == 0, cluster.stdout.read_text()
            assert node_windows(display) == []
            log = cluster.log_text()
            assert "SIGTERM to the cluster's launcher (SIGUSR1 from mpirun): quitting" in log, log
            assert "show ended after" in log and " lost" not in log, log  # the nodes were told to end, not lost
        finally:
            cluster.end()
