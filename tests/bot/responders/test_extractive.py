import pytest

from bot.kb.retrieval import Passage
from bot.responders.asks import Kind, kinds_of
from bot.responders.extractive import ExtractiveResponder, kb_idf
from bot.text import split_sentences


def passage(article: str, text: str, n: int = 0) -> Passage:
    url = f"https://kb.example/{article}"
    return Passage(f"{article}::{n}", article, article.title(), url, "", text, 0.6, 0.6, 0.5)


RETURNS = passage(
    "returns",
    "You can return most items within 60 days of delivery. Refunds go back to the original payment method. "
    "Gift cards cannot be returned.\n\nTo start a return:\n\n1. Open your orders.\n2. Choose Return item.\n"
    "3. Print the label and drop the parcel off.",
)
DELIVERY = passage("delivery", "Standard delivery takes 3 to 5 working days. Express delivery arrives the next day.")


def test_quotes_the_block_that_answers_whole_under_its_title_and_cites_it() -> None:
    # 40 tokens: too few for the whole section (a passage), enough for the paragraph that answers.
    answer = ExtractiveResponder(40).respond("how many days do I have to return an item", "Returns", [RETURNS])
    assert answer.text.startswith(
        "**Returns**\n\nYou can return most items within 60 days of delivery. [1] "
        "Refunds go back to the original payment method. [1] Gift cards cannot be returned. [1]"
    )
    assert "Open your orders" not in answer.text  # another block of the passage stays out
    assert answer.model == "extractive" and not answer.not_in_kb


def test_steps_are_kept_whole_with_their_lead_in_and_markers() -> None:
    answer = ExtractiveResponder(40).respond("how do I start a return", "Returns", [RETURNS])
    steps = ["1. Open your orders. [1]", "2. Choose Return item. [1]"]
    steps.append("3. Print the label and drop the parcel off. [1]")
    # The lead-in is a paragraph of its own, the steps one list: Markdown shows them as such.
    assert answer.text == "**Returns**\n\nTo start a return: [1]\n\n" + "\n".join(steps)


def test_a_section_that_fits_the_budget_is_quoted_whole_in_its_order() -> None:
    answer = ExtractiveResponder(160).respond("how do I start a return", "Returns", [RETURNS])
    assert answer.text.startswith("**Returns**\n\nYou can return most items within 60 days of delivery. [1]")
    assert answer.text.endswith(
        "To start a return: [1]\n\n1. Open your orders. [1]\n2. Choose Return item. [1]\n"
        "3. Print the label and drop the parcel off. [1]"
    )


def test_every_sentence_is_copied_from_a_passage_and_cited() -> None:
    answer = ExtractiveResponder(120).respond("return refund delivery days", "Any", [RETURNS, DELIVERY])
    sources = RETURNS.text + " " + DELIVERY.text
    for sentence in split_sentences(answer.text):
        if sentence.startswith("**"):  # the heading it is shown under: the article's title
            assert sentence.strip("*") in ("Returns", "Delivery")
            continue
        assert sentence.endswith(("[1]", "[2]")), sentence
        assert sentence.rsplit(" [", 1)[0] in sources


def test_a_long_list_is_cut_at_an_item_with_an_ellipsis_and_a_link() -> None:
    items = "\n".join(f"- Item number {n} of the things you can return to us." for n in range(1, 30))
    listed = passage("listed", f"You can return these things:\n\n{items}")
    answer = ExtractiveResponder(80).respond("which things can be returned", "Returns", [listed])
    blocks = answer.text.split("\n\n")
    assert blocks[0] == "**Listed**" and blocks[1] == "You can return these things: [1]"
    assert blocks[2].splitlines()[0] == "- Item number 1 of the things you can return to us. [1]"
    assert all(line.endswith("to us. [1]") for line in blocks[2].splitlines())  # whole items only
    assert blocks[-1] == "… [more in “Listed”](https://kb.example/listed)"
    assert 3 <= len(blocks[2].splitlines()) < 29


def test_no_passages_means_not_in_kb() -> None:
    answer = ExtractiveResponder(60).respond("anything", "Returns", [])
    assert answer.not_in_kb and answer.text == ""


def test_rare_words_weigh_more_than_common_ones() -> None:
    idf = kb_idf(["delivery takes days", "delivery costs money", "delivery to norway takes a week"])
    assert idf("norway") > idf("deliveri") and idf("unseen") > idf("norway")


