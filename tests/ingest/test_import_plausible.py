"""Import a real help centre nobody here wrote (../shared/kb-real/plausible) through the ingest command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.retrieval import make_retriever
from bot.kb.store import chroma_client, kb_collection
from ingest import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT.parent / "shared" / "kb-real" / "plausible" / "docs"
IMPORT = ROOT / "kb" / "imports" / "plausible"
NOISE = re.compile(r"<[A-Za-z/][^>]*>|[{}]|^import |^export |:::|useBaseUrl|&lt;|&gt;|&quot;", re.MULTILINE)
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, settings_factory) -> tuple[Settings, str]:  # type: ignore[no-untyped-def]
    assert DOCS.is_dir(), f"the Plausible help centre is missing: {DOCS} (../shared/kb-real/plausible)"
    settings = settings_factory(
        tmp_path_factory.mktemp("plausible") / "data", intents_file=IMPORT / "intents.yaml", collection="plausible"
    )
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(
            [str(DOCS), "--mapping", str(IMPORT / "mapping.yaml"), "--verified-by", "Dana QA", "--quiet"], settings
        )
    assert code in (0, cli.EXIT_REJECTED), out.getvalue()
    return settings, out.getvalue()


def _chunks(settings: Settings) -> dict:
    collection = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    return collection.get(include=["documents", "metadatas"])


def test_every_article_is_loaded_or_rejected_with_a_reason(imported: tuple[Settings, str]) -> None:
    settings, out = imported
    files = [p for p in DOCS.rglob("*") if p.suffix in (".md", ".mdx")]
    loaded = int(re.search(r"loaded:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    rejected = int(re.search(r"rejected:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    assert loaded + rejected == len(files) == 132
    assert loaded >= 125
    articles = {m["article_id"] for m in _chunks(settings)["metadatas"]}
    assert len(articles) == loaded


def test_every_chunk_records_the_attestation_and_mapping(imported: tuple[Settings, str]) -> None:
    settings, _ = imported
    for meta in _chunks(settings)["metadatas"]:
        assert meta["verified_by"] == "Dana QA"
        assert "Dana QA" in meta["attestation"] and "mapping.yaml" in meta["attestation"]
        assert meta["url"].startswith("https://plausible.io/docs/")
        assert meta["intents"]


def test_markup_and_code_noise_is_stripped(imported: tuple[Settings, str]) -> None:
    settings, _ = imported
    noisy = []
    for chunk_id, text in zip(*(_chunks(settings)[k] for k in ("ids", "documents")), strict=True):
        match = NOISE.search(CODE.sub("", text))
        if match:
            noisy.append((chunk_id, match.group(0)))
    assert noisy == []


def test_titles_urls_and_heading_paths_come_through(imported: tuple[Settings, str]) -> None:
    settings, _ = imported
    metas = _chunks(settings)["metadatas"]
    billing = [m for m in metas if m["article_id"] == "billing"]
    assert billing and billing[0]["title"] == "Billing FAQ"
    assert billing[0]["url"] == "https://plausible.io/docs/billing"
    assert {m["url"] for m in metas if m["article_id"] == "introduction"} == {"https://plausible.io/docs/"}
    assert any(m["heading"] for m in billing)


def test_retrieval_over_the_import_finds_the_right_articles(imported: tuple[Settings, str]) -> None:
    settings, _ = imported
    retriever = make_retriever(settings)
    questions = [json.loads(line) for line in (ROOT / "bench/data/plausible_questions.jsonl").read_text().splitlines()]
    hits = 0
    for q in questions:
        found = {p.article_id for p in retriever.search(q["question"], q["intent"], k=3, threshold=0.0)}
        hits += q["article_id"] in found
    assert hits / len(questions) >= 0.6, f"recall@3 {hits / len(questions):.2f}"
