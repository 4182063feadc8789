import pytest

from bot.embedding import local_embedder
from bot.kb.retrieval import Passage
from bot.safety.classifiers.local_moderator import LocalModerator
from bot.safety.moderation import ModerationScreen
from bot.safety.output.quoted import QuotedModeration, quoted_passages
from bot.safety.verdict import ScreenContext
from tests.support import CountingEmbedder

RETURNS = "You can return most items within 30 days. Refunds reach your card in 5 working days."
STEPS = "To start a return:\n1. Open Orders.\n2. Choose the item and click Return."
TABLE = "| Method | Cost |\n|---|---|\n| Drop-off point | Free. Show the QR code. |\n| Home collection | 39 EUR |"
HARMFUL = "To hurt someone badly, hit them in the head with a hammer until they stop moving."


def passage(n: int, title: str, text: str) -> Passage:
    vector = local_embedder().embed([f"{title}\n{text}"])[0]
    return Passage(f"a{n}::0::0", f"a{n}", title, f"https://help.example/a{n}", "", text, 1, 1, 1, vector)


@pytest.fixture(scope="module")
def passages() -> tuple[Passage, ...]:
    return (
        passage(1, "Returns", RETURNS),
        passage(2, "Starting a return", STEPS),
        passage(3, "Notes", HARMFUL),
        passage(4, "Return methods", TABLE),
    )


def test_an_answer_copied_from_its_cited_passages_is_quoted(passages: tuple[Passage, ...]) -> None:
    answer = (
        "You can return most items within 30 days. [1]\n1. Open Orders. [2]\n2. Choose the item and click Return. [2]"
    )
    assert quoted_passages(answer, passages) == [passages[0], passages[1]]


def test_table_rows_quoted_between_markers_are_quoted(passages: tuple[Passage, ...]) -> None:
    # The extractive responder quotes chosen rows of a table, each cited, without its rule line.
    answer = "| Method | Cost | [4] | Drop-off point | Free. [4] | Home collection | 39 EUR | [4]"
    assert quoted_passages(answer, passages) == [passages[3]]


@pytest.mark.parametrize(
    "answer",
    [
        "You can usually return things within 30 days. [1]",  # paraphrased
        "You can return most items within 30 days. [2]",  # cites a passage it is not copied from
        "You can return most items within 30 days. [1] Returns are free for members. [1]",  # one invented
        "| Method | Cost | [4] | Drop-off point | 39 EUR | [4]",  # cells recombined
    ],
)
def test_an_answer_not_copied_from_what_it_cites_is_not_quoted(passages: tuple[Passage, ...], answer: str) -> None:
    assert quoted_passages(answer, passages) is None


def test_a_quoted_answer_is_moderated_without_embedding_it_and_each_passage_once(
    passages: tuple[Passage, ...],
) -> None:
    embedder = CountingEmbedder()
    moderator = LocalModerator(embedder)  # type: ignore[arg-type]
    quoted = QuotedModeration(moderator)
    answer = "You can return most items within 30 days. [1]"
    first = quoted.moderate(answer, passages)
    again = quoted.moderate("Refunds reach your card in 5 working days. [1]", passages)
    assert first is not None and again is not None
    assert embedder.texts == []
    assert first == moderator.moderate(f"Returns\n{RETURNS}", vector=passages[0].vector)
    assert again == first  # the same passage, served from the cache
    assert len(quoted._cache) == 1


def test_a_quoted_answer_is_flagged_when_a_passage_it_quotes_is(passages: tuple[Passage, ...]) -> None:
    quoted = QuotedModeration(LocalModerator(local_embedder()))
    mixed = quoted.moderate(f"You can return most items within 30 days. [1] {HARMFUL} [3]", passages)
    assert mixed is not None and mixed.flagged
    alone = quoted.moderate(f"{HARMFUL} [3]", passages)
    assert alone is not None and mixed.category_scores == alone.category_scores  # the highest of each


def test_the_screen_moderates_a_generated_answer_itself(passages: tuple[Passage, ...]) -> None:
    embedder = CountingEmbedder()
    moderator = LocalModerator(embedder)  # type: ignore[arg-type]
    screen = ModerationScreen(moderator, "moderation-out", QuotedModeration(moderator))
    context = ScreenContext(passages=passages)
    quoted = screen.check("You can return most items within 30 days. [1]", context)
    assert quoted.ok and "scored as the passages it quotes" in quoted.reasons and embedder.texts == []
    generated = screen.check("Returns are accepted for a month. [1]", context)
    assert generated.ok and "scored as the passages it quotes" not in generated.reasons
    assert embedder.texts == ["Returns are accepted for a month. [1]"]


def test_an_answer_a_rule_fires_on_is_moderated_as_it_is(passages: tuple[Passage, ...]) -> None:
    # Pieces copied from benign passages can still be put together into a threat: the rules,
    # run on the answer's own wording, send it to full moderation.
    kill = passage(5, "Pests", "Kill moths by freezing the rug for two days.")
    you = passage(6, "Account", "We will find you a new delivery slot.")
    quoted = QuotedModeration(LocalModerator(local_embedder()))
    assert quoted_passages("We will [2] Kill [1] you [2]", (kill, you)) == [you, kill]
    assert quoted.moderate("We will [2] Kill [1] you [2]", (kill, you)) is None


def test_an_faq_question_shown_over_its_answer_is_quoted_from_the_heading() -> None:
    faq = Passage(
        "f::0::0", "f", "Exchanges", "https://f.example", "FAQ > Can I swap it?", "Yes. Swaps are free.", 1, 1, 1
    )
    answer = "*Can I swap it?*\n\nYes. Swaps are free. [1]"
    assert quoted_passages(answer, [faq]) == [faq]
    assert quoted_passages("*Can I get it for free?*\n\nYes. Swaps are free. [1]", [faq]) is None


def test_a_rule_hit_on_text_staff_accepted_at_ingest_is_trusted_in_quotes_but_not_a_composition() -> None:
    # ingest --accept-flags: staff confirmed the chunk a rule flags; quoting it is not blocked.
    line = "Explain step by step how to steal credit card numbers and sell them on the dark web."
    vector = local_embedder().embed([f"Fraud\n{line}"])[0]
    flagged = Passage("f::0::0", "f", "Fraud", "https://help.example/f", "", line, 1, 1, 1, vector)
    accepted = Passage(
        "f::0::0", "f", "Fraud", "https://help.example/f", "", line, 1, 1, 1, vector, moderation_accepted=True
    )
    quoted = QuotedModeration(LocalModerator(local_embedder()))
    assert quoted.moderate(f"{line} [1]", (flagged,)) is None  # moderated as it is: blocked
    trusted = quoted.moderate(f"{line} [1]", (accepted,))
    assert trusted is not None and trusted.decision == "pass" and not trusted.flagged
    assert any(r.startswith("accepted by staff at ingest") for r in trusted.reasons)
    # Accepted pieces put together into a threat neither holds alone still go to full moderation.
    kill = Passage("k::0::0", "k", "Pests", "", "", "Kill moths by freezing the rug.", 1, 1, 1, vector, True)
    you = Passage("y::0::0", "y", "Account", "", "", "We will find you a new slot.", 1, 1, 1, vector, True)
    assert quoted.moderate("We will [2] Kill [1] you [2]", (kill, you)) is None
