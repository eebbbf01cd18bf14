"""The room on the web: the phone remote and the watch page (bridge/web/server.py; pages in static/).

Modules: `protocol` (tokens, rates, commands), `app` (the Starlette app), `server` (uvicorn,
ports, https, `start_web`).  Import them by name: this file imports none of them.
"""
