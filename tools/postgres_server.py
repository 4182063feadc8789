"""A real, throw-away PostgreSQL server on loopback, for the storage tests and `make run-scaled`.

It runs Debian's server binaries (`apt-get install -y postgresql`; PostgreSQL 15 on bookworm, found
under /usr/lib/postgresql/<version>/bin, or at $SAFEDESK_PG_BIN). `initdb` makes a cluster in a
temporary folder, `postgres` serves it on a free port of 127.0.0.1 (password login, scram-sha-256)
and a Unix socket in the same folder; nothing is installed as a service and nothing outlives the
`with` block.

PostgreSQL refuses to run as root. When the tests run as root (as CI does here), the server runs as
an unprivileged user: `postgres` (which the Debian package creates) or else `nobody`. Python's
`subprocess.Popen(user=..., group=..., extra_groups=[])` drops privileges in the child before exec,
like `setpriv --reuid --regid --clear-groups`, so the pid we hold is the postmaster itself and we can
stop it by that pid. The temporary folder is handed to that user.

Stopping: SIGINT (PostgreSQL's "fast" shutdown, which disconnects clients; its SIGTERM "smart"
shutdown waits for every client to leave), then SIGKILL of the server's own process group (it is
started in a new session) if it has not exited in time.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.processes import free_port, log_tail

APT_PACKAGE = "postgresql"
INSTALL_HINT = f"apt-get install -y {APT_PACKAGE}"
DEFAULT_BIN_GLOB = "/usr/lib/postgresql/*/bin"
UNPRIVILEGED_USERS = ("postgres", "nobody")
SUPERUSER = "safedesk"
DATABASE = "safedesk"


class PostgresServerError(RuntimeError):
    """The throw-away PostgreSQL server could not be set up or did not come up."""


def find_binaries(bin_dir: str | Path | None = None) -> Path:
    """The folder holding `initdb` and `postgres`: $SAFEDESK_PG_BIN, else the newest Debian version."""
    if bin_dir is None:
        bin_dir = os.environ.get("SAFEDESK_PG_BIN") or None
    if bin_dir is not None:
        candidates = [Path(bin_dir)]
    else:
        found = Path("/").glob(DEFAULT_BIN_GLOB.lstrip("/"))
        candidates = sorted(found, key=lambda p: _version_key(p.parent.name), reverse=True)
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in ("initdb", "postgres")):
            return folder
    where = ", ".join(str(c) for c in candidates) or DEFAULT_BIN_GLOB
    raise PostgresServerError(
        f"PostgreSQL server binaries (initdb, postgres) not found in {where}: "
        f"install the Debian package '{APT_PACKAGE}' ({INSTALL_HINT}), or set SAFEDESK_PG_BIN"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)


@dataclass(frozen=True)
class RunAs:
    """Who the server runs as: None for the current (non-root) user."""

    name: str
    uid: int
    gid: int

    def popen_kwargs(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def unprivileged_user() -> RunAs | None:
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(name, entry.pw_uid, entry.pw_gid)
    raise PostgresServerError(f"running as root and none of the users {UNPRIVILEGED_USERS} exists to run PostgreSQL")


def _chown_tree(root: Path, run_as: RunAs) -> None:
    for folder, dirs, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, d) for d in dirs), *(os.path.join(folder, f) for f in files)]:
            os.chown(name, run_as.uid, run_as.gid)


def _accepts_connections(port: int, password: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host="127.0.0.1", port=port, user=SUPERUSER, password=password, dbname="postgres", connect_timeout=2
        ):
            return True
    except psycopg.OperationalError:
        return False


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    """Fast shutdown by pid; if it is still up after `timeout_s`, SIGKILL its process group.

    A clean postmaster exit ends its backends first, so nothing is left in either case.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            # Its own process group (start_new_session): the postmaster and its backends, all at once, so no
            # backend outlives it. Sent while the postmaster is unreaped, so the group id cannot be anyone else's.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def _admin(server_url: str) -> Iterator[Any]:
    """An autocommit connection to the server's maintenance database `postgres`."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname="postgres", autocommit=True
    ) as conn:
        yield conn


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url`; return the URL of the new database."""
    from psycopg import sql
    from sqlalchemy.engine import make_url

    with _admin(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    from psycopg import sql

    with _admin(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def running_postgres(timeout_s: float = 60) -> Iterator[str]:
    """Start a fresh PostgreSQL on a free loopback port; yield `postgresql+psycopg://...@127.0.0.1:PORT/safedesk`."""
    bin_dir = find_binaries()
    run_as = unprivileged_user()
    base = Path(tempfile.mkdtemp(prefix="safedesk-pg-"))
    data, sockets, log_path = base / "data", base / "sock", base / "postgres.log"
    sockets.mkdir()
    password = secrets.token_hex(16)
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    os.chmod(base, 0o700)
    if run_as is not None:
        _chown_tree(base, run_as)
    as_user = run_as.popen_kwargs() if run_as is not None else {}
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    env.pop("PGDATA", None)
    proc: subprocess.Popen[bytes] | None = None
    started = False
    try:
        init = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D", str(data),
                "-U", SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            cwd=base, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False, **as_user,
        )  # fmt: skip
        if init.returncode != 0:
            who = f" as {run_as.name}" if run_as else ""
            output = (init.stdout + init.stderr).decode(errors="replace")[-4000:]
            raise PostgresServerError(f"initdb{who} failed with code {init.returncode}:\n{output}")
        port = free_port()
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
                    str(bin_dir / "postgres"),
                    "-D", str(data),
                    "-p", str(port),
                    "-k", str(sockets),
                    "-c", "listen_addresses=127.0.0.1",
                    # A throw-away cluster: durability off for speed.
                    "-c", "fsync=off",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                ],
                cwd=base, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, **as_user,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while not _accepts_connections(port, password):
            if proc.poll() is not None:
                raise PostgresServerError(f"postgres exited with code {proc.returncode}:\n{log_tail(log_path)}")
            if time.monotonic() > deadline:
                raise PostgresServerError(
                    f"postgres not accepting connections after {timeout_s}s:\n{log_tail(log_path)}"
                )
            time.sleep(0.1)
        server_url = f"postgresql+psycopg://{SUPERUSER}:{password}@127.0.0.1:{port}/postgres"
        url = create_database(server_url, DATABASE)
        started = True
        yield url
    finally:
        if proc is not None:
            _stop(proc)
        if started or proc is None:
            shutil.rmtree(base, ignore_errors=True)  # kept when the server failed to come up: the error shows its log
