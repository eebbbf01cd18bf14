"""The room on the web: the phone remote and the watch page (bridge/web/server.py; pages in static/)."""

from bridge.web.server import Tokens, WebServer, check_port, check_tls, start_web

__all__ = ["Tokens", "WebServer", "check_port", "check_tls", "start_web"]
