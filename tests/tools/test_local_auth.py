"""The local development OpenID provider (devauth/), driven over real HTTP, and the secrets file writer."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import stat
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey

from tools.local_auth import DEVAUTH, ProviderError, _stop, ensure_secrets, running_provider

CLIENT_ID = "safedesk-test"
CLIENT_SECRET = secrets.token_urlsafe(24)
APP = "http://localhost:8599"
REDIRECT_URI = f"{APP}/oauth2callback"
SCOPE = "openid profile email groups"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (DEVAUTH / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("devauth/node_modules is missing: run `npm ci --prefix devauth` (make install does)")
    log = tmp_path_factory.mktemp("devauth") / "devauth.log"
    with running_provider(_free_port(), CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], log) as url:
        yield url


@pytest.fixture(scope="module")
def discovery(issuer: str) -> dict[str, Any]:
    response = httpx.get(f"{issuer}/.well-known/openid-configuration")
    response.raise_for_status()
    return dict(response.json())


def test_discovery_document(issuer: str, discovery: dict[str, Any]) -> None:
    assert discovery["issuer"] == issuer
    assert issuer.startswith("http://localhost:")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint"):
        assert discovery[endpoint].startswith(f"{issuer}/"), endpoint
    assert {"openid", "email", "profile", "groups"} <= set(discovery["scopes_supported"])
    assert {"email", "name", "groups"} <= set(discovery["claims_supported"])
    # Streamlit turns on S256 PKCE exactly when this lists it.
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["response_types_supported"] == ["code"]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _form(html: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden inputs of the first form on a page."""
    action = re.search(r'<form[^>]*action="([^"]*)"', html)
    assert action, html[:2000]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return unescape(action.group(1)), {key: unescape(value) for key, value in hidden.items()}


def _follow(client: httpx.Client, response: httpx.Response, stop_at: str) -> httpx.Response:
    """Follow redirects inside the provider; stop at the first redirect that leaves for `stop_at`."""
    for _ in range(10):
        if not response.is_redirect:
            return response
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(stop_at):
            return response
        response = client.get(location)
    raise AssertionError("too many redirects")


