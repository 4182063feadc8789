"""The page a visitor sees before logging in."""

from __future__ import annotations

import streamlit as st

from bot.config import Settings
from bot.ui.identity import start_guest_session

NOT_CONFIGURED = (
    "Login is not configured. Run `make run` (it starts a local development identity provider), "
    "or configure your identity provider in `.streamlit/secrets.toml` as the README explains."
)


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def login_page(settings: Settings) -> None:
    st.title(f"{settings.company_name} help")
    st.write(
        f"Ask our assistant about orders, delivery, returns, payments and your account. "
        f"It answers from the {settings.company_name} help centre and shows where each answer comes from."
    )
    if auth_configured():
        st.button("Log in", type="primary", on_click=st.login, icon=":material/login:")
    else:
        st.error(NOT_CONFIGURED)
    if settings.guest_mode:
        st.button("Continue as a guest", on_click=start_guest_session)
        st.caption("As a guest, your conversation is linked to this browser session only.")
