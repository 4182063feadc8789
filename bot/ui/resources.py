"""What every session shares, built once per process: settings, the pipeline, the database."""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, get_settings
from bot.intents import Catalogue, load_catalogue
from bot.pipeline import Pipeline, build_pipeline
from bot.storage.db import Database, open_database


def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner="Loading the help centre…")
def pipeline() -> Pipeline:
    return build_pipeline(get_settings())


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
