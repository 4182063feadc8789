"""Who is staff, from the ID token's claims: the group, or a verified allowlisted email, for
SAFEDESK_STAFF_SESSION_HOURS after login."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.ui.identity import Staff, login_time, staff_status

NOW = 1_800_000_000.0
HOUR = 3600.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env_file=None, data_dir=tmp_path, staff_emails="Boss@Example.com, ops@example.com")


def claims(**extra: object) -> dict[str, object]:
    return {"sub": "u1", "iat": NOW - HOUR, **extra}


def test_the_email_allowlist_needs_a_verified_email(settings: Settings) -> None:
    assert staff_status(claims(email="boss@example.com", email_verified=True), settings, NOW) is Staff.YES
    assert staff_status(claims(email="boss@example.com", email_verified="true"), settings, NOW) is Staff.YES
    # A provider that lets users type their own email: unverified, or not said, is not staff.
    assert staff_status(claims(email="boss@example.com", email_verified=False), settings, NOW) is Staff.NO
    assert staff_status(claims(email="boss@example.com"), settings, NOW) is Staff.NO
    assert staff_status(claims(email="boss@example.com", email_verified="yes please"), settings, NOW) is Staff.NO
    assert staff_status(claims(email="eve@example.com", email_verified=True), settings, NOW) is Staff.NO


def test_the_staff_group_makes_staff_whatever_the_email(settings: Settings) -> None:
    assert staff_status(claims(groups=["safedesk-staff"]), settings, NOW) is Staff.YES
    assert staff_status(claims(roles="safedesk-staff"), settings, NOW) is Staff.YES
    assert staff_status(claims(groups=["customers"]), settings, NOW) is Staff.NO


def test_staff_status_expires_hours_after_login(settings: Settings) -> None:
    assert settings.staff_session_hours == 12
    staff = claims(groups=["safedesk-staff"], iat=NOW - 11.9 * HOUR)
    assert staff_status(staff, settings, NOW) is Staff.YES
    assert staff_status({**staff, "iat": NOW - 12.1 * HOUR}, settings, NOW) is Staff.EXPIRED
    # auth_time (when the user actually authenticated) wins over iat (when the token was issued).
    relogged = {**staff, "iat": NOW - HOUR, "auth_time": NOW - 13 * HOUR}
    assert staff_status(relogged, settings, NOW) is Staff.EXPIRED
    # No login time at all: staff status cannot be bounded, so it is not given.
    assert staff_status({"sub": "u1", "groups": ["safedesk-staff"]}, settings, NOW) is Staff.EXPIRED
    # Customers never "expire": they are not staff to begin with.
    assert staff_status(claims(iat=NOW - 100 * HOUR), settings, NOW) is Staff.NO


def test_the_staff_session_length_is_a_setting(tmp_path: Path) -> None:
    short = load_settings(env_file=None, data_dir=tmp_path, staff_session_hours=0.5)
    staff = claims(groups=["safedesk-staff"], iat=NOW - HOUR)
    assert staff_status(staff, short, NOW) is Staff.EXPIRED


def test_login_time_reads_numbers_only() -> None:
    assert login_time({"iat": 5}) == 5.0 and login_time({"auth_time": 7.5, "iat": 5}) == 7.5
    assert login_time({"iat": "5"}) is None and login_time({"iat": True}) is None and login_time({}) is None
