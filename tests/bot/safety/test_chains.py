"""Which screens run, and in which order, comes from the settings (a rails configuration)."""

from __future__ import annotations

import pytest

from bot.config import INPUT_SCREENS, OUTPUT_SCREENS, Settings, SettingsError, load_settings
from bot.embedding import local_embedder
from bot.safety.chains import input_chain, output_chain, stream_screens
from bot.safety.classifiers.local_moderator import LocalModerator
from bot.safety.verdict import ScreenChain, ScreenContext


def names(chain: ScreenChain) -> list[str]:
    return [screen.name for screen in chain.screens]


@pytest.fixture(scope="module")
def moderator() -> LocalModerator:
    return LocalModerator(local_embedder())


def test_the_default_chains_run_in_the_designed_order(settings: Settings, moderator: LocalModerator) -> None:
    embedder = moderator.model.embedder
    assert names(input_chain(settings, moderator)) == list(INPUT_SCREENS)
    assert names(input_chain(settings, moderator)) == ["normalize", "limits", "moderation-in", "injection", "pii"]
    assert names(output_chain(settings, moderator, embedder)) == list(OUTPUT_SCREENS)
    streamed = stream_screens(settings, moderator, embedder)
    assert names(streamed.sentence) == ["leakage", "citations", "groundedness", "sanitize"]
    assert names(streamed.moderation) == ["moderation-out"]
    assert names(streamed.whole) == ["groundedness", "leakage", "citations", "sanitize"]


def test_the_settings_choose_the_screens_and_their_order(
    settings: Settings, moderator: LocalModerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEDESK_INPUT_SCREENS", "pii, normalize")
    monkeypatch.setenv("SAFEDESK_OUTPUT_SCREENS", "sanitize,citations")
    custom = load_settings(env_file=None, data_dir=settings.data_dir)
    embedder = moderator.model.embedder
    chain = input_chain(custom, moderator)
    assert names(chain) == ["pii", "normalize"]
    result = chain.run("mail me at a\u200bb@example.com", ScreenContext())
    assert result.ok and [v.screen for v in result.verdicts] == ["pii", "normalize"]
    assert names(output_chain(custom, moderator, embedder)) == ["sanitize", "citations"]
    streamed = stream_screens(custom, moderator, embedder)
    assert names(streamed.sentence) == ["citations", "sanitize"] and not streamed.moderation.screens
    assert names(streamed.whole) == ["sanitize", "citations"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SAFEDESK_INPUT_SCREENS", "normalize,spellcheck", "unknown screen(s) spellcheck"),
        ("SAFEDESK_OUTPUT_SCREENS", "pii", "unknown screen(s) pii"),
        ("SAFEDESK_OUTPUT_SCREENS", "leakage,leakage", "named twice"),
    ],
)
def test_an_unknown_or_repeated_screen_stops_the_program_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    assert variable in str(err.value) and message in str(err.value)
