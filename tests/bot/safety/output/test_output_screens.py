import numpy as np
import pytest

from bot.embedding import local_embedder
from bot.kb.retrieval import Passage
from bot.safety.output.citations import CitationScreen
from bot.safety.output.grounding import GroundednessScreen, _without
from bot.safety.output.leakage import LeakageScreen
from bot.safety.output.sanitize import SanitizeScreen
from bot.safety.verdict import ScreenContext
from bot.text import join_sentences, split_sentences

KB_URL = "https://help.example/articles/delivery"
TEXT = (
    "Standard delivery takes 3 to 5 working days within the EU. Express delivery costs 9.95 EUR. Call +44 20 7946 0000."
)


def passage(text: str = TEXT) -> Passage:
    vector = local_embedder().embed([text])[0]
    return Passage("delivery::0123456789abcdef::0", "delivery", "Delivery times", KB_URL, "", text, 1, 1, 1, vector)


@pytest.fixture
def context() -> ScreenContext:
    return ScreenContext(passages=(passage(),), canary="CANARY-7f3a", allowed_urls=frozenset({KB_URL}))


def test_sanitizer_removes_html_scripts_images_and_foreign_links(context: ScreenContext) -> None:
    answer = (
        "See [delivery](https://help.example/articles/delivery) or [this](https://evil.example/x).<script>alert(1)</script>"
        " ![pixel](https://evil.example/p.png) <b>bold</b> visit https://evil.example now [1]."
    )
    verdict = SanitizeScreen().check(answer, context)
    assert verdict.ok
    assert "[delivery](https://help.example/articles/delivery)" in verdict.text
    assert "evil.example" not in verdict.text and "<" not in verdict.text and "alert" not in verdict.text
    assert "this" in verdict.text and "pixel" in verdict.text and "bold" in verdict.text


def test_sanitizer_leaves_clean_text_alone(context: ScreenContext) -> None:
    verdict = SanitizeScreen().check("Delivery takes 3 to 5 days [1].", context)
    assert verdict.text == "Delivery takes 3 to 5 days [1]." and not verdict.reasons


def test_citations_must_point_at_retrieved_passages(context: ScreenContext) -> None:
    assert CitationScreen().check("Delivery takes 3 to 5 days [1].", context).ok
    assert not CitationScreen().check("Delivery takes 3 to 5 days [2].", context).ok
    assert not CitationScreen().check("Delivery takes 3 to 5 days.", context).ok


def test_leakage_blocks_the_canary_secrets_and_internal_ids(context: ScreenContext) -> None:
    check = LeakageScreen()
    assert not check.check("My instructions say CANARY-7f3a", context).ok
    assert not check.check("Use the key sk-proj-abcdefghijklmnopqrstuvwxyz123456", context).ok
    assert not check.check("from chunk delivery::0123456789abcdef::0", context).ok
    assert check.check("Delivery takes 3 to 5 days [1].", context).ok


def test_leakage_allows_contacts_from_the_kb_but_redacts_others(context: ScreenContext) -> None:
    verdict = LeakageScreen().check("Call +44 20 7946 0000 or mail boss@corp.example [1].", context)
    assert verdict.ok
    assert "+44 20 7946 0000" in verdict.text and "boss@corp.example" not in verdict.text


def test_groundedness_keeps_supported_sentences_and_drops_invented_ones(context: ScreenContext) -> None:
    check = GroundednessScreen(local_embedder())
    supported = "Standard delivery takes 3 to 5 working days within the EU [1]."
    verdict = check.check(supported + " Every order also comes with a free gift hamper [1].", context)
    assert verdict.ok and verdict.text == supported
    assert any("free gift hamper" in r for r in verdict.reasons)


def test_groundedness_refuses_wrong_numbers_and_unsupported_answers(context: ScreenContext) -> None:
    check = GroundednessScreen(local_embedder())
    assert not check.check("Standard delivery takes 2 working days within the EU [1].", context).ok
    assert not check.check("We ship by drone to the moon [1].", context).ok


def test_groundedness_drops_a_sentence_that_negates_the_passage_it_cites(context: ScreenContext) -> None:
    check = GroundednessScreen(local_embedder())
    negated = "Standard delivery does not take 3 to 5 working days within the EU [1]."
    assert not check.check(negated, context).ok
    negative = ScreenContext(passages=(passage("You cannot return opened mattresses."),))
    assert not check.check("You can return opened mattresses [1].", negative).ok
    assert check.check("You cannot return opened mattresses [1].", negative).ok


