"""What every session shares, built once per process: settings, the pipeline, the database."""

from __future__ import annotations

import logging
from datetime import timedelta

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, get_settings
from bot.gate import Gate
from bot.intents import Catalogue, load_catalogue
from bot.pipeline import Pipeline, build_pipeline
from bot.storage.db import Database, open_database
from bot.storage.retention import Purged, purge


def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner="Loading the help centre…")
def pipeline() -> Pipeline:
    # Limits and strikes live in the records, so every app process behind a load balancer agrees.
    return build_pipeline(get_settings(), gate=Gate.from_settings(get_settings(), db=database()))


_LOG = logging.getLogger(__name__)
RECORDS_DOWN = (
    "Sorry, the assistant is unavailable right now because we can't reach our records. "
    "Please try again in a few minutes."
)


@st.cache_resource
def _database() -> Database:
    return open_database(get_settings())


def database() -> Database | None:
    """The records database, or None (logged) when it cannot be opened: a failure is not cached,
    so the next page load tries again."""
    try:
        return _database()
    except SQLAlchemyError as err:
        _LOG.error("could not open the records database: %s", err)
        return None


@st.cache_resource
def catalogue() -> Catalogue:
    return load_catalogue(get_settings().intents_file)


@st.cache_resource(ttl=timedelta(days=1), show_spinner=False)
def daily_purge() -> Purged:
    """Retention (SAFEDESK_RETENTION_DAYS), run by the first visit of each day in each process."""
    return purge(database(), get_settings().retention_days)
