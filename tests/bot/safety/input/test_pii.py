import pytest

from bot.safety.input.pii import PiiScreen, iban_ok, luhn_ok, redact
from bot.safety.verdict import ScreenContext


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my card is 4111 1111 1111 1111", "card"),
        ("card 5500-0000-0000-0004 expired", "card"),
        ("write to jane.doe+shop@example.co.uk", "email"),
        ("call +44 20 7946 0958 after 5", "phone"),
        ("my number is 07700 900123", "phone"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "iban"),
        ("IBAN DE89370400440532013000", "iban"),
        ("SSN 123-45-6789", "national-id"),
        ("NI number AB 12 34 56 C", "national-id"),
        ("my key is sk-proj-abcdefghijklmnopqrstuvwxyz123456", "secret"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "secret"),
        ("AKIAIOSFODNN7EXAMPLE is my aws id", "secret"),
        ("password: hunter2hunter2", "secret"),
    ],
)
def test_personal_data_and_secrets_are_redacted(text: str, kind: str) -> None:
    redacted, kinds = redact(text)
    assert kind in kinds
    assert f"[{kind.upper()} REMOVED]" in redacted


@pytest.mark.parametrize(
    "text",
    [
        "order NH-12345678 never arrived",
        "card ending 4242",
        "4111 1111 1111 1112",  # fails Luhn
        "in 2026 we sold 1234567890 lamps",
        "returns within 30 days, 14:00 CET",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact(text) == (text, [])


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")


def test_the_screen_redacts_and_tells_the_user_but_does_not_block() -> None:
    verdict = PiiScreen().check("refund to card 4111111111111111 please", ScreenContext())
    assert verdict.ok
    assert "4111" not in verdict.text and "[CARD REMOVED]" in verdict.text
    assert "don't share" in verdict.user_message
    assert verdict.scores == {"card": 1.0}
