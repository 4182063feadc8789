"""What every session shares, built once per process: the pipeline, the database, the catalogue.

The app passes its settings in; they are not part of the cache key (one process, one configuration).
"""

from __future__ import annotations

import streamlit as st

from bot.config import Settings
from bot.intents import Catalogue, load_catalogue
from bot.pipeline import Pipeline
from bot.storage.db import Database, open_database
from bot.wiring import build_pipeline


@st.cache_resource(show_spinner="Loading the help centre…")
def pipeline(_settings: Settings) -> Pipeline:
    return build_pipeline(_settings)


@st.cache_resource
def database(_settings: Settings) -> Database:
    return open_database(_settings)


@st.cache_resource
def catalogue(_settings: Settings) -> Catalogue:
    return load_catalogue(_settings.intents_file)
