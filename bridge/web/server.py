"""The room on the web: a phone remote and a look-only watch page for the running show.

`start_web(live, remote, port)` serves a small Starlette app (bridge/web/app.py) with uvicorn
in a daemon thread:

- `/remote?token=CONTROL`: the presenter's phone (steps, notes, blackout, parameters);
- `/watch?token=WATCH`: the room's 360° view in pannellum for someone following on a laptop;
- `/ws?token=…`: one WebSocket per page; the show's state is pushed to every page when it
  changes, and the remote sends its commands over it;
- `/view.jpg?token=…&v=N`: the 360° view of the step the room shows (version N);
- `/api/state` (GET) and `/api/command` (POST): the same state and commands over plain HTTP;
- `/static/NAME`: the pages' own files, from a fixed map (no path from a request is ever opened).

Two random tokens: the control token may do everything, the watch token may only read
(tokens, rates and commands: bridge/web/protocol.py).  The show's loop owns all state: commands go
into the show's inbox (drained by `Live.tick`, through the keys' own entry points) and the
server reads the snapshot the loop publishes, both over the show's typed link
(bridge/show/web_link.py), so keys, remotes and the watch page never disagree.  Incoming
messages are bounded in size and rate; anything the server cannot use is answered with an
error to that page, and the show carries on.  This module runs the server: the port, https,
the links it prints, and uvicorn kept off the presenter's console.

Port 0 asks for the scene's own port (`scene_port`: the same at every launch of that scene, a
free one only when it is taken), so a restarted show is found by the pages of the last one:
they reconnect, and, holding the old show's token, say plainly that their link is stale.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import socket
import threading
import time
from pathlib import Path

from bridge.errors import BridgeError
from bridge.show.web_link import LinkedShow
from bridge.web.app import CLOSE_BAD_TOKEN, WebApp  # noqa: F401
from bridge.web.protocol import MAX_MESSAGE_BYTES, CommandError, Tokens, parse_command  # noqa: F401

log = logging.getLogger("bridge.web")

WS_HARD_LIMIT = 65536  # uvicorn closes the connection (1009) past this, before the app reads it


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


SCENE_PORTS = (20000, 10000)  # port 0: a scene's own port is one of 20000..29999 (below Linux's ephemeral ports)


def scene_port(scene: str | Path) -> int:
    """The port a show of `scene` listens on when asked for port 0: the same at every launch, so the
    pages of a show that was stopped find the show started again in its place."""
    digest = hashlib.sha256(str(Path(scene).resolve()).encode("utf-8", "surrogateescape")).digest()
    return SCENE_PORTS[0] + int.from_bytes(digest[:4], "big") % SCENE_PORTS[1]


def _listen_for(host: str, port: int, scene: Path | None) -> socket.socket:
    """The listening socket: `port`, or for port 0 the scene's own port, else (taken) any free one."""
    if port == 0 and scene is not None:
        with contextlib.suppress(BridgeError):
            return _listen(host, scene_port(scene))
        log.warning("web: this scene's own port %d is taken; the links use a free port instead", scene_port(scene))
    return _listen(host, port)


class WebServer:
    """The running web server: its links, and `close()`."""

    def __init__(self, live: LinkedShow, remote: bool, port: int, tokens: Tokens | None = None,
                 tls: tuple[Path, Path] | None = None):
        import uvicorn

        self.live, self.remote, self.tls = live, remote, tls
        self.tokens = tokens or Tokens.new()
        self.webapp = WebApp(live, self.tokens)
        host = "0.0.0.0" if remote else "127.0.0.1"
        self._socket = _listen_for(host, port, live.scene_path)
        self.port = self._socket.getsockname()[1]
        self.lan = lan_address() if remote else None
        self.host = self.lan or "127.0.0.1"
        _quiet_uvicorn()
        config = uvicorn.Config(self.webapp.app, log_config=None, access_log=False, lifespan="on",
                                ws_max_size=WS_HARD_LIMIT, timeout_graceful_shutdown=2, server_header=False,
                                ssl_certfile=str(tls[0]) if tls else None, ssl_keyfile=str(tls[1]) if tls else None)
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


def start_web(live: LinkedShow, remote: bool = False, port: int = 8765, *, tokens: Tokens | None = None,
              tls: tuple[Path, Path] | None = None) -> WebServer:
    """Serve the remote and the watch page for `live` (a running `bridge.show.live.Live`) in a
    background thread, over https with `tls` (certificate, key: see `check_tls`); BridgeError
    if the port cannot be used."""
    if not 0 <= port <= 65535:
        raise BridgeError(f"--port: {port} is not a port number (0..65535)")
    return WebServer(live, remote, port, tokens, tls)
