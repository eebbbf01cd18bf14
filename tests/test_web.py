"""The room on the web (bridge/web): tokens, commands, pushed state, the 360° view, and the
two pages in a real browser.

An offscreen Live with synthetic frames (tests/show_helpers.py) runs its loop in this
thread: a test acts (a request, a click), then ticks the show until it has answered.  The
server runs in its own thread (uvicorn) or in Starlette's TestClient.  The browser is
Debian's Chromium driven by Playwright; WebGL works through SwiftShader.
"""

from __future__ import annotations

import io
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

with warnings.catch_warnings():  # Starlette asks for httpx2 one day; httpx is what it uses today
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bridge.errors import BridgeError
from bridge.show.answer import Answer
from bridge.show.cache import Prepared
from bridge.show.live import Live
from bridge.web import protocol
from bridge.web import server as web_server
from bridge.web.protocol import Tokens
from bridge.web.server import MAX_MESSAGE_BYTES, WebApp, parse_command, start_web
from tests.show_helpers import COLOURS, centre, inject, synthetic, tiny_room

TOKENS = Tokens("control-token-for-tests-0123456789", "watch-token-for-tests-0123456789")
VIEW_COLOURS = [(200, 30, 30), (250, 250, 0), (30, 60, 220)]
PARAMS = [
    {"name": "ward", "values": ["all", "Clun", "Ludlow North", "Oswestry"],
     "labels": ["All of Shropshire", "Clun", "Ludlow North", "Oswestry"], "default": "all"},
    {"name": "top", "values": [3.0, 4.0, 5.0, 6.0], "labels": ["3 areas", "4 areas", "5 areas", "6 areas"], "default": 5.0},
    {"name": "cold_only", "values": [False, True], "labels": ["all homes", "homes hard to heat"], "default": False},
]


def view_jpeg(colour, stripe=255) -> bytes:
    image = np.zeros((128, 256, 3), np.uint8)
    image[:] = colour
    image[40:88, ::32] = stripe  # some detail: a flat picture hides a viewer that shows nothing
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def prepared_with_views(room, folder: Path, params: bool = False) -> Prepared:
    prepared = synthetic(room)
    prepared.folder = folder
    prepared.notes = ["Say hello.", "", "The last one."]
    for s, colour in enumerate(VIEW_COLOURS):
        (folder / f"view-{s + 1:02d}.jpg").write_bytes(view_jpeg(colour))
    if params:
        prepared.params = PARAMS
        prepared.step_params = [{}, {"ward": "Clun"}, {}]
        prepared.reads = [["ward", "top", "cold_only"], ["ward"], []]
    return prepared


def templated(prepared: Prepared) -> Prepared:
    """Step 2's title a template as a scene writes it (filled as prepared: step 2 sets ward to Clun),
    and where each step's content is: as bridge/show/preparer.py prepares them."""
    prepared.titles = ["Step 1", "Areas to visit in Clun", "Step 3"]
    prepared.templates = [None, "Areas to visit in {params.ward}", None]
    prepared.looks = [[-60.0, 0.0], [120.0, 10.0], None]
    return prepared


class FakeAnswerer:
    """Stands in for the warm worker (bridge/show/answer.py): records questions, hands back answers."""

    alive = True

    def __init__(self):
        self.asked = 0
        self.asks: list[tuple[dict, list]] = []
        self.answers: list[Answer] = []

    def ask(self, chosen, steps):
        self.asked += 1
        self.asks.append((dict(chosen), list(steps)))
        return self.asked

    def poll(self):
        out, self.answers = self.answers, []
        return out

    def close(self):
        pass


@pytest.fixture
def room(tmp_path: Path):
    return tiny_room(tmp_path)


@pytest.fixture
def live(room, tmp_path: Path):
    show = Live(Path("unused.yaml"), room, prepared_with_views(room, tmp_path), (256, 128), "span", offscreen=True)
    show.tick()
    yield show
    show.close()


@pytest.fixture
def asking_live(room, tmp_path: Path):
    """A show whose scene has parameters, with a stand-in for the answering worker."""
    show = Live(Path("unused.yaml"), room, prepared_with_views(room, tmp_path, params=True), (256, 128), "span",
                offscreen=True)
    show.answerer = FakeAnswerer()
    show.tick()
    yield show
    show.close()


@pytest.fixture
def story_live(room, tmp_path: Path):
    """`asking_live` with a templated title and where each step's content is (`templated`)."""
    show = Live(Path("unused.yaml"), room, templated(prepared_with_views(room, tmp_path, params=True)), (256, 128), "span",
                offscreen=True)
    show.answerer = FakeAnswerer()
    show.tick()
    yield show
    show.close()


