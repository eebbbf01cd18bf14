"""Serving the preview: the show's web server (bridge/web/server.py) with the preview's page added.

The show's app already serves what the preview needs, with its tokens, rates, security headers
and content security policy: the WebSocket that pushes the state, `/view.jpg` (the 360° view),
the step and parameter commands and the watch page's viewer (`/static/watch.js`, pannellum).  The
preview adds four routes in front of them: its page (`/?token=…`), its own script and style from a
fixed map, the room's overlay (band, projector areas, seams: bridge/preview/overlay.py) and each
projector's image.  Each needs the control token; a page asked for by another host name than the
one it was served on is refused (a web page elsewhere that points a name at 127.0.0.1 reaches
nothing), and by default it listens to this computer alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bridge.errors import BridgeError
from bridge.preview.session import Preview
from bridge.show.web_link import LinkedShow
from bridge.web.app import CSP, SECURITY_HEADERS
from bridge.web.protocol import Tokens
from bridge.web.server import WebServer

STATIC = Path(__file__).resolve().parent / "static"
FILES = {
    "preview.js": ("preview.js", "text/javascript; charset=utf-8"),
    "preview.css": ("preview.css", "text/css; charset=utf-8"),
}
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass
class _Served:
    """What the show's web server needs of a show: its link, and the scene (None: any free port)."""

    web: object
    scene_path: Path | None


def preview_port(scene: str | Path) -> int:
    """The scene's own preview port (10000..19999): the same every time, never its show's (20000..29999)."""
    from bridge.web.server import scene_port

    return scene_port(scene) - 10000


class PreviewPages:
    """The preview's own routes, in front of the show's app."""

    def __init__(self, preview: Preview, tokens: Tokens, remote: bool):
        self.preview, self.tokens, self.remote = preview, tokens, remote
        self.files = {name: (STATIC / path).read_bytes() for name, (path, _) in FILES.items()}
        self.page_html = (STATIC / "preview.html").read_bytes()
        self.overlay: bytes | None = None

    def routes(self) -> list[Route]:
        return [Route("/", self.page, methods=["GET"]),
                Route("/preview/static/{name}", self.static, methods=["GET"]),
                Route("/preview/overlay.json", self.overlay_json, methods=["GET"]),
                Route("/preview/room/{k:int}", self.room_image, methods=["GET"])]

    def _refused(self, request: Request) -> Response | None:
        """Why a request is refused (a foreign host name, a wrong token), or None."""
        host = (request.headers.get("host") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if not self.remote and name not in LOCAL_NAMES:
            return PlainTextResponse("This preview answers only to 127.0.0.1 or localhost.", status_code=403,
                                     headers=SECURITY_HEADERS)
        if self.tokens.role(request.query_params.get("token")) != "control":
            return PlainTextResponse("This link does not open this preview: use the link bridge preview printed.",
                                     status_code=403, headers=SECURITY_HEADERS)
        return None

    async def page(self, request: Request) -> Response:
        refused = self._refused(request)
        return refused or Response(self.page_html, media_type="text/html; charset=utf-8",
                                   headers={**SECURITY_HEADERS, "Content-Security-Policy": CSP})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in FILES:  # a fixed map: no path from the request reaches the disk
            return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        return Response(self.files[name], media_type=FILES[name][1], headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    async def overlay_json(self, request: Request) -> Response:
        from bridge.preview.overlay import room_overlay

        refused = self._refused(request)
        if refused:
            return refused
        if self.overlay is None:
            self.overlay = json.dumps(room_overlay(self.preview.room)).encode()
        return Response(self.overlay, media_type="application/json", headers=SECURITY_HEADERS)

    async def room_image(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        data = self.preview.room_image(request.path_params["k"])
        if data is None:
            return PlainTextResponse("no such projector image yet", status_code=404, headers=SECURITY_HEADERS)
        return Response(data, media_type="image/jpeg", headers=SECURITY_HEADERS)


class PreviewServer:
    """The preview's worker and its web server; `url` is the page, `close()` stops both."""

    def __init__(self, scene: Path, room, size: tuple[int, int], port: int = 0, remote: bool = False):
        self.preview = Preview(scene, room, size)
        try:
            self.server = self._serve(port or preview_port(scene), remote, fallback=port == 0)
        except BaseException:
            self.preview.close()
            raise
        self.pages = PreviewPages(self.preview, self.server.tokens, remote)
        self.server.webapp.app.router.routes[0:0] = self.pages.routes()

    def _serve(self, port: int, remote: bool, fallback: bool) -> WebServer:
        try:
            return WebServer(cast(LinkedShow, _Served(self.preview.web, None)), remote, port)
        except BridgeError:
            if not fallback:
                raise
            return WebServer(cast(LinkedShow, _Served(self.preview.web, None)), remote, 0)

    @property
    def url(self) -> str:
        return f"{self.server.base}/?token={self.server.tokens.control}"

    def close(self) -> None:
        self.server.close()
        self.preview.close()
