import hashlib
import hmac
import multiprocessing
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.identity import SECRET_FILE, safety_identifier, server_secret


def test_identifier_is_hmac_sha256_hex_of_the_stable_id() -> None:
    expected = hmac.new(b"server-secret", b"oidc|sub-123", hashlib.sha256).hexdigest()
    identifier = safety_identifier(b"server-secret", "oidc|sub-123")
    assert identifier == expected
    assert len(identifier) == 64 and int(identifier, 16) >= 0


def test_identifier_depends_on_secret_and_user_and_never_contains_them() -> None:
    a = safety_identifier(b"s1", "alice@example.com")
    assert a != safety_identifier(b"s2", "alice@example.com")
    assert a != safety_identifier(b"s1", "bob@example.com")
    assert "alice" not in a and "example" not in a


def test_an_empty_user_id_is_refused() -> None:
    with pytest.raises(ValueError):
        safety_identifier(b"s", "")


def make_settings(data_dir: Path, **overrides: object):  # type: ignore[no-untyped-def]
    return load_settings(env_file=None, data_dir=data_dir, **overrides)


def test_configured_secret_is_used(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key="configured-secret")
    assert server_secret(settings) == b"configured-secret"
    assert not (tmp_path / SECRET_FILE).exists()


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = server_secret(settings)
    assert len(first) == 64
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert server_secret(make_settings(tmp_path)) == first


def _secret_in_child(data_dir: str) -> bytes:
    return server_secret(make_settings(Path(data_dir)))


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        secrets = pool.map(_secret_in_child, [str(tmp_path)] * 8)
    assert len(set(secrets)) == 1
    assert list(tmp_path.iterdir()) == [tmp_path / SECRET_FILE]
