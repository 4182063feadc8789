"""The real engines together, on loopback: a Chroma server with the KB ingested into it, a PostgreSQL
for the records, the development OpenID provider, and two app processes sharing all three.

    python -m tools.run_scaled [--ports 8501 8502] [--provider-port 9400]

(`make run-scaled`). Each app process has a data folder of its own (data/scaled/app-N): everything
they share is on the servers, as it would be behind a load balancer: the KB in Chroma, the records,
rate limits and strikes in PostgreSQL, and the login (one cookie secret, one server secret for the
hashed user ids). PostgreSQL is a throw-away cluster (tools/postgres_server.py): its records go when
this stops; the Chroma store is kept in data/scaled/chroma, so a second start re-ingests only changes.
Settings come from the environment and .env as for `make run`; CHROMA_HOST, CHROMA_PORT and
DATABASE_URL are set here.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools.app_server import ROOT, Login, running_app, write_secrets
from tools.chroma_server import running_chroma_server
from tools.local_auth import running_provider
from tools.postgres_server import running_postgres

CLIENT_ID = "safedesk-scaled"
INGEST_SECONDS = 1800


@dataclass(frozen=True)
class Scaled:
    app_urls: list[str]  # http://localhost:<port>, one per app process
    apps: list[subprocess.Popen[bytes]]
    chroma_port: int
    database_url: str  # holds the throw-away cluster's password


@contextmanager
def running_scaled(
    home: Path, env: Mapping[str, str], app_ports: Sequence[int], provider_port: int
) -> Iterator[Scaled]:
    """Start everything with `env` (the settings), ingest the KB into Chroma, and stop it all by pid at the end."""
    home.mkdir(parents=True, exist_ok=True)
    with running_postgres() as database_url, running_chroma_server(home / "chroma") as chroma_port:
        shared = {
            **env,
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(chroma_port),
            "DATABASE_URL": database_url,
            # Every process must hash a user's id alike to find their records, limits and strikes.
            "SAFEDESK_SECRET_KEY": env.get("SAFEDESK_SECRET_KEY") or secrets.token_urlsafe(32),
        }
        ingest_env = {**shared, "SAFEDESK_DATA_DIR": str(home / "ingest")}
        subprocess.run(
            [sys.executable, "-m", "ingest", "--prune"], cwd=ROOT, env=ingest_env, check=True, timeout=INGEST_SECONDS
        )
        urls = [f"http://localhost:{port}" for port in app_ports]
        login = Login(provider_port, CLIENT_ID, secrets.token_urlsafe(24), secrets.token_urlsafe(32))
        redirects = [f"{url}/oauth2callback" for url in urls]
        with (
            running_provider(provider_port, CLIENT_ID, login.client_secret, redirects, home / "devauth.log"),
            ExitStack() as stack,
        ):
            apps = []
            for n, (port, url) in enumerate(zip(app_ports, urls, strict=True), start=1):
                folder = home / f"app-{n}"
                app_env = {
                    **shared,
                    "SAFEDESK_DATA_DIR": str(folder),
                    "STREAMLIT_SECRETS_FILES": str(write_secrets(folder / "secrets.toml", url, login)),
                }
                apps.append(stack.enter_context(running_app(port, app_env, folder / "streamlit.log")))
            yield Scaled(urls, apps, chroma_port, database_url)


def _raise_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the context managers, which stop every server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_scaled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", type=int, nargs="+", default=[8501, 8502], help="the app processes' ports")
    parser.add_argument("--provider-port", type=int, default=9400, help="devauth's port (default 9400)")
    args = parser.parse_args(argv)
    from dotenv import load_dotenv

    env_file = os.environ.get("SAFEDESK_ENV_FILE", ".env")
    if env_file and Path(env_file).is_file():
        load_dotenv(env_file, override=False)
    home = Path(os.environ.get("SAFEDESK_DATA_DIR") or ROOT / "data") / "scaled"
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with running_scaled(home, dict(os.environ), args.ports, args.provider_port) as scaled:
            print(f"Chroma server: 127.0.0.1:{scaled.chroma_port}; PostgreSQL: throw-away, on loopback")
            for url, app in zip(scaled.app_urls, scaled.apps, strict=True):
                print(f"SafeDesk: {url} (pid {app.pid})")
            print(f"devauth: http://localhost:{args.provider_port}; sign in with any account id. Ctrl-C stops all.")
            while all(app.poll() is None for app in scaled.apps):  # until Ctrl-C, or an app process ends
                time.sleep(1)
            print("an app process ended: stopping the others", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
