"""A throwaway PostgreSQL with PostGIS for the database tests, started once per test session.

Debian's `initdb` and `pg_ctl` (packages postgresql-15 and postgresql-15-postgis-3) make a cluster in a
temporary folder that listens on a Unix socket only (`listen_addresses = ''`).  initdb refuses to run
as root, so under root (CI, containers) the server runs as an unprivileged user: `nobody`.  Two roles:
`postgres` (the owner, which loads the sample) and `reader` (password `reader-secret`, what the scenes
connect as).  The sample's boundaries and tables are loaded by `load_sample` in
scripts/load_sample_postgis.py, the same loader an operator uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("BRIDGE_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER_PASSWORD = "owner-secret"
READER_PASSWORD = "reader-secret"


@dataclass
class PgServer:
    """A running server: its socket folder and port, and conninfo strings for its roles."""

    socket_dir: Path
    port: int
    data_dir: Path

    def conninfo(self, user: str = "reader", password: str | None = READER_PASSWORD, dbname: str = "bridge") -> str:
        text = f"host={self.socket_dir} port={self.port} dbname={dbname} user={user}"
        return text + (f" password={password}" if password is not None else "")

    def owner(self) -> str:
        return self.conninfo("postgres", OWNER_PASSWORD)

    def ctl(self, *args: str) -> None:
        _as_server_user([str(BIN / "pg_ctl"), "-D", str(self.data_dir), *args])


def _as_server_user(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a server command, as `nobody` when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def start(folder: Path) -> PgServer:
    """initdb, configure for a socket only with password authentication, start, create the roles and PostGIS."""
    data_dir, socket_dir = folder / "data", folder / "sock"
    socket_dir.mkdir()
    pwfile = folder / "pw"
    pwfile.write_text(OWNER_PASSWORD + "\n")
    if os.geteuid() == 0:
        for path in (folder, socket_dir, pwfile):
            shutil.chown(path, "nobody", "nogroup")
    _as_server_user([str(BIN / "initdb"), "-D", str(data_dir), "-U", "postgres", "--pwfile", str(pwfile),
                     "--auth-local=scram-sha-256", "--auth-host=reject", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    port = 5432 + (os.getpid() % 1000)  # the socket's name; nothing listens on TCP
    with open(data_dir / "postgresql.conf", "a") as conf:
        conf.write(f"listen_addresses = ''\nunix_socket_directories = '{socket_dir}'\nport = {port}\n"
                   "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 64MB\n"
                   "max_connections = 40\n")
    server = PgServer(socket_dir, port, data_dir)
    server.ctl("-l", str(folder / "log"), "-w", "-t", "30", "start")
    import psycopg

    with psycopg.connect(server.conninfo("postgres", OWNER_PASSWORD, "postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bridge")
    with psycopg.connect(server.owner(), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
        conn.execute(f"CREATE ROLE reader LOGIN PASSWORD '{READER_PASSWORD}'")
        conn.execute("GRANT USAGE ON SCHEMA public TO reader")
        conn.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reader")
        conn.execute("CREATE ROLE writer LOGIN PASSWORD 'writer-secret'")  # to show read-only holds for a role that may write
        conn.execute("GRANT ALL ON SCHEMA public TO writer")
    return server


def load_sample(server: PgServer) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from load_sample_postgis import load_sample as load
    finally:
        sys.path.pop(0)
    load(server.owner(), ROOT / "data" / "sample")
    import psycopg

    with psycopg.connect(server.owner(), autocommit=True) as conn:
        conn.execute("CREATE TABLE scribbles (note text)")  # what a writing query would write to
        conn.execute("CREATE FUNCTION scribble() RETURNS int LANGUAGE sql AS $$ INSERT INTO scribbles VALUES ('x') RETURNING 1 $$")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader, writer")
        conn.execute("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO writer")


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """A PostgreSQL with PostGIS and the sample loaded, shared by every database test of the session."""
    folder = Path(tempfile.mkdtemp(prefix="bridge-pg-"))
    server = None
    try:
        server = start(folder)
        load_sample(server)
        yield server
    finally:
        if server is not None:
            try:
                server.ctl("-m", "immediate", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(folder, ignore_errors=True)