class Counting:
    """The real MiniLM embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        from bot.embedding import local_embedder

        self.inner = local_embedder()
        self.model_id, self.dimensions = self.inner.model_id, self.inner.dimensions
        self.texts = 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_meaning_picks_the_block_and_block_vectors_are_embedded_once_per_chunk() -> None:
    cards = passage(
        "cards",
        "Debit and credit cards are charged when the order ships. Prepaid cards are not accepted.\n\n"
        "We accept Visa, Mastercard and American Express, as well as PayPal.",
    )
    embedder = Counting()
    responder = ExtractiveResponder(30, embedder=embedder)  # too few tokens for the whole section
    first = responder.respond("which brands can I pay with?", "Billing", [cards])
    assert first.text == "**Cards**\n\nWe accept Visa, Mastercard and American Express, as well as PayPal. [1]"
    assert embedder.texts == 1 + 2  # the question and the chunk's two blocks
    responder.respond("do you take prepaid cards?", "Billing", [cards])
    assert embedder.texts == 3 + 1  # only the new question


PLANS = passage(
    "plans",
    "Plus comes in two plans.\n\n| Plan | EU store | Billed |\n|---|---|---|\n"
    "| Monthly | 4.99 EUR per month | On the same date each month |\n"
    "| Annual | 49 EUR per year | Once a year |\n\nYou can switch plans at any time.",
)
CODES = passage(
    "codes",
    "| Code | What to do |\n|:--|:--|\n"
    + "\n".join(f"| CHK-{n} | Error {n}: wait and try again |" for n in range(100, 110))
    + "\n| CHK-310 | Your card was declined: use another card |",
)


def test_a_small_table_is_quoted_whole_under_its_header_and_each_row_cited() -> None:
    answer = ExtractiveResponder(160).respond("what does the annual plan cost per year", "Membership", [PLANS])
    assert (
        "| Plan | EU store | Billed |\n|---|---|---|\n"
        "| Monthly | 4.99 EUR per month | On the same date each month [1] |\n"
        "| Annual | 49 EUR per year | Once a year [1] |"
    ) in answer.text
    blocks = answer.text.split("\n\n")
    assert all(block.strip() for block in blocks) and any(block.startswith("| Plan") for block in blocks)


def test_a_long_table_gives_its_relevant_row_under_the_header() -> None:
    answer = ExtractiveResponder(60).respond("error CHK-310 card declined", "Payments", [CODES])
    table = next(block for block in answer.text.split("\n\n") if block.startswith("|"))
    lines = table.splitlines()
    assert lines[:2] == ["| Code | What to do |", "|:--|:--|"]
    assert "| CHK-310 | Your card was declined: use another card [1] |" in lines and len(lines) < 13
    assert answer.text.endswith("… [more in “Codes”](https://kb.example/codes)")


def test_steps_quoted_out_of_their_run_become_bullets_so_markdown_does_not_renumber_them() -> None:
    steps = passage(
        "reset",
        "To reset a forgotten password:\n\n1. Open the sign-in page.\n2. Select Forgot password.\n"
        + "\n".join(f"{n}. Step number {n} of the reset." for n in range(3, 10))
        + "\n10. Open the email and select Reset password.",
    )
    answer = ExtractiveResponder(60).respond("open the email and select reset password", "Account", [steps])
    assert "- Open the email and select Reset password. [1]" in answer.text
    assert "10. Open the email" not in answer.text


def test_an_faq_reply_is_never_a_bare_yes_and_comes_under_its_question() -> None:
    faq = Passage(
        "returns::1",
        "returns",
        "Returning items bought with Pay in 3",
        "https://kb.example/returns",
        "FAQ > Can I exchange an item I bought with Pay in 3?",
        "Yes. Same-price exchanges don't change your plan. For a different product, return the original.",
        0.6,
        0.6,
        0.5,
    )
    answer = ExtractiveResponder(60).respond("can I pay with paypal?", "Billing", [faq])
    # "Yes." alone would answer the user's question, not the one it was written for.
    assert answer.text.startswith(
        "**Can I exchange an item I bought with Pay in 3?**\n\nYes. Same-price exchanges don't change your plan. [1]"
    )


def test_a_block_that_depends_on_the_one_before_is_never_opened_on() -> None:
    items = passage(
        "non-returnable",
        "They include:\n\n- Made for you sofas\n- Mattresses with the seal removed\n\n"
        "No. Opened mattresses are never taken back.\n\n"
        "Most items can be returned within 30 days of delivery.",
    )
    for question in ("which items can't I return?", "can I return an opened mattress?", "return sofa 30 days"):
        answer = ExtractiveResponder(160).respond(question, "Returns", [items])
        opening = answer.text.split("\n\n")[1]  # under the heading
        assert opening == "Most items can be returned within 30 days of delivery. [1]", (question, answer.text)


def test_a_paragraph_that_points_back_stays_with_the_one_it_points_to() -> None:
    returns = passage(
        "returns",
        "Some items can't be returned for change of mind.\n\nThey include:\n\n- Made for you sofas\n- Mattresses",
    )
    answer = ExtractiveResponder(160).respond("which items can't be returned?", "Returns", [returns])
    assert answer.text == (
        "**Returns**\n\nSome items can't be returned for change of mind. [1]\n\nThey include: [1]\n\n"
        "- Made for you sofas [1]\n- Mattresses [1]"
    )


POLICY = Passage(
    "policy::0",
    "policy",
    "Our return policy",
    "https://kb.example/policy",
    "Return windows",
    "You can return most items within **30 days** of delivery for a full refund, for any reason.",
    0.6,
    0.6,
    0.5,
)
FEES = Passage(
    "policy::1",
    "policy",
    "Our return policy",
    "https://kb.example/policy",
    "Ways to return",
    "Parcels go back free at a drop-off point. Large items are collected from your home for €39.",
    0.55,
    0.55,
    0.4,
)
MADE_FOR_YOU = Passage(
    "non-returnable::0",
    "non-returnable",
    "Items that can't be returned",
    "https://kb.example/non-returnable",
    "Made for you",
    "Made for you items can't be returned for change of mind:\n\n- sofas and armchairs in a fabric you choose\n"
    "- curtains made to measure",
    0.58,
    0.58,
    0.45,
)


def test_a_multi_part_question_gets_a_block_for_each_part() -> None:
    question = "I bought a sofa three weeks ago and don't like it. Can I send it back, does it cost anything?"
    answer = ExtractiveResponder(160, embedder=Counting()).respond(question, "Returns", [POLICY, FEES])
    assert "**30 days**" in answer.text and "€39" in answer.text, answer.text


def test_a_word_matched_only_in_an_example_of_a_list_does_not_outrank_the_section_that_answers() -> None:
    question = "I bought a sofa three weeks ago, how long do I have to send it back?"
    answer = ExtractiveResponder(160, embedder=Counting()).respond(question, "Returns", [MADE_FOR_YOU, POLICY])
    assert answer.text.startswith("**Our return policy › Return windows**"), answer.text
    assert "fabric you choose" not in answer.text  # "sofa" there is an example, not the answer


def test_a_second_block_only_for_a_part_the_first_does_not_answer() -> None:
    answer = ExtractiveResponder(160, embedder=Counting()).respond(
        "how long do I have to return something?", "Returns", [POLICY, MADE_FOR_YOU, FEES]
    )
    assert answer.text == (
        "**Our return policy › Return windows**\n\n"
        "You can return most items within **30 days** of delivery for a full refund, for any reason. [1]"
    )


def _chunk(n: int, heading: str, text: str, score: float = 0.6) -> Passage:
    url = "https://kb.example/app"
    return Passage(f"app::abc::{n}", "app", "App problems", url, heading, text, score, score, 0.5)


LOOP_INTRO = _chunk(3, "Stuck in a sign-in loop", "A sign-in loop is when the app shows the sign-in screen again.")
LOOP_STEPS = _chunk(
    4,
    "Stuck in a sign-in loop",
    "1. Set your phone's date and time automatically.\n2. Turn off any VPN.\n3. Reinstall the app.",
    0.55,
)


def test_a_section_split_into_several_retrieved_chunks_is_quoted_together_each_part_cited() -> None:
    # Ingest splits a section into chunks of its own budget: the steps are the answer, not the intro alone.
    other = _chunk(9, "Reporting a problem", "Report a problem under Account > Help.", 0.58)
    answer = ExtractiveResponder(160).respond("app keeps looping to sign in", "App", [LOOP_INTRO, other, LOOP_STEPS])
    assert answer.text.startswith(
        "**App problems › Stuck in a sign-in loop**\n\n"
        "A sign-in loop is when the app shows the sign-in screen again. [1]\n\n"
        "1. Set your phone's date and time automatically. [3]"
    ), answer.text


def test_chunks_of_a_section_that_are_not_consecutive_are_not_joined() -> None:
    far = _chunk(6, "Stuck in a sign-in loop", "Codes change every 30 seconds.", 0.5)
    answer = ExtractiveResponder(160).respond("sign-in loop", "App", [LOOP_INTRO, far])
    assert "30 seconds" not in answer.text.split("\n\n")[1]


def test_a_lead_in_is_never_left_without_the_list_it_introduces() -> None:
    text = "You can return most items within 30 days.\n\nTo start a return:\n\n" + "\n".join(
        f"{n}. Step number {n} of the return, done in your account before you post the parcel." for n in range(1, 9)
    )
    answer = ExtractiveResponder(40).respond("how long can I return items", "Returns", [passage("returns", text)])
    assert "To start a return:" not in answer.text, answer.text
    assert "30 days" in answer.text


@pytest.mark.parametrize(
    "question",
    ["my card was declined, what do i do", "cancel my plus membership", "how do I fix a declined payment"],
)
def test_what_to_do_and_imperative_questions_ask_for_steps(question: str) -> None:
    assert Kind.STEPS in kinds_of(question)


def test_a_how_long_question_does_not_ask_for_steps() -> None:
    assert Kind.STEPS not in kinds_of("how long do I have to return a sofa")


def test_code_is_quoted_whole_as_written_without_a_marker_inside() -> None:
    code = "```js\nplausible('Signup', {props: {plan: 'Pro'}})\n| not a table |\n- not a list\n```"
    text = f"Trigger the event from your own JavaScript:\n\n{code}\n\n---\n\nThe first argument is the goal name."
    answer = ExtractiveResponder(160).respond(
        "how do I trigger an event in javascript", "Goals", [passage("goals", text)]
    )
    assert f"Trigger the event from your own JavaScript: [1]\n\n{code}\n\n" in answer.text, answer.text
    assert "---" not in answer.text  # a thematic break says nothing


def test_a_loose_list_is_one_list() -> None:
    text = "- In the menu, click Settings.\n\n- Add the script to the Site Header box.\n\n- Click Save."
    answer = ExtractiveResponder(160).respond("click save", "Setup", [passage("ghost", text)])
    assert answer.text.endswith(
        "- In the menu, click Settings. [1]\n- Add the script to the Site Header box. [1]\n- Click Save. [1]"
    ), answer.text


def test_a_section_opening_comes_with_the_best_block_when_both_fit() -> None:
    opening = _chunk(5, "Bounce rate", "A visit is a bounce unless the visitor views two pages.", 0.6)
    detail = _chunk(
        6,
        "Bounce rate",
        "Non-interactive events still count as bounced.\n\n"
        + " ".join(f"Sentence {n} about bounce rates of content sites and blogs in general." for n in range(12)),
        0.62,
    )
    answer = ExtractiveResponder(160).respond(
        "do non-interactive events count as bounced", "Metrics", [detail, opening]
    )
    assert answer.text.split("\n\n")[1] == "A visit is a bounce unless the visitor views two pages. [2]", answer.text


def test_an_faq_entry_about_specifics_the_user_did_not_ask_about_does_not_outrank_the_answer() -> None:
    faq = Passage(
        "codes::abc::3",
        "codes",
        "Discount codes",
        "https://kb.example/codes",
        "FAQ > Can I use my Plus birthday voucher with another code?",
        "No. The birthday voucher is a discount code, so it can't be combined with another code.",
        0.7,  # retrieved first: the FAQ's words are the question's
        0.7,
        0.5,
    )
    rules = Passage(
        "codes::abc::1",
        "codes",
        "Discount codes",
        "https://kb.example/codes",
        "Why your code might not work",
        "- **Already used another code.** Only one discount code can be used per order.\n"
        "- **Expired.** Every code has an end date.",
        0.6,
        0.6,
        0.5,
    )
    answer = ExtractiveResponder(60, embedder=Counting()).respond(
        "can i use two discount codes on the same order", "Codes", [faq, rules]
    )
    assert answer.text.startswith("**Discount codes › Why your code might not work**"), answer.text
