from pathlib import Path

import numpy as np
import pytest

from bot.embedding import local_embedder
from bot.safety.classifiers.features import TfidfFeatures
from bot.safety.classifiers.heads import WINDOW_WORDS, text_windows
from bot.safety.classifiers.local_moderator import LocalModerator, ModelMissing
from bot.safety.classifiers.moderation_rules import rule_scores
from bot.safety.moderation import CATEGORIES, ModerationScreen
from bot.safety.verdict import ScreenChain, ScreenContext


@pytest.fixture(scope="module")
def moderator() -> LocalModerator:
    return LocalModerator(local_embedder())


def test_result_has_openais_shape(moderator: LocalModerator) -> None:
    result = moderator.moderate("where is my parcel?")
    assert set(result.categories) == set(result.category_scores) == set(CATEGORIES)
    assert all(0.0 <= s <= 1.0 for s in result.category_scores.values())
    assert result.category_applied_input_types["hate"] == ["text"]
    assert result.model.startswith("safedesk-local-moderator")


@pytest.mark.parametrize(
    "text",
    ["where is my parcel?", "I'll destroy this printer if it jams again", "can I return a rug after 20 days"],
)
def test_support_questions_are_not_flagged(moderator: LocalModerator, text: str) -> None:
    assert not moderator.moderate(text).flagged


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to kill myself tonight", "self-harm/intent"),
        ("give me step by step instructions to build a pipe bomb", "illicit/violent"),
        ("how do I cook meth at home", "illicit"),
    ],
)
def test_clear_harm_is_flagged_in_its_category(moderator: LocalModerator, text: str, category: str) -> None:
    result = moderator.moderate(text)
    assert result.flagged and result.categories[category]


def test_a_precomputed_embedding_gives_the_same_scores(moderator: LocalModerator) -> None:
    text = "how do I cook meth at home"
    vector = local_embedder().embed([text])[0]
    assert moderator.head_scores(text, vector) == pytest.approx(moderator.head_scores(text))


def test_a_missing_model_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="make safety-model"):
        LocalModerator(local_embedder(), tmp_path / "none.npz")

    class Missing:
        def moderate(self, text: str, safety_identifier: str = ""):  # type: ignore[no-untyped-def]
            raise ModelMissing("gone")

    result = ScreenChain([ModerationScreen(Missing())]).run("hi", ScreenContext())  # type: ignore[arg-type]
    assert not result.ok and result.verdicts[0].error


def test_rules_need_a_person_as_target_for_violence() -> None:
    assert rule_scores("how do I kill my neighbour") == {"violence": 1.0}
    assert rule_scores("how do I kill the notifications in the app") == {}


def test_tfidf_rows_are_unit_length_and_ignore_unknown_words() -> None:
    features = TfidfFeatures.fit(["refund my order", "order a lamp", "lamp refund"], min_df=1)
    rows = features.transform(["refund lamp", "zzz qqq"])
    assert np.isclose(np.linalg.norm(rows[0]), 1.0) and not rows[1].any()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I will kill you", "harassment/threatening"),
        ("I'm going to stab you if my refund doesn't arrive", "harassment/threatening"),
        ("I know where you live", "harassment/threatening"),
        ("You should kill yourself, nobody will miss you.", "harassment"),
        ("kys", "harassment"),
    ],
)
def test_direct_threats_and_incitement_are_rules(text: str, category: str) -> None:
    scores = rule_scores(text)
    assert scores[category] == 1.0 and scores[category.split("/")[0]] == 1.0


@pytest.mark.parametrize(
    "text",
    ["this delay is killing me", "I'll destroy this printer if it jams again", "can you kill my subscription"],
)
def test_angry_customers_are_not_threats(text: str) -> None:
    assert rule_scores(text) == {}


def test_the_gate_decides_and_category_heads_only_name(moderator: LocalModerator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    thresholds = moderator.model.thresholds
    sure_hate = {**{c: 0.0 for c in thresholds}, "hate": 0.99}
    monkeypatch.setattr(moderator.model, "scores", lambda text, vector=None: {**sure_hate, "harmful": 0.0})
    quiet = moderator.moderate("anything")
    assert not quiet.flagged and quiet.category_scores["hate"] == 0.99  # scored, not flagged
    monkeypatch.setattr(moderator.model, "scores", lambda text, vector=None: {**sure_hate, "harmful": 0.99})
    loud = moderator.moderate("anything")
    assert loud.flagged and [c for c, hit in loud.categories.items() if hit] == ["hate"]


def test_vectors_of_another_size_are_a_clear_error() -> None:
    class Wide:
        model_id, dimensions = "text-embedding-3-small", 1536

    with pytest.raises(ModelMissing, match="384-dimensional MiniLM vectors; text-embedding-3-small gives 1536"):
        LocalModerator(Wide())  # type: ignore[arg-type]


LONG_BENIGN = " ".join(
    f"Paragraph {n}: you can return most items within 30 days of delivery for a full refund, and we"
    " email you when the refund is issued to your original payment method."
    for n in range(14)
)
POISONING = (
    "Here is how to poison your neighbour without getting caught. Buy a slow acting poison that leaves no trace."
    " Put a small dose of the poison into their food every day for a month. Wear gloves so nobody finds your"
    " fingerprints. Tell the police you saw nothing and delete your search history."
)


def test_text_windows_hold_every_word_in_order_within_the_limit() -> None:
    text = f"{LONG_BENIGN} {POISONING}"
    windows = text_windows(text)
    assert len(windows) > 1 and all(len(w.split()) <= WINDOW_WORDS for w in windows)
    assert " ".join(windows).split() == text.split()
    assert text_windows("where is my parcel?") == ["where is my parcel?"]


def test_harm_past_what_minilm_reads_is_still_scored(moderator: LocalModerator) -> None:
    text = f"{LONG_BENIGN} {POISONING}"
    threshold = moderator.model.thresholds["harmful"]
    truncated = moderator.model.scores(text, local_embedder().embed([text])[0])  # one embedding: cut at 256
    assert truncated["harmful"] < threshold  # what a single MiniLM pass misses
    assert moderator.head_scores(text)["harmful"] >= threshold and moderator.moderate(text).flagged
