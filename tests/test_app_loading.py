"""The app while the KB loads for the first time, with Streamlit's AppTest: a real ingest (real embedder,
embedded Chroma, SQLite) runs in a thread and is held after its first batch, so the page meets a run in
progress as it meets the one `make run` starts beside it. Then the run ends and the chat answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import streamlit as st

from bot import config
from bot.config import Settings
from bot.storage.db import open_database
from bot.storage.ingest_runs import start_ingest_run
from bot.ui.kb_loading import WAITING
from ingest import cli, sync
from tests.test_app import ALICE, STAFF, app, ask, past_notice
from tests.test_app_staff import visit

HOLD_SECONDS = 120  # bounds every wait on the held ingest


@pytest.fixture
def empty_app_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The app's settings, with nothing loaded yet."""
    monkeypatch.setenv("SAFEDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFEDESK_INTENTS_FILE", str(settings.intents_file))
    monkeypatch.setenv("SAFEDESK_COLLECTION", settings.collection)
    config.get_settings.cache_clear()
    st.cache_resource.clear()
    yield settings
    config.get_settings.cache_clear()
    st.cache_resource.clear()


class HeldIngest:
    """`python -m ingest` in a thread, in batches of one article, stopped after its first batch until released."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.first_batch, self.release = threading.Event(), threading.Event()
        self.status: list[int] = []
        write = sync.KBSync._write

        def write_then_hold(kb_sync, batch, flagged):  # type: ignore[no-untyped-def]
            write(kb_sync, batch, flagged)
            if not self.first_batch.is_set():
                self.first_batch.set()
                assert self.release.wait(HOLD_SECONDS), "the test never released the ingest"

        monkeypatch.setattr(sync.KBSync, "_write", write_then_hold)
        monkeypatch.setattr(sync, "BATCH_CHUNKS", 1)
        self.thread = threading.Thread(
            target=lambda: self.status.append(cli.main([str(settings.kb_dir), "--quiet"], settings)), daemon=True
        )

    def __enter__(self) -> HeldIngest:
        self.thread.start()
        assert self.first_batch.wait(HOLD_SECONDS), "the ingest did not write its first batch"
        return self

    def finish(self) -> None:
        self.release.set()
        self.thread.join(HOLD_SECONDS)
        assert self.status == [0]

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(HOLD_SECONDS)


def test_while_the_kb_loads_the_chat_shows_progress_then_answers_once_loaded(
    empty_app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HeldIngest(empty_app_env, monkeypatch) as ingest:
        at = app(ALICE)
        assert "I understand" in [b.label for b in at.button]  # the notice comes first, as always
        past_notice(at)
        (bar,) = at.get("progress")
        # The fixture KB is 8 chunks; its first article (2 chunks) is written, its progress is reported after the write.
        assert bar.proto.text.startswith("Loading the help centre: ") and bar.proto.text.endswith(" of 8 sections")
        assert bar.proto.value < 100
        (box,) = at.chat_input
        assert box.disabled and box.placeholder == WAITING
        assert not at.selectbox  # nothing to ask from a half-loaded help centre
        assert any("being loaded" in i.value for i in at.info)
        assert [b.label for b in at.sidebar.button if b.label == "Report a problem"]  # the sidebar as always

        ingest.finish()
        at.run()  # what the progress fragment's rerun does once the run has finished
        assert not at.exception, at.exception
        assert not at.get("progress")
        ask(at, "billing", "which credit cards can I pay with?")
        assert any("We accept Visa, Mastercard and American Express" in m.value for m in at.markdown)


def test_staff_see_the_progress_on_the_kb_page_too(empty_app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with HeldIngest(empty_app_env, monkeypatch):
        at = visit(past_notice(app(STAFF)), "staff-kb")
        assert at.title[0].value == "Knowledge base"
        assert at.get("progress")[0].proto.text.endswith(" of 8 sections")


def test_a_killed_first_load_does_not_keep_the_page_loading(empty_app_env: Settings) -> None:
    """Its heartbeat stopped longer ago than SAFEDESK_INGEST_STALE_SECONDS: the app goes on with what is stored."""
    assert cli.main([str(empty_app_env.kb_dir), "--quiet"], empty_app_env) == 0
    db = open_database(empty_app_env)
    try:
        stale = timedelta(seconds=empty_app_env.ingest_stale_seconds + 1)
        start_ingest_run(db, started_at=datetime.now(UTC) - stale, by="killed")  # not planned: a first load
    finally:
        db.close()
    at = past_notice(app(ALICE))
    assert not at.get("progress") and at.selectbox(key="intent")
    ask(at, "billing", "which credit cards can I pay with?")
    assert any("We accept Visa" in m.value for m in at.markdown)


def test_a_live_run_on_an_empty_kb_shows_the_page_loading_before_it_has_planned(empty_app_env: Settings) -> None:
    """The other side of the stale rule: a fresh heartbeat, and no run has loaded anything yet."""
    db = open_database(empty_app_env)
    try:
        start_ingest_run(db, started_at=datetime.now(UTC), by="running")
    finally:
        db.close()
    at = past_notice(app(ALICE))
    (bar,) = at.get("progress")
    assert bar.proto.text == "Loading the help centre: getting ready…" and at.chat_input[0].disabled


def test_an_update_of_a_loaded_kb_leaves_the_chat_answering(empty_app_env: Settings) -> None:
    """A run into a KB that answers (here before it has planned) is no reason to stop the chat."""
    assert cli.main([str(empty_app_env.kb_dir), "--quiet"], empty_app_env) == 0
    db = open_database(empty_app_env)
    try:
        start_ingest_run(db, started_at=datetime.now(UTC), by="staff")
    finally:
        db.close()
    at = ask(past_notice(app(ALICE)), "billing", "which credit cards can I pay with?")
    assert not at.get("progress")
    assert any("We accept Visa" in m.value for m in at.markdown)