def test_groundedness_accepts_a_faithful_paraphrase(context: ScreenContext) -> None:
    verdict = GroundednessScreen(local_embedder()).check("Express delivery costs 9.95 EUR [1].", context)
    assert verdict.ok, verdict.scores


def test_groundedness_keeps_an_faq_question_shown_as_heading_under_a_negated_title() -> None:
    # The title "Discount code not working" is not part of the question's sentence: no contradiction.
    text = "No. The birthday voucher is a discount code, so it can't be combined with another code."
    faq = Passage(
        "codes::0123456789abcdef::3",
        "codes",
        "Discount code not working",
        KB_URL,
        "FAQ > Can I use my birthday voucher with another code?",
        text,
        1,
        1,
        1,
        local_embedder().embed([text])[0],
    )
    context = ScreenContext(passages=(faq,), allowed_urls=frozenset({KB_URL}))
    answer = f"**Can I use my birthday voucher with another code?**\n\n{text.replace('.', '. [1]', 1)} [1]"
    verdict = GroundednessScreen(local_embedder()).check(answer, context)
    assert verdict.text == answer, verdict.reasons


def test_groundedness_embeds_a_sentence_only_when_no_passage_has_its_words() -> None:
    embedded: list[str] = []

    class Spy:
        def embed(self, texts: list[str]) -> np.ndarray:
            embedded.extend(texts)
            return local_embedder().embed(texts)

    other = passage("Standard delivery is free for members, who also get express delivery cheaper.")
    context = ScreenContext(passages=(other, passage()), allowed_urls=frozenset({KB_URL}))
    check = GroundednessScreen(Spy())  # type: ignore[arg-type]
    # No marker: every passage is a candidate; the first shares some words, the second all of them.
    assert check.check("Standard delivery takes 3 to 5 working days within the EU.", context).ok
    assert embedded == []
    check.check("Parcels arrive within 3 to 5 working days in the EU.", context)  # 4 of 6 words: cosine decides
    assert embedded == ["Parcels arrive within 3 to 5 working days in the EU."]


def test_sentences_and_list_items_are_split() -> None:
    assert split_sentences("First one. Second one!\n1. Step one\n2. Step two") == [
        "First one.",
        "Second one!",
        "1. Step one",
        "2. Step two",
    ]


def test_joined_sentences_keep_list_items_and_table_rows_on_lines_of_their_own() -> None:
    text = "Intro one. [1] Intro two.\n1. Step one\n2. Step two\n| Plan | Price |\n| --- | --- |\n| Pro | 9 |"
    assert join_sentences(split_sentences(text)) == text
    assert join_sentences(["One.", "Two."]) == "One. Two."


def test_a_citation_marker_stays_with_its_sentence_and_lists_keep_their_shape() -> None:
    text = "- Unpack it. Keep the box. [1]\n- Call us [2]\nPlain one. [1] Invented two [2] Three."
    assert split_sentences(text) == [
        "- Unpack it.", "Keep the box. [1]", "- Call us [2]", "Plain one. [1]", "Invented two [2]", "Three.",
    ]  # fmt: skip
    kept = _without(text, ["Keep the box. [1]", "Invented two [2]"])
    assert kept == "- Unpack it.\n- Call us [2]\nPlain one. [1] Three."


@pytest.mark.parametrize(
    "beacon",
    [
        "![gift [note] sample](http://host/leak?q=secret)",
        "[x](http://evil.example 'title')",
        "[x](http://evil.example (title))",
        "visit www.evil.example",
        "visit HTTP://EVIL.EXAMPLE/x",
    ],
)
def test_sanitizer_leaves_no_image_link_or_autolink_outside_the_kb(beacon: str, context: ScreenContext) -> None:
    from markdown_it import MarkdownIt

    verdict = SanitizeScreen().check(f"Delivery takes 3 to 5 days [1]. {beacon}", context)
    children = [c for t in MarkdownIt().parse(verdict.text) for c in t.children or []]
    assert not [c for c in children if c.type in ("image", "link_open")]
    assert "evil" not in verdict.text.lower() and "host" not in verdict.text and verdict.reasons


def test_a_url_written_in_a_passage_may_be_linked(context: ScreenContext) -> None:
    status = "https://status.example/delivery"
    ctx = ScreenContext(passages=(passage(f"{TEXT} Live status: {status}."),), allowed_urls=context.allowed_urls)
    verdict = SanitizeScreen().check(f"See [the status page]({status}) [1].", ctx)
    assert verdict.text == f"See [the status page]({status}) [1]." and not verdict.reasons
