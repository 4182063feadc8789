import pytest

from bot.config import Settings
from bot.safety.input.limits import LengthScreen
from bot.safety.verdict import ScreenContext
from bot.tokens import Tokenizer


@pytest.fixture
def tokenizer(settings: Settings) -> Tokenizer:
    return Tokenizer.from_settings(settings)


def test_within_limits_passes_with_counts(tokenizer: Tokenizer) -> None:
    verdict = LengthScreen(100, 50, tokenizer).check("Where is my parcel?", ScreenContext())
    assert verdict.ok and verdict.scores["tokens"] == 5 and verdict.scores["chars"] == 19


def test_too_many_characters_is_a_clear_message(tokenizer: Tokenizer) -> None:
    verdict = LengthScreen(20, 50, tokenizer).check("x" * 21, ScreenContext())
    assert not verdict.ok and "21 characters" in verdict.user_message and "20" in verdict.user_message


def test_too_many_tokens_is_refused_even_when_short_in_characters(tokenizer: Tokenizer) -> None:
    text = " ".join(["📦"] * 30)  # few characters, many tokens
    verdict = LengthScreen(1000, 20, tokenizer).check(text, ScreenContext())
    assert not verdict.ok and "too long" in verdict.user_message


def test_empty_input_is_refused(tokenizer: Tokenizer) -> None:
    assert not LengthScreen(10, 10, tokenizer).check("   ", ScreenContext()).ok
