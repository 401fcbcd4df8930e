"""A throw-away PostgreSQL server for the tests that run the CRM system on PostgreSQL.

The server is the machine's own (Debian/Ubuntu: ``apt install postgresql``), started in a temporary
folder on a free port with trust authentication on the loopback address only, and removed afterwards.
PostgreSQL refuses to run as root, so as root (CI) the server runs as the ``postgres`` user that
Debian's package creates. When no server is installed, :func:`server_programs` says why and the tests
skip with that message (``CRMLAB_REQUIRE_POSTGRES=1``, set by ``.ci/run``, makes them fail instead).

pytest-postgresql was considered: it starts ``pg_ctl`` as the current user, which fails as root.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def server_programs() -> tuple[Path | None, str]:
    """The folder with initdb and pg_ctl, and an empty reason; or None and why the tests cannot run."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg is not installed (python kit.py test installs it)"
    candidates = [os.environ.get("CRMLAB_PG_BIN")]
    try:
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    except OSError:
        pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates.append(str(Path(shutil.which("initdb") or "/nonexistent").parent))
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            if os.geteuid() == 0 and not _has_user("postgres"):
                return None, "running as root, and there is no 'postgres' user to run the server as"
            return Path(folder), ""
    return None, ("no PostgreSQL server on this machine: the SQLite tests of the CRM system ran, the PostgreSQL ones "
                  "need a server. On Debian or Ubuntu: sudo apt install postgresql; elsewhere set CRMLAB_PG_BIN to "
                  "the folder holding initdb and pg_ctl")


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl start in a temporary folder; :meth:`new_database` gives each test its own database."""

    def __init__(self, programs: Path, *, max_connections: int = 120):
        self.programs = programs
        self.folder = Path(tempfile.mkdtemp(prefix="crmlab-pg-"))
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", "crmlab", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}")
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")
        self.data = data

    def _run(self, program, *args):
        command = [str(self.programs / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            log = self.folder / "server.log"
            raise RuntimeError(f"{program} failed: {result.stderr or result.stdout}"
                               + (f"\nserver log:\n{log.read_text()}" if log.exists() else ""))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://crmlab@127.0.0.1:{self.port}/{database}"

    def new_database(self, *, template: str | None = None) -> str:
        """A new database on the server, empty or a copy of ``template`` (no one may be connected to it);
        returns its URL."""
        import psycopg

        name = "crm_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=crmlab dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def stop(self):
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
