from bot.safety.limits import LengthLimit
from bot.safety.verdict import ScreenContext


def test_within_limits_passes_with_counts() -> None:
    verdict = LengthLimit(100, 50).check("Where is my parcel?", ScreenContext())
    assert verdict.ok and verdict.scores["tokens"] == 5 and verdict.scores["chars"] == 19


def test_too_many_characters_is_a_clear_message() -> None:
    verdict = LengthLimit(20, 50).check("x" * 21, ScreenContext())
    assert not verdict.ok and "21 characters" in verdict.user_message and "20" in verdict.user_message


def test_too_many_tokens_is_refused_even_when_short_in_characters() -> None:
    text = " ".join(["📦"] * 30)  # few characters, many tokens
    verdict = LengthLimit(1000, 20).check(text, ScreenContext())
    assert not verdict.ok and "too long" in verdict.user_message


def test_empty_input_is_refused() -> None:
    assert not LengthLimit(10, 10).check("   ", ScreenContext()).ok
