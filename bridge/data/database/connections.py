"""Database connections: a scene names one (`connection: gis`), the operator defines it outside the scene.

Scenes are emailed around and shown in public, so they never hold a host, a user or a password.
The operator defines each connection in the environment (`BRIDGE_CONNECTION_GIS="service=gis"` or a
`postgresql://` URL; `BRIDGE_CONNECTION_GIS_ALLOW_SQL=true` lets scenes send their own `query:`), or in
the connections file, `$XDG_CONFIG_HOME/bridge/connections.yaml` (else `~/.config/bridge/`), which must
be readable by its owner alone (mode 0600).  libpq's own service file (`~/.pg_service.conf`) and
password file (`~/.pgpass`) apply as usual: a definition may name a `service:` and leave the password
out.  Every message here names the connection and where it was defined, never its password or its
connection string (`redact`).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bridge.errors import BridgeError

ENV_PREFIX = "BRIDGE_CONNECTION_"
# libpq keywords a definition in the connections file may give (https://www.postgresql.org/docs/15/libpq-connect.html)
KEYWORDS = ("service", "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode",
            "sslrootcert", "sslcert", "sslkey", "application_name", "target_session_attrs")
FIX_MODE = "chmod 600"


@dataclass(frozen=True)
class Connection:
    """A connection as the operator defined it; `conninfo` is never shown (repr hides it)."""

    name: str
    where: str  # where it was defined, for messages: an environment variable or the connections file
    allow_sql: bool = False
    conninfo: str = field(default="", repr=False)

    def problem(self, message: str) -> str:
        """A message about this connection, with any secret the driver put in it removed."""
        return f"connection '{self.name}' ({self.where}): {redact(message, self.conninfo)}"


def config_file() -> Path:
    """The operator's connections file: $XDG_CONFIG_HOME/bridge/connections.yaml, else ~/.config/bridge/."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bridge" / "connections.yaml"


def env_name(name: str) -> str:
    """The environment variable that defines connection `name`: gis → BRIDGE_CONNECTION_GIS."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def resolve(name: str) -> Connection:
    """The operator's definition of connection `name`: the environment's, else the connections file's."""
    variable = env_name(name)
    if os.environ.get(variable):
        allow = os.environ.get(variable + "_ALLOW_SQL", "").strip().lower() in ("1", "true", "yes", "on")
        return Connection(name, f"environment variable {variable}", allow, _conninfo(os.environ[variable], name, variable))
    path = config_file()
    defined = _read_file(path) if path.exists() else {}
    if name not in defined:
        known = ", ".join(sorted(defined)) or "none"
        raise BridgeError(f"no connection '{name}' is defined on this machine (connections defined: {known}); "
                          f"the operator defines it in {path} (mode 600) or in the environment variable {variable}, "
                          "e.g. service=gis or postgresql://user@host/dbname (see docs/operator.md, Databases)")
    entry = defined[name]
    where = f"{path}, entry {name}"
    if not isinstance(entry, dict):
        return Connection(name, where, False, _conninfo(str(entry), name, where))
    unknown = sorted(set(entry) - set(KEYWORDS) - {"url", "allow_sql"})
    if unknown:
        raise BridgeError(f"{where}: unknown key {unknown[0]!r}; a connection takes url, allow_sql and "
                          f"libpq keywords ({', '.join(KEYWORDS)})")
    from psycopg.conninfo import make_conninfo

    parts = {key: str(value) for key, value in entry.items() if key in KEYWORDS and value is not None}
    try:
        conninfo = make_conninfo(str(entry.get("url") or ""), **parts)
    except Exception as exc:  # noqa: BLE001 - psycopg's ProgrammingError for a malformed URL; its text may quote it
        raise BridgeError(f"{where}: not a connection definition ({redact(str(exc), str(entry.get('url') or ''))}); "
                          "give url: postgresql://user@host/dbname or service: NAME") from None
    return Connection(name, where, entry.get("allow_sql") is True, conninfo)


def _conninfo(text: str, name: str, where: str) -> str:
    """A definition's text as a libpq connection string (checked, so a typo is said here, not at connect)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    text = text.strip()
    if re.fullmatch(r"[A-Za-z0-9_.-]+", text) and "=" not in text:
        text = f"service={text}"  # BRIDGE_CONNECTION_GIS=gis names a service of the pg_service file
    try:
        conninfo_to_dict(text)
        return make_conninfo(text)
    except Exception:  # noqa: BLE001 - psycopg's ProgrammingError quotes the text, which may hold a password
        raise BridgeError(f"connection '{name}' ({where}) is not a libpq connection string; give "
                          "service=NAME, host=… dbname=… user=…, or postgresql://user@host/dbname") from None


def _read_file(path: Path) -> dict:
    """The connections file, refused if anyone but its owner can read or write it."""
    from bridge.scene.yaml_source import load_yaml

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise BridgeError(f"cannot read the connections file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BridgeError(f"the connections file {path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
                          f"it may hold passwords, so Bridge will not use it until only you can read it: "
                          f"{FIX_MODE} {path}")
    doc = load_yaml(path, what="connections file")
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        raise BridgeError(doc.problem((), "the connections file maps names to definitions, "
                                          "e.g. gis: {service: gis, allow_sql: false}"))
    return {str(key): value for key, value in doc.data.items()}


_SECRET = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_SECRET = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*(@)", re.IGNORECASE)


def redact(text: str, conninfo: str = "") -> str:
    """`text` with passwords and the connection string taken out (a driver's message may quote them)."""
    secrets = []
    if conninfo:
        secrets.append(conninfo)
        try:
            from psycopg.conninfo import conninfo_to_dict

            password = conninfo_to_dict(conninfo).get("password")
        except Exception:  # noqa: BLE001 - a string that does not parse has no password to find
            password = None
        if password:
            secrets.append(str(password))
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "…")
    text = _SECRET.sub(r"\1…", text)
    return _URL_SECRET.sub(r"\1…\2", text)
