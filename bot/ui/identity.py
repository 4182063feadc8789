"""Who is using the app: from `st.user` (OIDC, via `st.login`), or a guest's session."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import streamlit as st

from bot.config import Settings
from bot.identity import User

STAFF_EXPIRED = (
    "Your staff session has expired, so you see the app as a customer. Log out and log in again to use the staff pages."
)


class Staff(Enum):
    NO = "no"
    YES = "yes"
    EXPIRED = "expired"  # staff by their claims, but they logged in too long ago


@dataclass(frozen=True)
class Visitor:
    user: User
    name: str  # for display only; never sent anywhere or stored
    staff_expired: bool = False  # staff whose staff session ran out: treated as a customer until they log in again


def staff_status(claims: Mapping[str, Any], settings: Settings, now: float | None = None) -> Staff:
    """Staff by the configured OIDC group, or by the email allowlist when the provider says it
    verified the email (a provider that lets users set their own email would make anyone staff).

    Staff status lasts `SAFEDESK_STAFF_SESSION_HOURS` from login (the ID token's `auth_time`, or
    its `iat`): the login cookie lives 30 days, and group membership is only read at login."""
    groups = claims.get("groups") or claims.get("roles") or []
    if isinstance(groups, str):
        groups = [groups]
    allowlist = {e.strip().lower() for e in settings.staff_emails.split(",") if e.strip()}
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") is True or str(claims.get("email_verified")).lower() == "true"
    if not (settings.staff_group in groups or (bool(email) and verified and email in allowlist)):
        return Staff.NO
    logged_in_at = login_time(claims)
    now = time.time() if now is None else now
    if logged_in_at is None or now - logged_in_at > settings.staff_session_hours * 3600:
        return Staff.EXPIRED
    return Staff.YES


def login_time(claims: Mapping[str, Any]) -> float | None:
    """When the user logged in (seconds since the epoch), from the ID token; None if it does not say."""
    for claim in ("auth_time", "iat"):
        value = claims.get(claim)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def current_visitor(settings: Settings) -> Visitor | None:
    """The logged-in user, a guest (when allowed and chosen), or None."""
    if st.user.is_logged_in:
        claims = st.user.to_dict()
        subject = str(claims.get("sub") or "")
        if not subject:
            return None
        issuer = str(claims.get("iss") or "")
        staff = staff_status(claims, settings)
        user = User(f"{issuer}|{subject}" if issuer else subject, staff=staff is Staff.YES)
        name = str(claims.get("name") or claims.get("email") or "you")
        return Visitor(user, name, staff_expired=staff is Staff.EXPIRED)
    if settings.guest_mode and st.session_state.get("guest_id"):
        return Visitor(User(f"guest:{st.session_state['guest_id']}", guest=True), "Guest")
    return None


def start_guest_session() -> None:
    st.session_state["guest_id"] = uuid.uuid4().hex
