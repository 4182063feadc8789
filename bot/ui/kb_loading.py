"""The page while the help centre loads for the first time (`make run` loads it beside the app), and
the staff KB page's bar for any ingest in progress.

While an ingest run fills an empty store, the KB holds only part of the help centre: answering from
it would tell customers that things are "not in our help centre" that are on their way. So the
chat shows the run's progress, read from the records (bot.storage.ingest_runs), and its ask box
is disabled; the progress updates by itself, and when the run ends the whole page runs again,
with the chat. An ingest into a store that already answers (an update) changes nothing here:
the app answers from the KB it has until the update is in.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.ingest_runs import IngestProgress, ingest_in_progress

_LOG = logging.getLogger(__name__)
POLL_SECONDS = 2.0  # how often an open page reads the run's progress
WAITING = "You can ask as soon as the help centre has loaded"


def live_run(db: Database, stale_after: timedelta) -> IngestProgress | None:
    """The ingest run in progress (its heartbeat fresh), if any; None also when the records cannot
    be read (the app then goes on as it would without a run)."""
    try:
        return ingest_in_progress(db, stale_after)
    except SQLAlchemyError as err:
        _LOG.error("could not read the ingest's progress: %s", err)
        return None


def first_load(settings: Settings, db: Database) -> IngestProgress | None:
    """The first load of the KB, while it runs; None otherwise."""
    progress = live_run(db, timedelta(seconds=settings.ingest_stale_seconds))
    return progress if progress is not None and progress.first_load else None


def progress_label(progress: IngestProgress, what: str = "Loading the help centre") -> tuple[float, str]:
    """The bar's fraction and its text."""
    planned = progress.chunks_planned
    if not planned:
        return 0.0, f"{what}: getting ready…"
    done = min(progress.chunks_done, planned)
    return done / planned, f"{what}: {done:,} of {planned:,} sections"


def loading_page(settings: Settings, db: Database, title: str) -> None:
    st.title(title)
    load_progress(settings, db)
    st.info(
        "The help centre is being loaded. You can ask your question as soon as it is ready: "
        "this page updates by itself, there is no need to reload it.",
        icon=":material/hourglass_top:",
    )
    st.chat_input(WAITING, disabled=True, key="question-waiting")


@st.fragment(run_every=POLL_SECONDS)
def load_progress(settings: Settings, db: Database) -> None:
    progress = first_load(settings, db)
    if progress is None:  # loaded (or the run stopped): the whole page again, now with the chat
        st.rerun()
    fraction, text = progress_label(progress)
    st.progress(fraction, text=text)


SHOWN = "ingest-progress-shown"  # session key: the run whose bar the staff KB page showed


@st.fragment(run_every=POLL_SECONDS)
def ingest_progress(db: Database, stale_after: timedelta) -> None:
    """Staff: any ingest in progress (an update too). When the run whose bar was shown ends, the whole
    page runs again, with the store's new status."""
    progress = live_run(db, stale_after)
    if progress is None:
        if st.session_state.pop(SHOWN, None) is not None:
            st.rerun()
        return
    st.session_state[SHOWN] = progress.id
    fraction, text = progress_label(progress, "Ingest in progress")
    st.progress(fraction, text=text)
