import pytest

from bot.safety.input.pii import KINDS, PiiScreen, find_pii, iban_ok, luhn_ok, redact, redact_prefix
from bot.safety.verdict import ScreenContext
from tests.conftest import PLAUSIBLE_DOCS, ROOT


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


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Hi, my name is Jane Doe and my parcel is late", "Hi, my name is [NAME REMOVED] and my parcel is late"),
        ("my name's josé, where is my order", "my name's [NAME REMOVED], where is my order"),
        ("My full name is Mary Ann O'Neill.", "My full name is [NAME REMOVED]."),
        ("I'm called Priya, hello", "I'm called [NAME REMOVED], hello"),
        ("send it to 221B Baker Street please", "send it to [ADDRESS REMOVED] please"),
        ("I live at 1600 Pennsylvania Avenue, Washington", "I live at [ADDRESS REMOVED], Washington"),
        ("deliver to 12 High St. instead", "deliver to [ADDRESS REMOVED] instead"),
        ("my postcode is SW1A 1AA", "my postcode is [POSTCODE REMOVED]"),
        ("London EC1A1BB, flat 2", "London [POSTCODE REMOVED], flat 2"),
        ("Springfield, IL 62704", "Springfield, [POSTCODE REMOVED]"),
        ("zip code: 90210", "zip code: [POSTCODE REMOVED]"),
        ("ZIP 10001-0001", "ZIP [POSTCODE REMOVED]"),
        ("my date of birth is 14/03/1987", "my date of birth is [DATE-OF-BIRTH REMOVED]"),
        ("DOB: 1987-03-14, account locked", "DOB: [DATE-OF-BIRTH REMOVED], account locked"),
        ("I was born on 3rd March 1990.", "I was born on [DATE-OF-BIRTH REMOVED]."),
        ("birthday is March 3, 1990", "birthday is [DATE-OF-BIRTH REMOVED]"),
        ("the CVC is 123", "the CVC is [CVC REMOVED]"),
        ("cvv: 4567 exp 09/27", "cvv: [CVC REMOVED] exp 09/27"),
        ("security code 321, does that help", "security code [CVC REMOVED], does that help"),
        ("my password is hunter2 and I can't log in", "my password is [PASSWORD REMOVED] and I can't log in"),
        ("My new password was 'correct horse' yesterday", "My new password was [PASSWORD REMOVED] yesterday"),
        ("my PIN is 0000", "my PIN is [PASSWORD REMOVED]"),
    ],
)
def test_names_addresses_postcodes_birth_dates_cvcs_and_passwords_are_redacted(text: str, redacted: str) -> None:
    assert redact(text)[0] == redacted


@pytest.mark.parametrize(
    "text",
    [
        "my name is not showing on the invoice",
        "my name is wrong on my account",
        "my password is not working",
        "my password is too short apparently",
        "reset your password in Settings, then sign in again",
        "the CVC is the 3-digit code on the back of your card",
        "returns within 30 days of delivery, until 31 March 2026",
        "we deliver 7 days a week to 3 Nordic countries",
        "Order NH-12345 shipped on 2026-01-04",
        "Pay in 3 instalments: the first on 12 June 2026",
        "browser_version 88.0.4324.146",
        "time:hour `2021-01-27 23:43:10`",
        "Q1 2ND QUARTER",
    ],
)
def test_help_centre_phrasing_is_left_alone(text: str) -> None:
    assert redact(text) == (text, [])


KB_TEXTS = [ROOT / "kb" / "articles", PLAUSIBLE_DOCS]
NEW_KINDS = {"name", "address", "postcode", "date-of-birth", "cvc", "password"}


def kb_detections() -> dict[str, list[str]]:
    """What redaction would remove from every KB article we have (ours and the Plausible help centre)."""
    assert PLAUSIBLE_DOCS.is_dir(), f"the Plausible help centre is missing: {PLAUSIBLE_DOCS}"
    found: dict[str, list[str]] = {}
    for root in KB_TEXTS:
        for path in sorted(root.rglob("*.md")):
            text = path.read_text(encoding="utf-8")
            for kind, start, end in find_pii(text):
                found.setdefault(kind, []).append(text[start:end])
    return found


def test_kb_text_is_not_mangled() -> None:
    found = kb_detections()
    assert not NEW_KINDS & set(found), {k: found[k] for k in NEW_KINDS & set(found)}
    # What remains are real contact details and examples: our support addresses and number, the
    # API docs' example addresses, and one 19-digit id in a link that passes the Luhn check.
    assert {v for v in found["email"] if not v.endswith(("@nordlys-home.example", "@example.com"))} == set()
    assert set(found["phone"]) == {"+44 20 7946 0000"}
    assert found.get("card", []) == ["1311218983912308736"]
    assert set(found) == {"email", "phone", "card"}


def test_a_match_never_starts_inside_a_run_it_could_have_started_earlier() -> None:
    """What keeps the email and key patterns linear: "a.a.a...@x.io" is scanned from its start
    only (with \\b, from after every dot: 100 KB took 23 s)."""
    email = next(k.pattern for k in KINDS if k.name == "email")
    text = "a.b.c.d@example.io"
    assert [email.match(text, i) for i in range(1, 7)] == [None] * 6
    assert email.match(text, 0) is not None
    secret = KINDS[0].pattern
    key = "sk-sk-" + "a" * 24
    assert secret.match(key, 3) is None and secret.match(key, 0) is not None


def test_redact_prefix_reads_only_what_it_keeps_and_never_cuts_a_value() -> None:
    card = "4111 1111 1111 1111"
    text = "x" * 94 + " " + card + " " + "a." * 500_000
    redacted, kinds = redact_prefix(text, 100)
    assert redacted == "x" * 94 + " [CARD REMOVED]" and kinds == ["card"]
    assert redact_prefix("short jane@example.com", 100) == redact("short jane@example.com")
    cut = redact_prefix("my name is Jane Doe", 14)
    assert cut == ("my name is [NAME REMOVED]", ["name"])
