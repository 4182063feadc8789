"""Who is using the app: from `st.user` (OIDC, via `st.login`), or a guest's session."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from bot.config import Settings
from bot.identity import User


@dataclass(frozen=True)
class Visitor:
    user: User
    name: str  # for display only; never sent anywhere or stored


def staff_from_claims(claims: Mapping[str, Any], settings: Settings) -> bool:
    """Staff by the configured OIDC group, or by the email allowlist."""
    groups = claims.get("groups") or claims.get("roles") or []
    if isinstance(groups, str):
        groups = [groups]
    allowlist = {e.strip().lower() for e in settings.staff_emails.split(",") if e.strip()}
    email = str(claims.get("email") or "").lower()
    return settings.staff_group in groups or (bool(email) and email in allowlist)


def current_visitor(settings: Settings) -> Visitor | None:
    """The logged-in user, a guest (when allowed and chosen), or None."""
    if st.user.is_logged_in:
        claims = st.user.to_dict()
        subject = str(claims.get("sub") or "")
        if not subject:
            return None
        issuer = str(claims.get("iss") or "")
        user = User(f"{issuer}|{subject}" if issuer else subject, staff=staff_from_claims(claims, settings))
        return Visitor(user, str(claims.get("name") or claims.get("email") or "you"))
    if settings.guest_mode and st.session_state.get("guest_id"):
        return Visitor(User(f"guest:{st.session_state['guest_id']}", guest=True), "Guest")
    return None


def start_guest_session() -> None:
    st.session_state["guest_id"] = uuid.uuid4().hex
