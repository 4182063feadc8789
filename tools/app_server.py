"""One app process (`streamlit run app.py`) on loopback, logging in through the development OpenID
provider (tools.local_auth): its secrets file, its start (waits for Streamlit's health check) and its
stop by pid. Used by `make run-scaled` (two processes) and bench/bench_load.py."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tools.local_auth import SCOPES
from tools.processes import log_tail, stop

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 180  # the first start loads the embedding model and the KB snapshot


class AppError(RuntimeError):
    """The app process did not come up."""


@dataclass(frozen=True)
class Login:
    """What every app process shares with the provider: one client, and one cookie secret, so that behind a
    load balancer (one origin) a login cookie made by one process is read by every other."""

    provider_port: int
    client_id: str
    client_secret: str
    cookie_secret: str


def write_secrets(path: Path, app_url: str, login: Login) -> Path:
    """The `[auth]` secrets file of one app process, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{login.cookie_secret}"\n'
        f'client_id = "{login.client_id}"\n'
        f'client_secret = "{login.client_secret}"\n'
        f'server_metadata_url = "http://localhost:{login.provider_port}/.well-known/openid-configuration"\n'
        # oidc-provider rejects Streamlit's default prompt=select_account.
        f'client_kwargs = {{ prompt = "login", scope = "{SCOPES}" }}\n'
    )
    path.chmod(0o600)
    return path


@contextmanager
def running_app(port: int, env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`streamlit run app.py` on 127.0.0.1:<port> with `env` (settings and STREAMLIT_SECRETS_FILES) while
    the block runs; yields the process once it answers its health check."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches the launcher, which stops it by pid
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(port):
            if app.poll() is not None or time.monotonic() > deadline:
                raise AppError(f"the app on port {port} did not start; {log}:\n{log_tail(log, 3000)}")
            time.sleep(0.25)
        yield app
    finally:
        stop(app)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
