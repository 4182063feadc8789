"""The question sets in bench/data measure answers, so they must be right themselves.

Answerable questions: the gold article exists under the question's intent, and every `fact` (a
short string a right answer must contain) occurs verbatim in that article's cleaned text.
Unanswerable questions: none of their `absent` key terms occurs in any article of the KB, so the
KB really does not answer them. Both sets carry a `style` and never copy a heading.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from bench.common import DATA
from bot.intents import load_catalogue
from evals.jsonl import read_jsonl
from ingest.articles import Article, find_files, load_mapping, read_article
from tests.conftest import PLAUSIBLE_DOCS, ROOT

STYLES = {"plain", "typo", "multi-part", "emotional", "indirect"}
MIN_UNANSWERABLE = 30
HEADING = re.compile(r"^#+\s+(.+)$", re.MULTILINE)
KBS = {
    "sample": (ROOT / "kb" / "articles", ROOT / "kb" / "intents.yaml", None),
    "plausible": (PLAUSIBLE_DOCS, ROOT / "kb" / "imports" / "plausible" / "intents.yaml", "mapping.yaml"),
}


@pytest.fixture(scope="module", params=sorted(KBS))
def kb(request: pytest.FixtureRequest) -> tuple[str, dict[str, Article], set[str]]:
    """(set name, articles by id, intent ids) of one KB, read as `python -m ingest` reads it."""
    name = request.param
    docs, intents_file, mapping_name = KBS[name]
    assert docs.is_dir(), f"missing KB: {docs}"
    catalogue = load_catalogue(intents_file)
    mapping = load_mapping(intents_file.parent / mapping_name, "question-set test", 30) if mapping_name else None
    articles = {}
    for file, root in find_files([docs]):
        article = read_article(file, root, catalogue, date.today(), mapping)
        if isinstance(article, Article):
            articles[article.id] = article
    return name, articles, catalogue.ids()


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_answerable_questions_name_real_articles_and_verbatim_facts(kb) -> None:  # type: ignore[no-untyped-def]
    name, articles, intents = kb
    questions = read_jsonl(DATA / f"{name}_questions.jsonl")
    problems = []
    for q in questions:
        article = articles.get(q["article_id"])
        if article is None:
            problems.append(f"{q['id']}: no article {q['article_id']!r}")
            continue
        if q["intent"] not in intents or q["intent"] not in article.intents:
            problems.append(f"{q['id']}: intent {q['intent']!r} is not one of {article.intents}")
        facts = q.get("facts")
        if not isinstance(facts, list) or not 1 <= len(facts) <= 3 or not all(isinstance(f, str) and f for f in facts):
            problems.append(f"{q['id']}: facts must be 1-3 non-empty strings, got {facts!r}")
            continue
        problems += [f"{q['id']}: fact {f!r} is not in {article.id}" for f in facts if f not in article.body]
        headings = {_words(h) for h in HEADING.findall(article.body)} | {_words(article.title)}
        if _words(q["question"]) in headings:
            problems.append(f"{q['id']}: the question copies a heading of {article.id}")
    assert problems == []
    assert len(questions) >= 80


def test_unanswerable_questions_are_absent_from_the_kb(kb) -> None:  # type: ignore[no-untyped-def]
    name, articles, intents = kb
    questions = read_jsonl(DATA / f"{name}_unanswerable.jsonl")
    text = "\n".join(a.title + "\n" + a.body for a in articles.values()).lower()
    problems = []
    for q in questions:
        if q["article_id"] is not None or q["intent"] not in intents:
            problems.append(f"{q['id']}: needs article_id null and a known intent, got {q['intent']!r}")
        terms = q.get("absent")
        if not isinstance(terms, list) or not terms:
            problems.append(f"{q['id']}: list the key terms the KB must not contain in 'absent'")
            continue
        for term in terms:
            if re.search(rf"\b{re.escape(term.lower())}\b", text):
                problems.append(f"{q['id']}: {term!r} occurs in the KB, so it may answer {q['question']!r}")
    assert problems == []
    assert len(questions) >= MIN_UNANSWERABLE


@pytest.mark.parametrize("name", sorted(KBS))
def test_ids_are_unique_and_every_question_has_a_style(name: str) -> None:
    rows = read_jsonl(DATA / f"{name}_questions.jsonl") + read_jsonl(DATA / f"{name}_unanswerable.jsonl")
    ids = [q["id"] for q in rows]
    assert len(ids) == len(set(ids))
    assert {q["id"] for q in rows if q.get("style") not in STYLES} == set()
    assert {q["style"] for q in rows} == STYLES  # every style is represented in each set
    assert all(q["question"].strip() and q["intent"] for q in rows)
