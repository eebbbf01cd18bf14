"""The room on the web: a phone remote and a look-only watch page for the running show.

`start_web(live, remote, port)` serves a small Starlette app with uvicorn in a daemon thread:

- `/remote?token=CONTROL`: the presenter's phone (steps, notes, blackout, parameters);
- `/watch?token=WATCH`: the room's 360° view in pannellum for someone following on a laptop;
- `/ws?token=…`: one WebSocket per page; the show's state is pushed to every page when it
  changes, and the remote sends its commands over it;
- `/view.jpg?token=…&v=N`: the 360° view of the step the room shows (version N);
- `/api/state` (GET) and `/api/command` (POST): the same state and commands over plain HTTP;
- `/static/NAME`: the pages' own files, from a fixed map (no path from a request is ever opened).

Two random tokens: the control token may do everything, the watch token may only read
(tokens, rates and commands: bridge/web/protocol.py).  The show's loop owns all state: commands go
into `Live`'s inbox (drained by `Live.tick`, through the keys' own entry points) and the
server reads the snapshot the loop publishes (`Live.web_state`), so keys, remotes and the
watch page never disagree.  Incoming messages are bounded in size and rate; anything the
server cannot use is answered with an error to that page, and the show carries on.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import json
import logging
import socket
import threading
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bridge.errors import BridgeError
from bridge.limits import MAX_WEB_PAGES
from bridge.web.protocol import (COMMANDS, MAX_MESSAGE_BYTES, RATE_PER_S, WATCH_FIELDS, Bucket,  # noqa: F401
                                 CommandError, Tokens, parse_command, role_state)

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

WS_HARD_LIMIT = 65536  # uvicorn closes the connection (1009) past this, before the app reads it
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

    def __init__(self, live, tokens: Tokens):
        self.live, self.tokens = live, tokens
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
        self.live.web_listener = self._signal
        task = asyncio.create_task(self._pusher())
        try:
            yield
        finally:
            if self.live.web_listener == self._signal:
                self.live.web_listener = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _signal(self) -> None:
        """Called by the show's loop (another thread) after it publishes a new snapshot."""
        with contextlib.suppress(RuntimeError):  # the server's loop has closed
            self._loop.call_soon_threadsafe(self._changed.set)

    async def _pusher(self) -> None:
        last, beat = None, time.monotonic()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), PUSH_POLL_S)
            self._changed.clear()
            if time.monotonic() - beat >= HEARTBEAT_S:  # pages know the link is alive, even if the show stalls
                beat = time.monotonic()
                for client in list(self.clients):
                    client.reply({"type": "beat"})
            version = self.live.web_version
            if version == last:
                continue
            last = version
            if self.clients:
                state = self.live.web_state()
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
        state = self.live.web_state()
        data = await run_in_threadpool(self.live.view_jpeg, state["shown_step"] - 1)
        if data is None:
            return PlainTextResponse("no 360° view for this step", status_code=404, headers=SECURITY_HEADERS)
        return Response(data, media_type="image/jpeg", headers={**SECURITY_HEADERS, "X-Bridge-Frame": str(state["frame"])})

    async def api_state(self, request: Request) -> Response:
        role = self._role(request)
        if role is None:
            return self._refused(role, "watch")
        return JSONResponse(role_state(self.live.web_state(), role), headers=SECURITY_HEADERS)

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
            action, args = parse_command(body, self.live.web_state())
        except CommandError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if action != "ping" and not self.live.command(action, *args):
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
        client.offer_state(self._state_message(self.live.web_state(), role))
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
            action, args = parse_command(text, self.live.web_state())
        except CommandError as exc:
            client.reply({"type": "error", "code": "bad", "message": str(exc)})
            return
        if action == "ping":
            client.reply({"type": "pong"})
        elif client.role != "control":
            client.reply({"type": "error", "code": "watch", "message": "this is the watch link: it can only look"})
        elif not self.live.command(action, *args):
            client.reply({"type": "error", "code": "busy", "message": "the show is busy; try again"})
        else:
            client.reply({"type": "ok", "do": action})


