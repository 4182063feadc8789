from pathlib import Path

import pytest

from bot.intents import CatalogueError, load_catalogue

ROOT = Path(__file__).resolve().parents[2]


def test_the_sample_catalogue_loads_with_handoffs_and_questions() -> None:
    catalogue = load_catalogue(ROOT / "kb" / "intents.yaml")
    assert len(catalogue.intents) >= 6
    for intent in catalogue.intents:
        assert intent.label and intent.handoff and intent.suggested_questions


def test_lookup_and_membership() -> None:
    catalogue = load_catalogue(ROOT / "tests/fixtures/kb/intents.yaml")
    assert "billing" in catalogue and "all" not in catalogue
    assert catalogue.get("shipping").handoff.startswith("Call")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intents: []", "expected a top-level 'intents:' list"),
        ("intents:\n  - id: x1\n    label: X\n", "missing handoff"),
        ("intents:\n  - {id: all, label: A, handoff: h}\n", "invalid id"),
        ("intents:\n  - {id: ab, label: A, handoff: h}\n  - {id: ab, label: B, handoff: h}\n", "duplicate id"),
        ("intents: [", "not valid YAML"),
    ],
)
def test_malformed_catalogues_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)


def test_missing_catalogue_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="SAFEDESK_INTENTS_FILE"):
        load_catalogue(tmp_path / "nope.yaml")
