"""A read-only PostgreSQL session: statements run with their failures said as located lines, connections reused.

A connection is opened read-only (`default_transaction_read_only=on`, and each transaction READ ONLY)
with the statement timeout (MAX_DB_STATEMENT_S), and kept open for the next read of the same
connection in the same thread (a refresh, a live question), so a re-read costs a query, not a login
and a cold server process.  A kept connection that died is noticed before use and replaced; one that
fails during a read is closed.  Ctrl+C cancels the running statement in the server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bridge import limits
from bridge.data.database.connections import Connection
from bridge.data.database.sql import Sql
from bridge.errors import BridgeError, did_you_mean, shown

if TYPE_CHECKING:
    from bridge.scene.yaml_source import YamlDocument

_kept: dict[tuple, Any] = {}  # (connection string, thread, timeout) -> an open connection
_lock = threading.Lock()


class Run:
    """One connection's statements, each turned into a located line if the database refuses it."""

    def __init__(self, conn, connection: Connection, doc: YamlDocument, here: tuple, key: str):
        self.conn, self.connection, self.doc, self.here, self.key = conn, connection, doc, here, key

    def __call__(self, statement: Sql, key: str | None = None):
        """The cursor after running `statement` (rows not yet fetched)."""
        import psycopg

        query, values = statement.postgres()
        cursor = self.conn.cursor(binary=True)
        try:
            cursor.execute(query, values)
        except KeyboardInterrupt:
            self.conn.cancel_safe()
            raise
        except psycopg.Error as exc:
            if not (self.conn.closed or self.conn.broken):
                self.conn.rollback()
            raise BridgeError(self.doc.problem(self.here + (key or self.key,), self.connection.problem(self.why(exc)))) from None
        return cursor

    def why(self, exc) -> str:
        """What went wrong, said for the analyst and the operator (the database's own words, shortened)."""
        from psycopg import errors

        said = shown((getattr(exc.diag, "message_primary", None) or str(exc)).strip().splitlines()[0], 160)
        if isinstance(exc, errors.QueryCanceled):
            return (f"the query ran longer than {limits.MAX_DB_STATEMENT_S} s (MAX_DB_STATEMENT_S) and was stopped; "
                    "filter or count in the database (where:, aggregate:), or ask for an index")
        if isinstance(exc, errors.UndefinedTable):
            return f"{said}{self.tables_hint(exc)}"
        if isinstance(exc, errors.ReadOnlySqlTransaction):
            return f"refused by the database: {said} (Bridge's connections are read-only)"
        if isinstance(exc, errors.InsufficientPrivilege):
            return f"{said}; the operator grants SELECT on it to the connection's user"
        if self.conn.closed or self.conn.broken or isinstance(exc, errors.OperationalError):
            return f"the connection was lost ({said}); check that the database is up, then run again"
        return said

    def tables_hint(self, exc) -> str:
        import psycopg

        try:
            with self.conn.cursor() as cursor:
                cursor.execute("SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 LIMIT 200")
                names = [row[0] for row in cursor.fetchall()]
        except psycopg.Error:
            return ""
        missing = str(getattr(exc.diag, "message_primary", "")).split('"')
        wanted = missing[1] if len(missing) > 2 else ""
        return f"{did_you_mean(wanted, names)}; tables and views it can read: {', '.join(names[:12]) or 'none'}"


@contextmanager
def session(connection: Connection, doc: YamlDocument, here: tuple, key: str) -> Iterator[Run]:
    """A read-only connection with the statement timeout: a kept one if it is alive, else a new one."""
    conn = _connection(connection, doc, here)
    try:
        yield Run(conn, connection, doc, here, key)
    except BaseException:
        _forget(conn)
        raise
    finally:
        if not (conn.closed or conn.broken):
            conn.rollback()  # ends the read-only transaction; the connection waits for the next read


def _connection(connection: Connection, doc: YamlDocument, here: tuple):
    import psycopg

    timeout_ms = int(limits.MAX_DB_STATEMENT_S * 1000)
    key = (connection.conninfo, threading.get_ident(), timeout_ms)
    with _lock:
        kept = _kept.pop(key, None)
    if kept is not None and not (kept.closed or kept.broken):
        try:
            kept.execute("SELECT 1")
            kept.rollback()
            with _lock:
                _kept[key] = kept
            return kept
        except psycopg.Error:
            kept.close()
    options = (f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms} "
               f"-c idle_in_transaction_session_timeout={timeout_ms} -c jit=off")  # JIT costs seconds, saves none here
    try:
        conn = psycopg.connect(connection.conninfo, options=options, connect_timeout=limits.MAX_DB_CONNECT_S,
                               application_name="bridge")
    except psycopg.Error as exc:
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        said = connection.problem(f"cannot connect: {shown(said, 200)}")
        raise BridgeError(doc.problem(here + ("connection",), said)) from None
    conn.read_only = True
    with _lock:
        _kept[key] = conn
    return conn


def _forget(conn) -> None:
    """Close a connection a read failed on, and keep it no longer."""
    with _lock:
        for key in [k for k, v in _kept.items() if v is conn]:
            del _kept[key]
    conn.close()