class _ToBridgeLog(logging.Handler):
    """uvicorn's own warnings go to the show's log, never over the presenter console."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("bridge.web").handle(record)


def _quiet_uvicorn() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [_ToBridgeLog()] if name == "uvicorn" else []
        logger.propagate = name != "uvicorn"
        logger.setLevel(logging.WARNING)


def lan_address() -> str | None:
    """This machine's address on the local network (the route out; no packet is sent), or None."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never answered, only routed
        address = probe.getsockname()[0]
        if address and not address.startswith("127."):
            return address
    with contextlib.suppress(OSError):
        address = socket.gethostbyname(socket.gethostname())
        if not address.startswith("127."):
            return address
    return None


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restarted show may reuse its port at once
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BridgeError(f"--port {port} is in use; pick another with --port") from None
        if exc.errno == errno.EACCES:
            raise BridgeError(f"--port {port}: not allowed to listen there (ports below 1024 need root); "
                              "pick another with --port") from None
        raise BridgeError(f"--port {port}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


class WebServer:
    """The running web server: its links, and `close()`."""

    def __init__(self, live, remote: bool, port: int, tokens: Tokens | None = None, tls: tuple[Path, Path] | None = None):
        import uvicorn

        self.live, self.remote, self.tls = live, remote, tls
        self.tokens = tokens or Tokens.new()
        self.webapp = WebApp(live, self.tokens)
        self._socket = _listen("0.0.0.0" if remote else "127.0.0.1", port)
        self.port = self._socket.getsockname()[1]
        self.lan = lan_address() if remote else None
        self.host = self.lan or "127.0.0.1"
        _quiet_uvicorn()
        config = uvicorn.Config(self.webapp.app, log_config=None, access_log=False, lifespan="on",
                                ws_max_size=WS_HARD_LIMIT, timeout_graceful_shutdown=2, server_header=False,
                                **({"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])} if tls else {}))
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="bridge-web", daemon=True)
        self._failed: BaseException | None = None
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            self.close()
            raise BridgeError(f"--port {self.port}: the web server did not start"
                              + (f" ({self._failed})" if self._failed else ""))
        log.info("web: serving on %s:%d (%s)", "0.0.0.0" if remote else "127.0.0.1", self.port,
                 "local network" if remote else "this machine only")

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by the constructor, or in the log after start
            self._failed = exc
            log.error("web server stopped: %s", exc)

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def control_url(self) -> str:
        return f"{self.base}/remote?token={self.tokens.control}"

    @property
    def watch_url(self) -> str:
        return f"{self.base}/watch?token={self.tokens.watch}"

    def links(self) -> list[str]:
        lines = [f"remote (control): {self.control_url}", f"watch (look only): {self.watch_url}"]
        if self.remote and self.lan is None:
            lines.append("(no local network found: these links work on this machine only)")
        return lines

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            self._socket.close()


def check_port(remote: bool, port: int) -> None:
    """Refuse a port that is not free now (BridgeError), before minutes of preparing the steps."""
    if not 0 <= port <= 65535:
        raise BridgeError(f"--port: {port} is not a port number (0..65535)")
    _listen("0.0.0.0" if remote else "127.0.0.1", port).close()


def check_tls(cert: Path | None, key: Path | None) -> tuple[Path, Path] | None:
    """The certificate and key for https, checked to load together (BridgeError otherwise),
    or None for plain http.  Read as the operator's own files, never a scene's."""
    import ssl

    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise BridgeError("--tls-cert and --tls-key go together: give the certificate (PEM) and its private key (PEM)")
    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not Path(path).is_file():
            raise BridgeError(f"{option}: {path} is not a file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise BridgeError(f"--tls-cert {cert} with --tls-key {key}: not a PEM certificate and its matching "
                          f"private key ({str(exc)[:120]}); a key with a passphrase is not supported") from None
    return Path(cert), Path(key)


def start_web(live, remote: bool = False, port: int = 8765, *, tokens: Tokens | None = None,
              tls: tuple[Path, Path] | None = None) -> WebServer:
    """Serve the remote and the watch page for `live` (a running `bridge.show.live.Live`) in a
    background thread, over https with `tls` (certificate, key: see `check_tls`); BridgeError
    if the port cannot be used."""
    if not 0 <= port <= 65535:
        raise BridgeError(f"--port: {port} is not a port number (0..65535)")
    return WebServer(live, remote, port, tokens, tls)
