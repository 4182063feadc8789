"""Local login for development: the devauth OpenID provider (devauth/) beside the Streamlit app.

    python -m tools.local_auth run-app [--port 8501] [--provider-port 9400] [--secrets FILE] [--load-kb]

writes `.streamlit/secrets.toml` (or FILE) for the dev provider if there is none, starts the provider
on loopback, runs the app in the foreground, and stops the provider when the app exits. A secrets
file that points at another identity provider is used as it is, without devauth. With `--load-kb`
(`make run`), `python -m ingest --prune` loads the KB beside the app (tools.background_ingest): the
page comes up at once and shows the load's progress; the ingest is stopped by its pid with the app.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tools.background_ingest import background_ingest

ROOT = Path(__file__).resolve().parents[1]
DEVAUTH = ROOT / "devauth"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
CLIENT_ID = "safedesk-dev"
SCOPES = "openid profile email groups"
DISCOVERY = "/.well-known/openid-configuration"


class ProviderError(RuntimeError):
    """The development provider cannot be started."""


def _toml_string(value: str) -> str:
    # A TOML basic string; our values are URLs, ids and URL-safe tokens.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ensure_secrets(path: Path, app_url: str, provider_url: str) -> None:
    """Write a secrets file for the dev provider unless one exists (a real provider's config is never touched)."""
    if path.exists():
        print(f"{path}: exists, left as it is")
        return
    values = {
        "redirect_uri": f"{app_url.rstrip('/')}/oauth2callback",
        "cookie_secret": secrets.token_urlsafe(32),
        "client_id": CLIENT_ID,
        "client_secret": secrets.token_urlsafe(32),
        "server_metadata_url": f"{provider_url.rstrip('/')}{DISCOVERY}",
    }
    lines = [
        "# Written by `python -m tools.local_auth` for the local development OpenID provider (devauth/).",
        "# To use a real identity provider, replace this file: it is never overwritten.",
        "[auth]",
        *(f"{key} = {_toml_string(value)}" for key, value in values.items()),
        # oidc-provider rejects Streamlit's default prompt=select_account.
        f'client_kwargs = {{ prompt = "login", scope = {_toml_string(SCOPES)} }}',
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"{path}: exists, left as it is")
        return
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    print(f"{path}: written for the dev provider at {provider_url} (client {CLIENT_ID}, new random secrets)")


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(proc: subprocess.Popen[Any], grace: float = 5.0) -> int:
    """SIGTERM the process by pid, wait, SIGKILL if it lingers; returns its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


@contextmanager
def running_provider(
    port: int,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    log: Path,
    *,
    timeout: float = 20.0,
) -> Iterator[str]:
    """Run devauth on 127.0.0.1:<port> while the block runs; yields its issuer, http://localhost:<port>."""
    node = shutil.which("node")
    if node is None:
        raise ProviderError("Node.js (node) is required for the dev login provider")
    if not (DEVAUTH / "node_modules" / "oidc-provider").is_dir():
        raise ProviderError(f"{DEVAUTH / 'node_modules'} is missing: run `npm ci --prefix devauth`")
    issuer = f"http://localhost:{port}"
    probe = f"http://127.0.0.1:{port}{DISCOVERY}"
    if _answers(probe):
        raise ProviderError(f"something already answers on 127.0.0.1:{port}; stop it or choose another port")
    env = {
        **os.environ,
        "DEVAUTH_PORT": str(port),
        "DEVAUTH_HOST": "127.0.0.1",
        "DEVAUTH_CLIENT_ID": client_id,
        "DEVAUTH_CLIENT_SECRET": client_secret,
        "DEVAUTH_REDIRECT_URIS": ",".join(redirect_uris),
        "NO_COLOR": "1",
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_file:
        proc = subprocess.Popen(
            [node, str(DEVAUTH / "server.mjs")],
            cwd=DEVAUTH,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches the app, not the provider
        )
    try:
        deadline = time.monotonic() + timeout
        while not _answers(probe):
            if proc.poll() is not None:
                raise ProviderError(f"devauth exited with status {proc.returncode}; {log}:\n{_log_tail(log)}")
            if time.monotonic() > deadline:
                raise ProviderError(f"devauth did not answer within {timeout:.0f} s; {log}:\n{_log_tail(log)}")
            time.sleep(0.1)
        yield issuer
    finally:
        _stop(proc)


def _read_auth(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        auth = tomllib.load(file).get("auth")
    if not isinstance(auth, dict):
        raise SystemExit(f"{path} has no [auth] section; add one or delete the file to get a dev one")
    return auth


def _run_foreground(cmd: list[str], env: Mapping[str, str] | None = None) -> int:
    """Run cmd in the terminal's process group; on Ctrl-C let it shut down by itself first."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the child got the same SIGINT
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _stop(proc)
        return 130
    finally:
        if proc.poll() is None:
            _stop(proc)


def _raise_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the context managers, which stop the children


def run_app(port: int, provider_port: int, secrets_file: Path = SECRETS_FILE, load_kb: bool = False) -> int:
    app_url = f"http://localhost:{port}"
    provider_url = f"http://localhost:{provider_port}"
    ensure_secrets(secrets_file, app_url, provider_url)
    auth = _read_auth(secrets_file)
    streamlit = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "localhost"]
    streamlit += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    env = dict(os.environ)
    if secrets_file.resolve() != SECRETS_FILE.resolve():  # Streamlit reads the default one by itself
        env["STREAMLIT_SECRETS_FILES"] = str(secrets_file.resolve())
    data_dir = Path(os.environ.get("SAFEDESK_DATA_DIR") or ROOT / "data")
    metadata = urlsplit(str(auth.get("server_metadata_url", "")))
    devauth = (metadata.hostname, metadata.port) == ("localhost", provider_port)
    redirect_uri = str(auth.get("redirect_uri", ""))
    if devauth and (not auth.get("client_id") or not auth.get("client_secret")):
        raise SystemExit(f"{secrets_file}: [auth] needs client_id and client_secret for devauth")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with ExitStack() as children:  # unwound in reverse: the provider stops, then the ingest
            ingest = children.enter_context(background_ingest(data_dir / "ingest.log")) if load_kb else None
            if not devauth:
                print(f"{secrets_file}: login goes to {metadata.geturl() or 'a named provider'}; devauth not started")
            else:
                if not redirect_uri.startswith(f"{app_url}/"):
                    print(f"warning: redirect_uri {redirect_uri!r} is not on {app_url}: login will not come back here")
                log = data_dir / "devauth.log"
                client = (str(auth["client_id"]), str(auth["client_secret"]))
                children.enter_context(running_provider(provider_port, *client, [redirect_uri], log))
                print(f"devauth: {provider_url} (log {log}); sign in with any account id, staff… ids are staff")
            # The app starts once the run is in the records: its first page already shows the KB loading.
            if ingest is not None and not ingest.wait_until_recorded():
                print("warning: the ingest has not reported its start; the app starts anyway", file=sys.stderr)
            print(f"SafeDesk: open {app_url} (localhost, not 127.0.0.1: the login cookie is per host)", flush=True)
            return _run_foreground(streamlit, env)
    except ProviderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local_auth", description="Local login for development.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run-app", help="the app with the local development OpenID provider")
    run.add_argument("--port", type=int, default=8501, help="the app's port (default 8501)")
    run.add_argument("--provider-port", type=int, default=9400, help="devauth's port (default 9400)")
    run.add_argument(
        "--secrets", type=Path, default=SECRETS_FILE, help="the app's secrets file (default .streamlit/secrets.toml)"
    )
    run.add_argument(
        "--load-kb",
        action="store_true",
        help="run `python -m ingest --prune` beside the app (log: data/ingest.log); the page shows its progress",
    )
    args = parser.parse_args(argv)
    return run_app(args.port, args.provider_port, args.secrets, args.load_kb)


if __name__ == "__main__":
    sys.exit(main())