def until(live, done, seconds: float = 10.0, what: str = "the show to answer"):
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:g} s waiting for {what}")
        live.tick()
        time.sleep(0.005)


def receive_until(ws, predicate, seconds: float = 8.0) -> dict:
    """Messages from a TestClient WebSocket until one matches (the server beats every 2 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = ws.receive_json()
        if predicate(message):
            return message
    pytest.fail("no matching message from the server")


def test_state_snapshot_says_what_the_presenter_and_the_room_need(live):
    state = live.web_state()
    assert (state["title"], state["step"], state["steps"], state["current"]) == ("Test", 1, 3, "Step 1")
    assert state["titles"] == ["Step 1", "Step 2", "Step 3"] and state["next"] == "Step 2"
    assert state["notes"] == "Say hello." and state["view"] == "step" and state["params"] == []
    assert state["shown_text"] is None and state["elapsed"] == "0:00:00"
    json.dumps(state)  # JSON-able as it is
    frame, version = state["frame"], live.web_version
    inject(live.windows, "Right")
    live.tick()
    after = live.web_state()
    assert state["step"] == 1  # a published snapshot is never changed, only replaced
    assert (after["step"], after["current"], after["next"]) == (2, "Step 2", "Step 3")
    assert after["frame"] != frame and live.web_version > version
    inject(live.windows, "f")  # frozen: the room keeps step 2 while the presenter moves on
    inject(live.windows, "Right")
    live.tick()
    frozen = live.web_state()
    assert (frozen["step"], frozen["shown_step"], frozen["frozen"], frozen["frozen_at"]) == (3, 2, True, 2)
    assert frozen["frame"] == after["frame"] and frozen["next"] is None
    inject(live.windows, "b")
    live.tick()
    dark = live.web_state()
    assert dark["blackout"] and dark["view"] == "black" and dark["frame"] == after["frame"]


def test_commands_from_other_threads_go_through_the_keys_own_entry_points(live, caplog):
    keys = []
    original = live.key
    live.key = lambda keysym: (keys.append(keysym), original(keysym))
    assert live.command("next") and live.command("blackout") and live.command("previous")
    assert live.presenter.step == 0  # nothing happens until the loop drains the inbox
    live.tick()
    assert keys == ["Right", "b", "Left"]  # previous after a blackout brings the picture back, as the key does
    assert live.presenter.step == 1 and not live.presenter.blackout
    assert centre(live.windows.grab(), 32, 20) == COLOURS[1][0]
    live.key("b")
    live.command("go", 3)  # a jump brings the picture back too, as a typed number and Enter do
    live.tick()
    assert live.presenter.step == 2 and not live.presenter.blackout
    assert centre(live.windows.grab(), 32, 20) == COLOURS[2][0]
    with pytest.raises(ValueError):
        live.command("quit")
    for _ in range(200):  # a flood: the inbox refuses what it cannot hold
        live.command("next")
    assert not live.command("next")
    live.tick()
    assert live.inbox.empty()


def test_pages_and_reads_need_a_token_and_control_needs_the_control_token(live):
    with TestClient(WebApp(live, TOKENS).app) as client:
        assert client.get("/remote").status_code == 403
        assert client.get("/remote?token=wrong").status_code == 403
        refused = client.get(f"/remote?token={TOKENS.watch}")
        assert refused.status_code == 403 and "watch link" in refused.text
        page = client.get(f"/remote?token={TOKENS.control}")
        assert page.status_code == 200 and '<html lang="en">' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        for token in (TOKENS.watch, TOKENS.control):
            assert client.get(f"/watch?token={token}").status_code == 200
            assert client.get(f"/api/state?token={token}").status_code == 200
        assert client.get("/watch?token=").status_code == 403
        assert client.get("/api/state").status_code == 403
        for token in ("", "wrong", TOKENS.watch):
            assert client.post(f"/api/command?token={token}", json={"do": "next"}).status_code == 403
        assert client.post(f"/api/command?token={TOKENS.control}", json={"do": "next"}).status_code == 202
        until(live, lambda: live.presenter.step == 1)
        watch_state = client.get(f"/api/state?token={TOKENS.watch}").json()
        assert watch_state["shown_step"] == 2 and "problems" not in watch_state and "step" not in watch_state


def test_tokens_are_compared_in_constant_time(live, monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(protocol.hmac, "compare_digest", spy)
    with TestClient(WebApp(live, TOKENS).app) as client:
        assert client.get("/remote?token=guess").status_code == 403
        assert client.get(f"/remote?token={TOKENS.control}").status_code == 200
    assert (b"guess", TOKENS.control.encode()) in calls and (b"guess", TOKENS.watch.encode()) in calls
    assert (TOKENS.control.encode(), TOKENS.control.encode()) in calls
    assert Tokens.new().control != Tokens.new().control and len(Tokens.new().watch) >= 32


def test_only_the_apps_own_files_are_served(live):
    with TestClient(WebApp(live, TOKENS).app) as client:
        js = client.get("/static/pannellum.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript") and "pannellum" in js.text
        assert client.get("/static/remote.js").status_code == 200
        for path in ("/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd",
                     "/static/vendor/pannellum/pannellum.js", "/static/vendor%2fpannellum%2fLICENSE", "/static/server.py",
                     "/etc/passwd", "/", "/static/", "/remote.html", "/static/remote.html"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "root:" not in response.text
        assert client.post("/remote").status_code == 405


def test_junk_and_oversize_messages_are_answered_with_an_error_and_the_show_carries_on(live):
    with TestClient(WebApp(live, TOKENS).app) as client:
        with client.websocket_connect(f"/ws?token={TOKENS.control}") as ws:
            assert ws.receive_json()["type"] == "state"
            junk = ["not json", "[]", '"next"', "{}", '{"do": "explode"}', '{"do": "go", "step": 99}',
                    '{"do": "go", "step": true}', '{"do": "go", "step": NaN}', '{"do": "set", "name": "nope", "value": 1}',
                    "[" * 2000 + "]" * 2000, '{"do": "next", "pad": "' + "x" * MAX_MESSAGE_BYTES + '"}']
            for text in junk:
                ws.send_text(text)
                reply = receive_until(ws, lambda m: m["type"] in ("error", "ok"))
                assert reply["type"] == "error", text
            assert "too long" in reply["message"]
            ws.send_bytes(b"\x00\x01")
            assert "JSON text" in receive_until(ws, lambda m: m["type"] == "error")["message"]
            ws.send_json({"do": "next"})
            assert receive_until(ws, lambda m: m["type"] in ("error", "ok")) == {"type": "ok", "do": "next"}
            until(live, lambda: live.presenter.step == 1)
            assert receive_until(ws, lambda m: m["type"] == "state" and m["state"]["step"] == 2)
        assert client.post(f"/api/command?token={TOKENS.control}", content=b"x" * (MAX_MESSAGE_BYTES + 1)).status_code == 413
        bad = client.post(f"/api/command?token={TOKENS.control}", content=b"{nope")
        assert bad.status_code == 400 and "not JSON" in bad.json()["error"]
    assert live.inbox.empty() and live.presenter.step == 1


def test_a_watch_link_can_only_look_and_a_flood_is_slowed(live):
    with TestClient(WebApp(live, TOKENS).app) as client:
        with client.websocket_connect(f"/ws?token={TOKENS.watch}") as ws:
            first = ws.receive_json()
            assert first["type"] == "state" and first["role"] == "watch" and "notes" not in first["state"]
            for command in ({"do": "next"}, {"do": "blackout"}, {"do": "go", "step": 2}):
                ws.send_json(command)
                assert receive_until(ws, lambda m: m["type"] == "error")["code"] == "watch"
            ws.send_json({"do": "ping"})
            assert receive_until(ws, lambda m: m["type"] in ("pong", "error"))["type"] == "pong"
            live.tick()
            assert live.inbox.empty() and live.presenter.step == 0
            for _ in range(40):
                ws.send_json({"do": "ping"})
            assert receive_until(ws, lambda m: m["type"] == "error")["code"] == "rate"
            time.sleep(0.3)  # the bucket refills: the page is heard again
            ws.send_json({"do": "ping"})
            assert receive_until(ws, lambda m: m["type"] == "pong")
        with client.websocket_connect("/ws?token=from-an-earlier-show") as ws:
            assert ws.receive_json()["code"] == "token"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == web_server.CLOSE_BAD_TOKEN
        with pytest.raises(WebSocketDisconnect):  # another site's page may not open the socket
            with client.websocket_connect(f"/ws?token={TOKENS.control}", headers={"origin": "http://evil.example"}) as ws:
                ws.receive_json()


def test_state_is_pushed_to_every_page_when_it_changes(live):
    with TestClient(WebApp(live, TOKENS).app) as client:
        with client.websocket_connect(f"/ws?token={TOKENS.control}") as one, \
                client.websocket_connect(f"/ws?token={TOKENS.control}") as two, \
                client.websocket_connect(f"/ws?token={TOKENS.watch}") as watch:
            for ws in (one, two, watch):
                assert ws.receive_json()["type"] == "state"
            one.send_json({"do": "go", "step": 3})
            until(live, lambda: live.presenter.step == 2)
            for ws in (one, two):
                state = receive_until(ws, lambda m: m["type"] == "state" and m["state"]["step"] == 3)["state"]
                assert state["current"] == "Step 3" and state["notes"] == "The last one."
            shown = receive_until(watch, lambda m: m["type"] == "state" and m["state"]["shown_step"] == 3)["state"]
            assert shown["shown_title"] == "Step 3" and shown["shown_notes"] == "The last one."
            inject(live.windows, "b")  # a key in the room reaches the remotes too
            live.tick()
            assert receive_until(two, lambda m: m["type"] == "state" and m["state"]["blackout"])


def test_the_view_is_the_room_step_and_follows_it(live):
    with TestClient(WebApp(live, TOKENS).app) as client:
        assert client.get("/view.jpg").status_code == 403
        first = client.get(f"/view.jpg?token={TOKENS.watch}&v=1")
        assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
        assert first.content == live.prepared.view_jpeg(0)
        frame = live.web_state()["frame"]
        inject(live.windows, "Right")
        live.tick()
        second = client.get(f"/view.jpg?token={TOKENS.control}&v={frame + 1}")
        assert second.content == live.prepared.view_jpeg(1) and second.headers["x-bridge-frame"] == str(frame + 1)
        assert Image.open(io.BytesIO(second.content)).getpixel((5, 5)) == pytest.approx(VIEW_COLOURS[1], abs=6)


def test_parameters_from_a_remote_take_the_keys_path_and_answers_change_the_frame(asking_live):
    live = asking_live
    with TestClient(WebApp(live, TOKENS).app) as client:
        state = client.get(f"/api/state?token={TOKENS.control}").json()
        kinds = {p["name"]: (p["kind"], p["value"], p["label"], p["live"]) for p in state["params"]}
        assert kinds == {"ward": ("choice", "all", "All of Shropshire", False), "top": ("number", 5.0, "5 areas", False),
                         "cold_only": ("toggle", False, "all homes", False)}
        command = lambda body: client.post(f"/api/command?token={TOKENS.control}", json=body)  # noqa: E731
        assert command({"do": "set", "name": "top", "value": True}).status_code == 400  # true is not a number
        assert command({"do": "set", "name": "ward", "value": "Nowhere"}).status_code == 400
        assert command({"do": "set", "name": "ward", "value": "Ludlow North"}).status_code == 202
        until(live, lambda: live.presenter.chosen == {"ward": "Ludlow North"})
        assert live.answerer.asks == [({"ward": "Ludlow North"}, [0, 1])]  # current step first
        frame = live.web_state()["frame"]
        new_view = view_jpeg((10, 200, 90))
        image = np.full((40, 64, 3), (10, 200, 90), np.uint8)
        live.answerer.answers.append(Answer(ask=1, step=0, images={0: image}, view=new_view, how="pasted 1 panel",
                                            text=["Older residents in Ludlow North", "1,234"]))
        until(live, lambda: live.web_state()["frame"] != frame, what="the answer to reach the room")
        assert centre(live.windows.grab(), 32, 20) == (10, 200, 90)
        assert client.get(f"/view.jpg?token={TOKENS.watch}").content == new_view
        assert live.web_state()["shown_text"] == ["Older residents in Ludlow North", "1,234"]  # the text follows too
        ward = next(p for p in live.web_state()["params"] if p["name"] == "ward")
        assert (ward["value"], ward["live"]) == ("Ludlow North", True)
        assert command({"do": "reset", "name": "ward"}).status_code == 202
        until(live, lambda: live.presenter.chosen == {})
        assert live.answerer.asks[-1] == ({}, [0, 1])


def test_start_web_serves_links_and_a_taken_port_is_a_clear_error(live):
    web = start_web(live, remote=False, port=0)
    try:
        lines = web.links()
        assert len(lines) == 2
        assert lines[0] == f"remote (control): http://127.0.0.1:{web.port}/remote?token={web.tokens.control}"
        assert lines[1] == f"watch (look only): http://127.0.0.1:{web.port}/watch?token={web.tokens.watch}"
        assert web.tokens.control != web.tokens.watch
        import httpx

        assert httpx.get(web.watch_url, timeout=5).status_code == 200
        with pytest.raises(BridgeError, match=rf"^--port {web.port} is in use; pick another with --port$"):
            start_web(live, remote=False, port=web.port)
    finally:
        web.close()
    with pytest.raises(BridgeError, match="not a port number"):
        start_web(live, remote=False, port=70000)
    wide = start_web(live, remote=True, port=0)
    try:
        assert wide._socket.getsockname()[0] == "0.0.0.0"
        assert not wide.control_url.startswith("http://0.0.0.0")
    finally:
        wide.close()


def test_a_message_past_the_hard_limit_closes_only_that_connection(live):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    web = start_web(live, remote=False, port=0)
    try:
        url = f"ws://127.0.0.1:{web.port}/ws?token={web.tokens.control}"
        with connect(url, max_size=2 ** 20) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "state"
            ws.send("x" * (web_server.WS_HARD_LIMIT + 10))
            with pytest.raises(ConnectionClosed):
                for _ in range(10):
                    ws.recv(timeout=5)
        with connect(url) as ws:  # the server carries on
            assert json.loads(ws.recv(timeout=5))["type"] == "state"
            ws.send(json.dumps({"do": "next"}))
            until(live, lambda: live.presenter.step == 1)
    finally:
        web.close()


def test_the_steps_content_as_text_when_prepared_carries_it(room, tmp_path):
    prepared = prepared_with_views(room, tmp_path)
    prepared.texts = [["Hello room", "KPI: 323,600 residents"], "Over here\nand here", None]
    live = Live(Path("unused.yaml"), room, prepared, (256, 128), "span", offscreen=True)
    try:
        assert live.web_state()["shown_text"] == ["Hello room", "KPI: 323,600 residents"]
        live.key("Right")
        live.tick()
        assert live.web_state()["shown_text"] == ["Over here", "and here"]
        live.key("Right")
        live.tick()
        assert live.web_state()["shown_text"] is None and live.web_state()["shown_notes"] == "The last one."
    finally:
        live.close()


def test_parse_command_checks_against_the_state():
    state = {"steps": 3, "params": [{"name": "p", "values": [1.0, 2.0]}]}
    assert parse_command('{"do": "go", "step": 3}', state) == ("go", (3,))
    assert parse_command('{"do": "set", "name": "p", "value": 2}', state) == ("set", ("p", 2.0))
    for bad in ('{"do": "go", "step": 0}', '{"do": "set", "name": "p", "value": "2"}', '{"do": "reset"}'):
        with pytest.raises(web_server.CommandError):
            parse_command(bad, state)


# -- in a real browser ---------------------------------------------------------------------
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
WCAG21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is needed for the browser tests (scripts/setup.sh installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def served(live):
    web = start_web(live, remote=False, port=0)
    yield web
    web.close()


def open_page(browser, url, phone=False):
    page = browser.new_page(viewport={"width": 390, "height": 844} if phone else {"width": 1200, "height": 800})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.errors = errors
    return page


@pytest.mark.slow
def test_next_on_the_remote_changes_the_rooms_picture(browser, live, served):
    page = open_page(browser, served.control_url, phone=True)
    page.wait_for_selector("body[data-connection=connected]")
    assert page.text_content("#position") == "Step 1 of 3" and page.text_content("#notes") == "Say hello."
    assert centre(live.windows.grab(), 32, 20) == COLOURS[0][0]
    page.click("#next")
    until(live, lambda: live.presenter.step == 1, what="the remote's Next to reach the show")
    assert [centre(live.windows.grab(), x, 20) for x in (32, 96, 160)] == COLOURS[1]
    expect(page.locator("#position")).to_have_text("Step 2 of 3")  # (CSP: no eval, so no wait_for_function)
    assert page.text_content("#next-title") == "3. Step 3"
    page.click("#steps button[data-step='3']")  # the jump list
    until(live, lambda: live.presenter.step == 2)
    assert centre(live.windows.grab(), 32, 20) == COLOURS[2][0]
    page.click("#blackout")
    until(live, lambda: live.presenter.blackout)
    assert live.windows.grab().max() == 0
    page.wait_for_selector("#blackout[aria-pressed=true]")
    assert "Blackout" in page.text_content("#flags")
    expect(page.locator("#announce")).to_contain_text("Blackout on")  # the live region says so
    assert page.errors == []
    page.close()


def _pano_colour(page) -> np.ndarray:
    shot = Image.open(io.BytesIO(page.locator("#pano").screenshot())).convert("RGB")
    pixels = np.asarray(shot).astype(int)
    h, w, _ = pixels.shape
    return pixels[h // 2 - 20:h // 2 + 20, w // 2 - 60:w // 2 + 60].reshape(-1, 3)


@pytest.mark.slow
def test_the_watch_pages_view_changes_with_the_step(browser, live, served):
    page = open_page(browser, served.watch_url)
    page.wait_for_selector("#pano[data-shown='1']", timeout=15000)
    before = _pano_colour(page)
    assert np.abs(np.median(before, axis=0) - VIEW_COLOURS[0]).max() < 30  # the JPEG's red, through WebGL
    box = page.locator("#pano").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)  # look round a little: the new picture must keep the direction
    page.mouse.down()
    page.mouse.move(x - 200, y + 40, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)  # the drag's inertia settles
    looking = page.evaluate("[window.bridgeViewer.getYaw(), window.bridgeViewer.getPitch()]")
    assert abs(looking[0]) > 5 and abs(looking[1]) > 1
    live.key("Right")
    live.tick()
    page.wait_for_selector("#pano[data-shown='2']", timeout=15000)
    assert page.evaluate("[window.bridgeViewer.getYaw(), window.bridgeViewer.getPitch()]") == pytest.approx(looking, abs=2)
    after = _pano_colour(page)
    assert np.abs(np.median(after, axis=0) - VIEW_COLOURS[1]).max() < 30
    assert np.abs(after.mean(axis=0) - before.mean(axis=0)).max() > 60
    assert page.text_content("#now") == "Step 2" and page.text_content("#position") == "Step 2 of 3"
    live.key("b")
    live.tick()
    page.wait_for_selector("#cover:not([hidden])")
    assert "Blackout" in page.text_content("#cover")
    assert page.errors == []
    page.close()


@pytest.mark.slow
def test_a_remote_reconnects_after_the_server_restarts_and_says_when_its_link_is_stale(browser, live):
    web = start_web(live, remote=False, port=0)
    port = web.port
    page = open_page(browser, web.control_url, phone=True)
    try:
        page.wait_for_selector("body[data-connection=connected]")
        web.close()
        page.wait_for_selector("body[data-connection=reconnecting]", timeout=10000)
        web = start_web(live, remote=False, port=port, tokens=web.tokens)  # the same show, back again
        page.wait_for_selector("body[data-connection=connected]", timeout=15000)
        page.click("#next")
        until(live, lambda: live.presenter.step == 1, what="Next after the reconnection")
        web.close()
        web = start_web(live, remote=False, port=port)  # a restarted show: new tokens
        page.wait_for_selector("body[data-connection=stale]", timeout=15000)
        assert "earlier show" in page.text_content("#connection") or "restarted" in page.text_content("#connection")
        assert page.is_disabled("#next")
    finally:
        web.close()
        page.close()


def _axe(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG21_AA)
    assert len(results.response["passes"]) > 10  # axe did run its rules
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.slow
def test_axe_finds_no_wcag21_aa_violations_on_either_page(browser, asking_live):
    live = asking_live
    web = start_web(live, remote=False, port=0)
    try:
        remote = open_page(browser, web.control_url, phone=True)
        remote.wait_for_selector("body[data-connection=connected]")
        remote.wait_for_selector("#questions:not([hidden]) select")
        _axe(remote)
        remote.fill("#p0-search", "lud")  # the choice's search box narrows the list
        assert remote.locator("#p0-input option").all_text_contents() == ["Ludlow North"]
        remote.select_option("#p0-input", label="Ludlow North")
        until(live, lambda: live.presenter.chosen.get("ward") == "Ludlow North", what="the picked ward")
        remote.focus("#p1-input")
        remote.keyboard.press("ArrowRight")  # the number's slider: 5 -> 6 areas
        until(live, lambda: live.presenter.chosen.get("top") == 6.0, what="the slider's value")
        remote.click("#p2-input")
        until(live, lambda: live.presenter.chosen.get("cold_only") is True, what="the toggle")
        expect(remote.locator("#p2-now")).to_contain_text("homes hard to heat")
        remote.focus("#next")
        _axe(remote)  # with values picked live (reset buttons shown) and focus on a button
        watch = open_page(browser, web.watch_url)
        watch.wait_for_selector("#pano[data-shown]", timeout=15000)
        expect(watch.locator("#params")).to_contain_text("Ludlow North")
        _axe(watch)
        live.key("b")
        live.tick()
        watch.wait_for_selector("#cover:not([hidden])")
        _axe(watch)
        assert remote.errors == [] and watch.errors == []
    finally:
        web.close()


def test_https_with_the_operators_certificate_and_clear_errors_for_a_bad_one(live, tmp_path):
    import ssl

    import httpx
    import trustme

    from bridge.web.server import check_tls

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    tls = check_tls(tmp_path / "cert.pem", tmp_path / "key.pem")
    web = start_web(live, remote=False, port=0, tls=tls)
    try:
        assert web.links()[0].startswith(f"remote (control): https://127.0.0.1:{web.port}/remote?token=")
        trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        page = httpx.get(web.control_url, verify=trusted, timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
        with pytest.raises(httpx.HTTPError):  # the token never crosses the network in clear text
            httpx.get(web.control_url.replace("https://", "http://"), timeout=5)
    finally:
        web.close()
    (tmp_path / "other.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    for cert_path, key_path, fragment in [
            (tmp_path / "cert.pem", None, "--tls-cert and --tls-key go together"),
            (tmp_path / "cert.pem", tmp_path / "missing.pem", "--tls-key: "),
            (tmp_path / "cert.pem", tmp_path / "other.pem", "not a PEM certificate and its matching private key"),
            (tmp_path / "ca.pem", tmp_path / "key.pem", "not a PEM certificate and its matching private key")]:
        with pytest.raises(BridgeError) as info:
            check_tls(cert_path, key_path)
        assert fragment in str(info.value), str(info.value)


# -- what a presenter with a phone and a councillor on the watch page found (issue 25) --------
def _param(live, name):
    return next(p for p in live.web_state()["params"] if p["name"] == name)


@pytest.mark.slow
def test_the_remote_shows_live_titles_the_last_answer_and_a_parameter_the_step_does_not_use(browser, story_live):
    live = story_live
    web = start_web(live, remote=False, port=0)
    try:
        remote = open_page(browser, web.control_url, phone=True)
        remote.wait_for_selector("#questions:not([hidden]) select")
        # Picked and reset within a second: the status follows the last answer, never sticks.
        remote.select_option("#p0-input", label="Oswestry")
        until(live, lambda: live.answerer.asked == 1)
        remote.click("#p0-reset")  # within a second: the worker is still on the first question
        until(live, lambda: live.answerer.asked == 2, what="both questions")
        expect(remote.locator("#status")).to_have_text("answering: ward: back to All of Shropshire…")
        live.answerer.answers.append(Answer(ask=2, step=0, how="unchanged"))
        until(live, lambda: live.status == "ready")
        expect(remote.locator("#status")).to_have_text("")
        # The title follows the value picked live, on the remote, its jump list and the watch page.
        remote.click("#steps button[data-step='2']")
        until(live, lambda: live.presenter.step == 1)
        expect(remote.locator("#now")).to_have_text("Areas to visit in Clun")
        remote.select_option("#p0-input", label="Oswestry")
        until(live, lambda: live.presenter.chosen == {"ward": "Oswestry"})
        expect(remote.locator("#now")).to_have_text("Areas to visit in Oswestry")
        expect(remote.locator("#steps button[data-step='2']")).to_have_text("2. Areas to visit in Oswestry")
        watch = open_page(browser, web.watch_url)
        expect(watch.locator("#now")).to_have_text("Areas to visit in Oswestry")
        # A step that does not use the parameter says so, and where it applies.
        remote.click("#steps button[data-step='3']")
        until(live, lambda: live.presenter.step == 2)
        expect(remote.locator("#p0-use")).to_have_text("Step 3 does not use ward: it changes steps 1 and 2.")
        expect(remote.locator("#p1-use")).to_have_text("Step 3 does not use top: it changes step 1.")
        expect(watch.locator("#params")).to_contain_text("Oswestry (asked live); this step does not use it")
        remote.click("#steps button[data-step='1']")
        until(live, lambda: live.presenter.step == 0)
        expect(remote.locator("#p0-use")).to_have_text("")
        assert remote.errors == [] and watch.errors == []
    finally:
        web.close()


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


@pytest.mark.slow
def test_the_remote_keeps_focus_brings_the_new_title_into_view_and_has_rows_a_finger_can_pick(browser, asking_live):
    live = asking_live
    web = start_web(live, remote=False, port=0)
    try:
        remote = open_page(browser, web.control_url, phone=True)
        remote.wait_for_selector("#questions:not([hidden]) select")
        # Every row and control at least 44 px tall (the ward rows were 20 px).
        heights = remote.evaluate("""[...document.querySelectorAll(
            'main button:not([hidden]), main option, main input')].map(e => [e.id || e.textContent, e.getBoundingClientRect().height])""")
        assert len(heights) > 10 and all(h >= 44 for _, h in heights), [x for x in heights if x[1] < 44]
        # A jump from the list (below the fold on a phone) brings the new title into view.
        remote.locator("#steps button[data-step='2']").scroll_into_view_if_needed()
        expect(remote.locator("#now")).not_to_be_in_viewport()
        remote.click("#steps button[data-step='2']")
        until(live, lambda: live.presenter.step == 1)
        expect(remote.locator("#now")).to_have_text("Step 2")
        expect(remote.locator("#now")).to_be_in_viewport()
        assert _focused(remote) == "now"
        # Next pressed on the last-but-one step is disabled under the finger: focus goes to Previous.
        remote.focus("#next")
        remote.keyboard.press("Enter")
        until(live, lambda: live.presenter.step == 2)
        expect(remote.locator("#next")).to_be_disabled()
        assert _focused(remote) == "previous"
        # A search, a value picked from it, then the reset button: it hides, focus goes to the list,
        # and the search is cleared so the list shows every ward with the step's own picked.
        remote.fill("#p0-search", "lud")
        remote.select_option("#p0-input", label="Ludlow North")
        until(live, lambda: live.presenter.chosen.get("ward") == "Ludlow North")
        # The show has the answer; the page shows its reset button once the show's state reaches it
        # (a moment later on a busy machine): Enter on a button still hidden would go nowhere.
        expect(remote.locator("#p0-reset")).to_be_visible()
        remote.focus("#p0-reset")
        remote.keyboard.press("Enter")
        until(live, lambda: live.presenter.chosen == {})
        expect(remote.locator("#p0-reset")).to_be_hidden()
        assert _focused(remote) == "p0-input"
        assert remote.input_value("#p0-search") == ""
        assert remote.locator("#p0-input option").all_text_contents() == PARAMS[0]["labels"]
        assert remote.input_value("#p0-input") == "0"  # All of Shropshire, selected
        assert remote.errors == []
    finally:
        web.close()


def _looking(page) -> list[float]:
    return page.evaluate("[window.bridgeViewer.getYaw(), window.bridgeViewer.getPitch()]")


@pytest.mark.slow
def test_the_watch_page_turns_to_each_steps_content_unless_the_viewer_looked_round(browser, story_live):
    live = story_live
    web = start_web(live, remote=False, port=0)
    try:
        page = open_page(browser, web.watch_url)
        page.wait_for_selector("#pano[data-shown='1']", timeout=15000)
        assert _looking(page) == pytest.approx([-60, 0], abs=1)  # step 1's content, not straight ahead
        live.key("Right")
        live.tick()
        page.wait_for_selector("#pano[data-shown='2']", timeout=15000)
        assert _looking(page) == pytest.approx([120, 10], abs=1)
        box = page.locator("#pano").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)  # the viewer looks round: the next step keeps their direction
        page.mouse.down()
        page.mouse.move(x - 200, y + 40, steps=5)
        page.mouse.up()
        page.wait_for_timeout(300)
        looking = _looking(page)
        assert abs(looking[0] - 120) > 5
        live.key("Left")
        live.tick()
        page.wait_for_selector("#pano[data-shown='3']", timeout=15000)
        assert _looking(page) == pytest.approx(looking, abs=2)
        live.key("Right")  # a step later, not looked round since: it turns again
        live.tick()
        page.wait_for_selector("#pano[data-shown='4']", timeout=15000)
        assert _looking(page) == pytest.approx([120, 10], abs=1)
        assert page.errors == []
    finally:
        web.close()


@pytest.mark.slow
def test_every_viewer_control_is_reachable_and_works_by_keyboard(browser, live, served):
    page = open_page(browser, served.watch_url)
    page.wait_for_selector("#pano[data-shown='1']", timeout=15000)
    reached = []
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.id"))
    assert {"Zoom in", "Zoom out", "Full screen"} <= set(reached), reached
    page.focus(".pnlm-zoom-in")
    hfov = page.evaluate("window.bridgeViewer.getHfov()")
    page.keyboard.press("Enter")
    assert page.evaluate("window.bridgeViewer.getHfov()") < hfov
    page.focus(".pnlm-zoom-out")
    page.keyboard.press(" ")
    assert page.evaluate("window.bridgeViewer.getHfov()") == pytest.approx(hfov)
    page.evaluate("""window.fullscreenClicks = 0;
        document.querySelector('.pnlm-fullscreen-toggle-button').addEventListener('click', () => window.fullscreenClicks++)""")
    page.focus(".pnlm-fullscreen-toggle-button")
    page.keyboard.press("Enter")
    assert page.evaluate("window.fullscreenClicks") == 1
    _axe(page)
    assert page.errors == []
    page.close()


@pytest.mark.slow
def test_a_page_of_a_show_started_again_with_port_0_finds_it_and_says_its_link_is_stale(browser, live):
    web = start_web(live, remote=False, port=0)
    page = open_page(browser, web.control_url, phone=True)
    try:
        page.wait_for_selector("body[data-connection=connected]")
        web.close()
        page.wait_for_selector("body[data-connection=reconnecting]", timeout=10000)
        page.wait_for_selector("body[data-connection=lost]", timeout=20000)  # said plainly, after a while
        assert "not answering at this address" in page.text_content("#connection")
        web = start_web(live, remote=False, port=0)  # the show started again: new tokens, the same port
        page.evaluate("window.dispatchEvent(new Event('online'))")  # try now, not after the backoff
        page.wait_for_selector("body[data-connection=stale]", timeout=15000)
        assert "earlier show" in page.text_content("#connection")
        assert page.is_disabled("#next")
    finally:
        web.close()
        page.close()
