"""What every session shares, built once per process: the pipeline, the database, the catalogue.

The app passes its settings in; they are not part of the cache key (one process, one configuration).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.gate import Gate
from bot.intents import Catalogue, load_catalogue
from bot.pipeline import Pipeline
from bot.storage.db import Database, open_database
from bot.storage.retention import Purged, purge
from bot.wiring import build_pipeline

_LOG = logging.getLogger(__name__)
RECORDS_DOWN = (
    "Sorry, the assistant is unavailable right now because we can't reach our records. "
    "Please try again in a few minutes."
)


@st.cache_resource(show_spinner="Loading the help centre…")
def pipeline(_settings: Settings) -> Pipeline:
    # Limits and strikes live in the records, so every app process behind a load balancer agrees.
    return build_pipeline(_settings, gate=Gate.from_settings(_settings, db=database(_settings)))


@st.cache_resource
def _database(_settings: Settings) -> Database:
    return open_database(_settings)


def database(settings: Settings) -> Database | None:
    """The records database, or None (logged) when it cannot be opened: a failure is not cached,
    so the next page load tries again."""
    try:
        return _database(settings)
    except SQLAlchemyError as err:
        _LOG.error("could not open the records database: %s", err)
        return None


@st.cache_resource
def catalogue(_settings: Settings) -> Catalogue:
    return load_catalogue(_settings.intents_file)


@st.cache_resource(ttl=timedelta(days=1), show_spinner=False)
def daily_purge(_settings: Settings) -> Purged:
    """Retention (SAFEDESK_RETENTION_DAYS), run by the first visit of each day in each process."""
    return purge(database(_settings), _settings.retention_days)