def _log_in(discovery: dict[str, Any], account: str) -> dict[str, Any]:
    """The authorization-code flow as Streamlit (Authlib) runs it; returns the verified ID token claims."""
    state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with httpx.Client(timeout=10) as browser:  # keeps the provider's cookies, like a browser
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "prompt": "login",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        page = _follow(browser, browser.get(discovery["authorization_endpoint"], params=params), REDIRECT_URI)
        assert page.status_code == 200 and 'name="login"' in page.text, page.text[:2000]
        assert "fonts.googleapis.com" not in page.text  # nothing remote for a browser to fetch
        action, fields = _form(page.text)
        fields.update(login=account, password="anything")
        done = _follow(browser, browser.post(urljoin(str(page.url), action), data=fields), REDIRECT_URI)
        # No consent page: the grant is automatic, so the next stop is the app's callback.
        assert done.is_redirect, f"expected the redirect to the app, got {done.status_code}:\n{done.text[:2000]}"
        callback = urlsplit(done.headers["location"])
        query = {key: values[0] for key, values in parse_qs(callback.query).items()}
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT_URI
        assert "error" not in query, query
        assert query["state"] == state
        assert query["iss"] == discovery["issuer"]

    tokens = httpx.post(
        discovery["token_endpoint"],
        auth=(CLIENT_ID, CLIENT_SECRET),  # client_secret_basic, Authlib's default
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set(httpx.get(discovery["jwks_uri"]).json())
    claims = dict(jwt.decode(tokens.json()["id_token"], keys).claims)  # verifies the signature
    assert claims["iss"] == discovery["issuer"]
    assert claims["aud"] == CLIENT_ID
    assert claims["nonce"] == nonce
    return claims


def test_staff_login_puts_profile_and_groups_in_the_id_token(discovery: dict[str, Any]) -> None:
    claims = _log_in(discovery, "staff-anna")
    assert claims["sub"] == "staff-anna"
    assert claims["email"] == "staff-anna@example.test"
    assert claims["email_verified"] is True
    assert claims["name"] == "Staff-anna"
    assert claims["groups"] == ["safedesk-staff"]


def test_other_accounts_have_no_groups(discovery: dict[str, Any]) -> None:
    claims = _log_in(discovery, "alice")
    assert (claims["sub"], claims["email"], claims["name"]) == ("alice", "alice@example.test", "Alice")
    assert claims["groups"] == []


def test_pkce_is_required(discovery: dict[str, Any]) -> None:
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": SCOPE}
    response = httpx.get(discovery["authorization_endpoint"], params=params)
    assert response.is_redirect
    assert "PKCE" in parse_qs(urlsplit(response.headers["location"]).query)["error_description"][0]


def test_select_account_prompt_is_rejected(discovery: dict[str, Any]) -> None:
    """Why secrets.toml sets prompt = "login": Streamlit's default prompt fails here."""
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": SCOPE}
    params |= {"prompt": "select_account", "code_challenge": "x" * 43, "code_challenge_method": "S256"}
    response = httpx.get(discovery["authorization_endpoint"], params=params)
    assert response.is_redirect
    error = parse_qs(urlsplit(response.headers["location"]).query)
    assert (error["error"], error["error_description"]) == (["invalid_request"], ["unsupported prompt value requested"])


def test_logout_returns_to_the_callback(discovery: dict[str, Any]) -> None:
    """Streamlit's st.logout() sends the callback URI as post_logout_redirect_uri."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(
            discovery["end_session_endpoint"],
            params={"client_id": CLIENT_ID, "post_logout_redirect_uri": REDIRECT_URI},
        )
        assert page.status_code == 200, page.text[:2000]
        action, fields = _form(page.text)
        done = browser.post(urljoin(str(page.url), action), data={**fields, "logout": "yes"})
        assert done.is_redirect and done.headers["location"] == REDIRECT_URI, done.text[:2000]


def test_unknown_redirect_uri_is_refused(discovery: dict[str, Any]) -> None:
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": "http://evil.test/cb", "scope": SCOPE}
    response = httpx.get(discovery["authorization_endpoint"], params=params)
    assert response.status_code == 400
    assert "evil.test" not in response.headers.get("location", "")
    assert "fonts.googleapis.com" not in response.text


def _hidden_form_post(browser: httpx.Client, page: httpx.Response, **fields: str) -> httpx.Response:
    action, hidden = _form(page.text)
    return browser.post(urljoin(str(page.url), action), data={**hidden, **fields})


def test_streamlit_login_and_logout_through_devauth(tmp_path: Path) -> None:
    """Streamlit's own auth routes (Authlib) against devauth, with the secrets file ensure_secrets writes.

    Leans on two Streamlit 1.67 internals instead of a browser: st.login() sends the browser to
    /auth/login?provider=<HS256 JWT signed with cookie_secret>, and st.user is the signed `_streamlit_user` cookie.
    """
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    (tmp_path / "app.py").write_text("import streamlit as st\n\nst.write(st.user.to_dict())\n")
    app, provider_port = f"http://localhost:{_free_port()}", _free_port()
    ensure_secrets(tmp_path / ".streamlit" / "secrets.toml", app, f"http://localhost:{provider_port}")
    auth = tomllib.loads((tmp_path / ".streamlit" / "secrets.toml").read_text())["auth"]
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "localhost"]
    cmd += ["--server.port", app.rsplit(":", 1)[1], "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    redirect = [auth["redirect_uri"]]
    with (
        running_provider(provider_port, auth["client_id"], auth["client_secret"], redirect, tmp_path / "devauth.log"),
        (tmp_path / "streamlit.log").open("wb") as log,
    ):
        streamlit = subprocess.Popen(cmd, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not _answers(f"{app}/_stcore/health"):
                log_text = (tmp_path / "streamlit.log").read_text()
                assert streamlit.poll() is None and time.monotonic() < deadline, log_text
                time.sleep(0.2)
            signing_key = OctKey.import_key(auth["cookie_secret"])
            token = jwt.encode({"alg": "HS256"}, {"provider": "default", "exp": int(time.time()) + 120}, signing_key)
            with httpx.Client(timeout=10) as browser:
                to_provider = browser.get(f"{app}/auth/login", params={"provider": token})
                assert to_provider.is_redirect, to_provider.text
                sent = parse_qs(urlsplit(to_provider.headers["location"]).query)
                assert sent["prompt"] == ["login"] and sent["code_challenge_method"] == ["S256"]
                assert sent["scope"] == [SCOPE]

                page = _follow(browser, browser.get(to_provider.headers["location"]), app)
                back = _follow(browser, _hidden_form_post(browser, page, login="staff-anna", password="x"), app)
                assert back.is_redirect, back.text[:2000]
                home = browser.get(back.headers["location"])  # Streamlit's /oauth2callback
                assert home.is_redirect and home.headers["location"] == "/"
                cookie = browser.cookies.get("_streamlit_user")  # (the jar files "localhost" as localhost.local)
                assert cookie, f"Streamlit did not log the user in:\n{(tmp_path / 'streamlit.log').read_text()}"
                signed = decode_signed_value(auth["cookie_secret"], "_streamlit_user", cookie.encode())
                user = json.loads(signed or b"{}")
                assert user["is_logged_in"] is True
                assert (user["email"], user["name"]) == ("staff-anna@example.test", "Staff-anna")
                assert user["groups"] == ["safedesk-staff"]

                # st.logout(): to the provider's end_session with id_token_hint, confirm, back to the callback.
                to_logout = browser.get(f"{app}/auth/logout")
                assert to_logout.is_redirect and "id_token_hint" in to_logout.headers["location"]
                confirm = browser.get(to_logout.headers["location"])
                done = _hidden_form_post(browser, confirm, logout="yes")
                assert done.is_redirect and done.headers["location"] == auth["redirect_uri"], done.text[:2000]
                assert browser.get(done.headers["location"]).headers["location"] == "/"
                assert browser.cookies.get("_streamlit_user") is None
        finally:
            _stop(streamlit)


def test_a_provider_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        with (
            pytest.raises(ProviderError, match=r"(?s)exited with status 1.*cannot listen on 127\.0\.0\.1"),
            running_provider(port, CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], tmp_path / "devauth.log"),
        ):
            pytest.fail("the provider cannot have started")


def test_ensure_secrets_writes_a_private_dev_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / ".streamlit" / "secrets.toml"
    ensure_secrets(path, "http://localhost:8501", "http://localhost:9400")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    auth = tomllib.loads(path.read_text())["auth"]
    assert auth["redirect_uri"] == "http://localhost:8501/oauth2callback"
    assert auth["server_metadata_url"] == "http://localhost:9400/.well-known/openid-configuration"
    assert auth["client_id"] == "safedesk-dev"
    assert len(auth["client_secret"]) >= 32 and len(auth["cookie_secret"]) >= 32
    assert auth["client_secret"] != auth["cookie_secret"]
    assert auth["client_kwargs"] == {"prompt": "login", "scope": "openid profile email groups"}
    assert "written" in capsys.readouterr().out

    other = tmp_path / "other.toml"
    ensure_secrets(other, "http://localhost:8501", "http://localhost:9400")
    assert tomllib.loads(other.read_text())["auth"]["client_secret"] != auth["client_secret"]


def test_ensure_secrets_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "secrets.toml"
    real = '[auth]\nserver_metadata_url = "https://login.example.com/.well-known/openid-configuration"\n'
    path.write_text(real)
    ensure_secrets(path, "http://localhost:8501", "http://localhost:9400")
    assert path.read_text() == real
    assert "left as it is" in capsys.readouterr().out
