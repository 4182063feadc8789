import hashlib
import hmac
import multiprocessing
import os
from pathlib import Path

import pytest

from bot.config import MIN_SECRET_CHARS, Settings, SettingsError, load_settings
from bot.identity import SECRET_FILE, SecretError, safety_identifier, server_secret


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


CONFIGURED = "configured-secret-" + "x" * 32


def test_configured_secret_is_used(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key=CONFIGURED)
    assert server_secret(settings) == CONFIGURED.encode()
    assert not (tmp_path / SECRET_FILE).exists()


def test_a_short_configured_secret_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        make_settings(tmp_path, secret_key="hunter2-short")
    assert "SAFEDESK_SECRET_KEY" in str(refused.value) and f"at least {MIN_SECRET_CHARS}" in str(refused.value)
    assert "hunter2" not in str(refused.value)
    # Built around the validation (model_construct), server_secret still refuses it.
    with pytest.raises(SecretError):
        server_secret(Settings.model_construct(secret_key="short", data_dir=tmp_path))


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = server_secret(settings)
    assert len(first) == 64
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert server_secret(make_settings(tmp_path)) == first


def test_the_secret_and_its_folder_are_created_private_not_chmod_ed_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created with its mode (os.open): with the loosest umask there is no moment it is readable."""

    def no_chmod(*args: object, **kwargs: object) -> None:
        raise AssertionError("chmod after creation: the file was readable by others in between")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    old = os.umask(0)
    try:
        data_dir = tmp_path / "fresh" / "data"
        server_secret(make_settings(data_dir))
    finally:
        os.umask(old)
    assert (data_dir / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert data_dir.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("content", ["", "\n", "abc123"])
def test_an_empty_or_short_secret_file_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / SECRET_FILE).write_text(content)
    with pytest.raises(SecretError, match=str(tmp_path / SECRET_FILE)):
        server_secret(make_settings(tmp_path))


def _secret_in_child(data_dir: str) -> bytes:
    return server_secret(make_settings(Path(data_dir)))


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        secrets = pool.map(_secret_in_child, [str(tmp_path)] * 8)
    assert len(set(secrets)) == 1
    assert list(tmp_path.iterdir()) == [tmp_path / SECRET_FILE]
