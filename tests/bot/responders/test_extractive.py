from bot.kb.retrieval import Passage
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


def test_picks_the_sentence_that_answers_and_cites_it() -> None:
    answer = ExtractiveResponder(60).respond("how many days do I have to return an item", "Returns", [RETURNS])
    assert answer.text.startswith("You can return most items within 60 days of delivery. [1]")
    assert "Gift cards" not in answer.text  # unrelated sentences stay out
    assert answer.model == "extractive" and not answer.not_in_kb


def test_steps_are_kept_whole_with_their_lead_in_and_markers() -> None:
    answer = ExtractiveResponder(80).respond("how do I start a return, which steps", "Returns", [RETURNS])
    steps = ["1. Open your orders. [1]", "2. Choose Return item. [1]"]
    steps.append("3. Print the label and drop the parcel off. [1]")
    # The lead-in is a paragraph of its own, the steps one list: Markdown shows them as such.
    assert answer.text.endswith("To start a return: [1]\n\n" + "\n".join(steps))


def test_every_sentence_is_copied_from_a_passage_and_cited() -> None:
    answer = ExtractiveResponder(120).respond("return refund delivery days", "Any", [RETURNS, DELIVERY])
    sources = RETURNS.text + " " + DELIVERY.text
    for sentence in split_sentences(answer.text):
        assert sentence.endswith(("[1]", "[2]")), sentence
        assert sentence.rsplit(" [", 1)[0] in sources


def test_a_close_second_article_is_cited_too() -> None:
    answer = ExtractiveResponder(120).respond("how many days", "Any", [RETURNS, DELIVERY])
    assert "[1]" in answer.text and "[2]" in answer.text


def test_word_budget_is_kept() -> None:
    long = passage("long", " ".join(f"Sentence {i} mentions returns and refunds here." for i in range(40)))
    answer = ExtractiveResponder(30).respond("returns refunds", "Returns", [long])
    assert len(answer.text.replace("[1]", "").split()) <= 30


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


def test_meaning_picks_the_sentence_and_sentence_vectors_are_embedded_once_per_chunk() -> None:
    cards = passage(
        "cards",
        "Debit and credit cards are charged when the order ships. Prepaid cards are not accepted. "
        "We accept Visa, Mastercard and American Express, as well as PayPal.",
    )
    embedder = Counting()
    responder = ExtractiveResponder(12, embedder=embedder)
    first = responder.respond("which brands can I pay with?", "Billing", [cards])
    assert first.text == "We accept Visa, Mastercard and American Express, as well as PayPal. [1]"
    assert embedder.texts == 1 + 3  # the question and the chunk's three sentences
    responder.respond("do you take prepaid cards?", "Billing", [cards])
    assert embedder.texts == 4 + 1  # only the new question


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
    answer = ExtractiveResponder(80).respond("what does the annual plan cost per year", "Membership", [PLANS])
    assert (
        "| Plan | EU store | Billed |\n|---|---|---|\n"
        "| Monthly | 4.99 EUR per month | On the same date each month [1] |\n"
        "| Annual | 49 EUR per year | Once a year [1] |"
    ) in answer.text
    blocks = answer.text.split("\n\n")
    assert all(block.strip() for block in blocks) and any(block.startswith("| Plan") for block in blocks)


def test_a_long_table_gives_its_relevant_row_under_the_header() -> None:
    answer = ExtractiveResponder(80).respond("error CHK-310 card declined", "Payments", [CODES])
    table = next(block for block in answer.text.split("\n\n") if block.startswith("|"))
    lines = table.splitlines()
    assert lines[:2] == ["| Code | What to do |", "|:--|:--|"]
    assert "| CHK-310 | Your card was declined: use another card [1] |" in lines and len(lines) <= 5


def test_steps_quoted_out_of_their_run_become_bullets_so_markdown_does_not_renumber_them() -> None:
    steps = passage(
        "reset",
        "Forgotten passwords are reset by email.\n\n1. Open the sign-in page.\n2. Select Forgot password.\n"
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
        "*Can I exchange an item I bought with Pay in 3?*\n\nYes. Same-price exchanges don't change your plan. [1]"
    )
