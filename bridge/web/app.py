"""The web app for one show: the pages, their WebSockets and the plain-HTTP API, in Starlette.

Every page connects to `/ws` with its token; the show's snapshot is pushed to each page when
it changes (only the newest one waits: a slow page never holds up the others), and a control
page's commands go into the show's inbox.  The app reads and writes the show only through its
typed link (bridge/show/web_link.py): commands in, the snapshot and the 360° view out.  Serving
it (uvicorn, ports, https) is bridge/web/server.py.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bridge.limits import MAX_WEB_PAGES
from bridge.show.web_link import LinkedShow, WebLink
from bridge.web.protocol import MAX_MESSAGE_BYTES, RATE_PER_S, Bucket, CommandError, Tokens, parse_command, role_state

log = logging.getLogger("bridge.web")

STATIC = Path(__file__).resolve().parent / "static"
# The only files the server sends: name in the URL -> (file under STATIC, media type).
FILES = {
    "bridge.css": ("bridge.css", "text/css; charset=utf-8"),
    "common.js": ("common.js", "text/javascript; charset=utf-8"),
    "remote.js": ("remote.js", "text/javascript; charset=utf-8"),
    "watch.js": ("watch.js", "text/javascript; charset=utf-8"),
    "pannellum.js": ("vendor/pannellum/pannellum.js", "text/javascript; charset=utf-8"),
    "pannellum.css": ("vendor/pannellum/pannellum.css", "text/css; charset=utf-8"),
}
PAGES = {"remote": ("remote.html", "control"), "watch": ("watch.html", "watch")}

MAX_CLIENTS = MAX_WEB_PAGES
CLOSE_BAD_TOKEN = 4401  # the page then says plainly: this link is from another (earlier) show
CLOSE_BUSY = 4429
PUSH_POLL_S = 0.05  # the pusher also looks for a new snapshot 20 times a second
HEARTBEAT_S = 2.0  # a small message to every page this often: a silent link is a dead one
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                    "Cache-Control": "no-store"}


class Client:
    """One connected page: its role, its rate and a sender that never lets it hold up the others."""

    def __init__(self, websocket: WebSocket, role: str, peer: str):
        self.websocket, self.role, self.peer = websocket, role, peer
        self.bucket = Bucket()
        self.warned_rate = False
        self.state: str | None = None  # the newest state not yet sent (older ones are dropped)
        self.replies: collections.deque[str] = collections.deque(maxlen=8)
        self.wake = asyncio.Event()

    def offer_state(self, text: str) -> None:
        self.state = text
        self.wake.set()

    def reply(self, message: dict) -> None:
        self.replies.append(json.dumps(message))
        self.wake.set()

    async def sender(self) -> None:
        with contextlib.suppress(Exception):  # the page went away: the receiving side notices
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.replies:
                    await self.websocket.send_text(self.replies.popleft())
                if self.state is not None:
                    text, self.state = self.state, None
                    await self.websocket.send_text(text)


class WebApp:
    """The Starlette app for one show; `app` is what uvicorn (or a TestClient) serves."""

    def __init__(self, show: LinkedShow, tokens: Tokens):
        self.link: WebLink = show.web
        self.tokens = tokens
        self.clients: set[Client] = set()
        self.files = {name: (STATIC / path).read_bytes() for name, (path, _) in FILES.items()}
        self.pages = {name: (STATIC / path).read_bytes() for name, (path, _) in PAGES.items()}
        self.http_bucket = Bucket()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self.app = Starlette(routes=[
            Route("/remote", self.page, methods=["GET"]),
            Route("/watch", self.page, methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
            Route("/view.jpg", self.view, methods=["GET"]),
            Route("/api/state", self.api_state, methods=["GET"]),
            Route("/api/command", self.api_command, methods=["POST"]),
            WebSocketRoute("/ws", self.websocket),
        ], lifespan=self._lifespan)

    # -- the pusher: new state to every page -----------------------------------------
    @contextlib.asynccontextmanager
    async def _lifespan(self, app):
        self._loop, self._changed = asyncio.get_running_loop(), asyncio.Event()
        self.link.listener = self._signal
        task = asyncio.create_task(self._pusher())
        try:
            yield
        finally:
            if self.link.listener == self._signal:
                self.link.listener = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _signal(self) -> None:
        """Called by the show's loop (another thread) after it publishes a new snapshot."""
        loop, changed = self._loop, self._changed
        assert loop is not None and changed is not None  # _lifespan sets both before it makes this the listener
        with contextlib.suppress(RuntimeError):  # the server's loop has closed
            loop.call_soon_threadsafe(changed.set)

    async def _pusher(self) -> None:
        changed = self._changed
        assert changed is not None  # _lifespan sets it before it starts this task
        last, beat = None, time.monotonic()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), PUSH_POLL_S)
            changed.clear()
            if time.monotonic() - beat >= HEARTBEAT_S:  # pages know the link is alive, even if the show stalls
                beat = time.monotonic()
                for client in list(self.clients):
                    client.reply({"type": "beat"})
            version = self.link.version
            if version == last:
                continue
            last = version
            if self.clients:
                state = self.link.state()
                texts = {role: self._state_message(state, role) for role in ("control", "watch")}
                for client in list(self.clients):
                    client.offer_state(texts[client.role])

    @staticmethod
    def _state_message(state: dict, role: str) -> str:
        return json.dumps({"type": "state", "role": role, "state": role_state(state, role)})

    # -- HTTP ----------------------------------------------------------------------------
    def _role(self, request) -> str | None:
        return self.tokens.role(request.query_params.get("token"))

    @staticmethod
    def _refused(role: str | None, need: str) -> Response:
        if role == "watch" and need == "control":
            text = "This is the watch link: it can only look. The remote needs the control link printed by bridge launch."
        else:
            text = ("This link does not open this show: it is from an earlier show, or mistyped. "
                    "Use the link bridge launch printed when the show started.")
        return PlainTextResponse(text, status_code=403, headers=SECURITY_HEADERS)

    async def page(self, request: Request) -> Response:
        name = request.url.path.strip("/")
        file, need = PAGES[name]
        role = self._role(request)
        if role is None or (need == "control" and role != "control"):
            return self._refused(role, need)
        return Response(self.pages[name], media_type="text/html; charset=utf-8",
                        headers={**SECURITY_HEADERS, "Content-Security-Policy": CSP})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in FILES:  # a fixed map: no path from the request reaches the disk
            return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        return Response(self.files[name], media_type=FILES[name][1],
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    async def view(self, request: Request) -> Response:
        role = self._role(request)
        if role is None:
            return self._refused(role, "watch")
        state = self.link.state()
        data = await run_in_threadpool(self.link.view_jpeg, state["shown_step"] - 1)
        if data is None:
            return PlainTextResponse("no 360° view for this step", status_code=404, headers=SECURITY_HEADERS)
        return Response(data, media_type="image/jpeg", headers={**SECURITY_HEADERS, "X-Bridge-Frame": str(state["frame"])})

    async def api_state(self, request: Request) -> Response:
        role = self._role(request)
        if role is None:
            return self._refused(role, "watch")
        return JSONResponse(role_state(self.link.state(), role), headers=SECURITY_HEADERS)

    async def api_command(self, request: Request) -> Response:
        role = self._role(request)
        if role != "control":
            return self._refused(role, "control")
        if not self.http_bucket.take():
            return JSONResponse({"error": f"too many commands: at most {RATE_PER_S:g} a second"}, status_code=429)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_MESSAGE_BYTES:
                return JSONResponse({"error": f"message too long (at most {MAX_MESSAGE_BYTES} bytes)"}, status_code=413)
        try:
            action, args = parse_command(body, self.link.state())
        except CommandError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if action != "ping" and not self.link.command(action, *args):
            return JSONResponse({"error": "the show is busy; try again"}, status_code=503)
        return JSONResponse({"ok": action}, status_code=202)

    # -- WebSocket ---------------------------------------------------------------------
    @staticmethod
    def _same_origin(websocket: WebSocket) -> bool:
        """A page from another site may not open the socket (it would need the token too)."""
        origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
        if origin is None:
            return True  # not a browser page: the token decides
        return host is not None and origin.split("://", 1)[-1].lower() == host.lower()

    async def websocket(self, websocket: WebSocket) -> None:
        if not self._same_origin(websocket):
            await websocket.close(code=1008)
            return
        role = self.tokens.role(websocket.query_params.get("token"))
        await websocket.accept()
        if role is None:
            await websocket.send_text(json.dumps({"type": "error", "code": "token", "message":
                "This link does not open this show: the show was restarted (new links were printed) or the link is mistyped."}))
            await websocket.close(code=CLOSE_BAD_TOKEN)
            return
        if len(self.clients) >= MAX_CLIENTS:
            await websocket.close(code=CLOSE_BUSY, reason="too many pages connected")
            return
        peer = f"{websocket.client.host}" if websocket.client else "?"
        client = Client(websocket, role, peer)
        self.clients.add(client)
        log.info("web: a %s page connected from %s (%d open)", role, peer, len(self.clients))
        client.offer_state(self._state_message(self.link.state(), role))
        sender = asyncio.create_task(client.sender())
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                self._handle(client, message.get("text"), message.get("bytes"))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.clients.discard(client)
            sender.cancel()
            log.info("web: a %s page from %s went away (%d open)", role, peer, len(self.clients))

    def _handle(self, client: Client, text: str | None, data: bytes | None) -> None:
        if not client.bucket.take():
            if not client.warned_rate:
                client.warned_rate = True
                client.reply({"type": "error", "code": "rate", "message": f"too many messages: at most {RATE_PER_S:g} a second"})
            return
        client.warned_rate = False
        if text is None:
            client.reply({"type": "error", "code": "bad", "message": "send commands as JSON text, not binary"})
            return
        try:
            action, args = parse_command(text, self.link.state())
        except CommandError as exc:
            client.reply({"type": "error", "code": "bad", "message": str(exc)})
            return
        if action == "ping":
            client.reply({"type": "pong"})
        elif client.role != "control":
            client.reply({"type": "error", "code": "watch", "message": "this is the watch link: it can only look"})
        elif not self.link.command(action, *args):
            client.reply({"type": "error", "code": "busy", "message": "the show is busy; try again"})
        else:
            client.reply({"type": "ok", "do": action})
