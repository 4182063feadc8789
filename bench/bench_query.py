"""Query latency, memory and refresh time with 100,000 chunks in the store (`--chunks`).

The store holds the sample KB plus synthetic filler chunks: paragraphs recombined
from real sentences (sample KB and Plausible docs), with the same metadata shape
as ingested chunks, spread over the sample KB's intents. The first ~1,000 filler
paragraphs are embedded; if embedding the rest would take over 3 minutes, their
vectors are those embeddings plus small gaussian noise, renormalised (and their
text is the same sentences reshuffled), written straight into Chroma. The output
says which was done.

Every question in bench/data/sample_questions.jsonl is asked with its intent and
with intent 'all' (k=4, configured threshold), after a warm-up: p50/p95 end to
end (query embedding included) and retrieval only (`query_vector=` given) per
mode, over one snapshot; then the parts of a hybrid query (query embedding, dense
search as the retriever does it (int8 pass, exact re-score of the candidates) and as
one float32 product over all rows, the filters, BM25, and Chroma's own filtered
query as the alternative) to show which dominates, and whether the fast dense search
returned exactly what the float32 product does. A fresh process opens the store as
the app does (`make_retriever`) and reports its RSS before and after the snapshot
loads, steady and peak, hybrid latency split into embedding, dense and lexical, and
the refresh after a one-article change ingested through ingest's own sync. Then all
of it against a Chroma server on loopback (`chroma run`), stopped at the end. Every
figure is printed with the load average (2 cores, shared).

    python -m bench.bench_query [--chunks 100000] [--store DIR] [--only embedded|server]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from bench.bench_retrieval import MODES, Question, load_articles, sample_kb
from bench.common import PLAUSIBLE_DOCS, bench_settings, pct, peak_rss_mb
from bot.config import Settings
from bot.embedding import Embedder, local_embedder
from bot.intents import ALL_INTENTS
from bot.kb.dense import Score
from bot.kb.retrieval import DENSE_WEIGHT, Retriever, make_retriever
from bot.kb.snapshot import KBSnapshot
from bot.kb.store import INTENT_KEY, bump_revision, chroma_client, date_key, kb_collection
from bot.tokens import Tokenizer
from ingest.articles import Article
from ingest.chunking import Chunk
from ingest.clean import clean_markdown
from ingest.sync import KBSync, chunk_metadata, embedding_text

TOTAL_CHUNKS = 100_000
DISTINCT = 1_000  # filler paragraphs embedded for real
EMBED_BUDGET_S = 180.0  # embed every filler paragraph only if that fits in this
NOISE_SIGMA = 0.02  # per dimension: cosine to the base vector ~0.93
CHUNKS_PER_ARTICLE = 8
CANDIDATES = 30  # neighbours asked of Chroma in the measured alternative
WARMUP = 10
ALTERNATIVE_EVERY = 4  # of the queries, asked of Chroma directly (slow with a filter: bounded)
PAGE = 5000  # rows per write or read when copying
TARGET_P95_MS = 30.0
TARGET_RSS_MB = 1024.0
TARGET_REFRESH_S = 2.0
SERVER_WAIT_S = 30.0


def sentences(articles: list[Article]) -> list[str]:
    bodies = [a.body for a in articles]
    for path in sorted(PLAUSIBLE_DOCS.glob("*.md")):
        bodies.append(clean_markdown(re.sub(r"\A---\s*\n.*?\n---\s*\n", "", path.read_text(), flags=re.DOTALL)))
    found: list[str] = []
    for body in bodies:
        for block in re.split(r"\n\s*\n", body):
            if block.lstrip()[:1] in {"#", "|", "`", "<", "{", ""}:
                continue
            found += [s for s in re.split(r"(?<=[.!?])\s+", " ".join(block.split())) if 5 <= len(s.split()) <= 50]
    return sorted(set(found))


def paragraph(rng: random.Random, pool: list[str], words: int) -> list[str]:
    picked: list[str] = []
    while sum(len(s.split()) for s in picked) < words:
        picked.append(rng.choice(pool))
    return picked


def filler(
    articles: list[Article], n: int, embedder: Embedder, rng: random.Random
) -> tuple[list[Article], list[Chunk], np.ndarray, str]:
    """`n` filler chunks (as articles of CHUNKS_PER_ARTICLE chunks), their vectors, and how they were made."""
    pool = sentences(articles)
    intents = sorted({intent for a in articles for intent in a.intents})
    today = date.today()
    texts = [paragraph(rng, pool, rng.randint(60, 170)) for _ in range(min(n, DISTINCT))]
    docs: list[Article] = []
    chunks: list[Chunk] = []

    def add(i: int, sentence_list: list[str]) -> None:
        if i % CHUNKS_PER_ARTICLE == 0:
            j = i // CHUNKS_PER_ARTICLE
            docs.append(
                Article(
                    id=f"filler-{j:05d}",
                    title=" ".join(sentence_list[0].split()[:6]),
                    url=f"https://help.example/filler/{j}",
                    intents=(intents[j % len(intents)],),
                    verified_by="benchmark",
                    verified_at=today,
                    review_by=today + timedelta(days=365),
                    body="",
                    source="bench/bench_query.py",
                )
            )
        chunks.append(Chunk(i % CHUNKS_PER_ARTICLE, "", " ".join(sentence_list)))

    for i, text in enumerate(texts):
        add(i, text)
    start = time.perf_counter()
    base = embedder.embed([embedding_text(docs[i // CHUNKS_PER_ARTICLE], c) for i, c in enumerate(chunks)])
    seconds = time.perf_counter() - start
    rate = len(base) / seconds
    estimate = (n - len(base)) / rate
    how = f"embedded {len(base)} distinct filler paragraphs in {seconds:.0f} s ({rate:.0f}/s)"
    if n == len(base):
        return docs, chunks, base, how
    if estimate <= EMBED_BUDGET_S:
        for i in range(len(base), n):
            add(i, paragraph(rng, pool, rng.randint(60, 170)))
        rest = embedder.embed(
            [embedding_text(docs[i // CHUNKS_PER_ARTICLE], c) for i, c in enumerate(chunks)][len(base) :]
        )
        return docs, chunks, np.vstack([base, rest]), how + f"; embedded the other {n - len(base)} too"
    noisy = []
    for i in range(len(base), n):
        sentence_list = texts[i % len(base)][:]
        rng.shuffle(sentence_list)
        add(i, sentence_list)
        vector = base[i % len(base)] + np.random.default_rng(i).normal(0.0, NOISE_SIGMA, base.shape[1])
        noisy.append(vector / np.linalg.norm(vector))
    noise = np.asarray(noisy, dtype=np.float32)
    similarity = float(np.mean(np.sum(noise * base[np.arange(len(base), n) % len(base)], axis=1)))
    how += (
        f"; embedding the other {n - len(base)} would take ~{estimate:.0f} s, so they are noisy copies "
        f"(sigma {NOISE_SIGMA}, mean cosine to base {similarity:.3f}) with their sentences reshuffled"
    )
    return docs, chunks, np.vstack([base, noise]), how


def upsert(client: ClientAPI, collection: Collection, rows: dict[str, list[Any]]) -> None:
    batch = min(client.get_max_batch_size(), PAGE)
    for start in range(0, len(rows["ids"]), batch):
        collection.upsert(**{key: value[start : start + batch] for key, value in rows.items()})
    bump_revision(collection)


def build_store(settings: Settings, rng: random.Random, total: int) -> tuple[list[Question], str]:
    """Load the sample KB and add filler up to `total` chunks (kept if the store has them); returns the
    questions and how."""
    articles, questions = sample_kb(settings)
    client = chroma_client(settings)
    collection = kb_collection(client, settings.collection, local_embedder())
    if collection.count() >= total:
        return questions, f"{collection.count()} chunks already in {settings.chroma_path} (--store), kept as they are"
    load_articles(settings, articles)
    real = collection.count()
    docs, chunks, vectors, how = filler(articles, total - real, local_embedder(), rng)
    rows: dict[str, list[Any]] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}
    for i, chunk in enumerate(chunks):
        article = docs[i // CHUNKS_PER_ARTICLE]
        n_chunks = min(CHUNKS_PER_ARTICLE, len(chunks) - i // CHUNKS_PER_ARTICLE * CHUNKS_PER_ARTICLE)
        content_hash = article.content_hash()
        rows["ids"].append(f"{article.id}::{content_hash[:16]}::{chunk.index}")
        rows["embeddings"].append(vectors[i])
        rows["documents"].append(chunk.text)
        rows["metadatas"].append(chunk_metadata(article, chunk, n_chunks, content_hash))
    start = time.perf_counter()
    upsert(client, collection, rows)
    how += f"; filler written straight into Chroma (no ingest) in {time.perf_counter() - start:.0f} s"
    return questions, f"{real} sample-KB chunks (ingested) + {len(chunks)} filler: {how}"


def timed(call: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    start = time.perf_counter()
    call(*args, **kwargs)
    return time.perf_counter() - start


def timed_cpu(call: Callable[..., object], *args: Any, **kwargs: Any) -> tuple[float, float]:
    """Wall time and this process's CPU time (all its threads) of one call: on a busy machine the
    second shows what the call costs, the first also how long it waited for a core."""
    wall, cpu = time.perf_counter(), time.process_time()
    call(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:6.2f} {pct(values, 95) * 1000:6.2f}"


def asks_of(questions: list[Question]) -> list[tuple[str, str]]:
    return [(q.text, q.intent) for q in questions] + [(q.text, ALL_INTENTS) for q in questions]


def measure(settings: Settings, client: ClientAPI, questions: list[Question]) -> None:
    """Print the latency table per mode (one snapshot) and the parts of a hybrid query."""
    embedder = local_embedder()
    collection = kb_collection(client, settings.collection, embedder)
    asks = asks_of(questions)
    vectors = {q.text: embedder.embed([q.text])[0] for q in questions}
    print(f"  {collection.count()} chunks, {len(asks)} queries (each question with its intent and with 'all'), k=4")
    retriever = Retriever(client, collection, embedder, threshold=settings.relevance_threshold, refresh_seconds=3600)
    print(f"  snapshot built whole in {timed(retriever.index):.1f} s")
    print(f"  {'mode':8} {'end to end p50/p95 ms':>22}   {'retrieval only p50/p95 ms':>26}  empty")
    for mode in MODES:
        retriever.mode = mode
        for text, intent in asks[:WARMUP]:
            retriever.search(text, intent, k=4)
        e2e = [timed(retriever.search, t, i, k=4) for t, i in asks]
        only = [timed(retriever.search, t, i, k=4, query_vector=vectors[t]) for t, i in asks]
        empty = sum(not retriever.search(t, i, k=4, query_vector=vectors[t]) for t, i in asks)
        print(f"  {mode:8} {ms(e2e):>22}   {ms(only):>26}  {empty:5}")
    index = retriever.index()
    today = date.today()
    retriever.mode = "hybrid"
    inputs = {(t, i): hybrid_inputs(index, t, i, today) for t, i in asks}
    parts = {
        "embed 1 query": [timed(embedder.embed, [t]) for t, _ in asks],
        "dense: int8 pass + exact re-score (search)": [
            timed(
                index.dense.candidates,
                vectors[t],
                *inputs[(t, i)][:1],
                settings.relevance_threshold,
                4,
                inputs[(t, i)][1],
            )
            for t, i in asks
        ],
        "dense: float32 product over all rows": [timed(index.dense.cosines, vectors[t]) for t, _ in asks],
        "filters: servable mask": [timed(index.servable, i, today) for _, i in asks],
        "lexical: bm25 scores": [timed(index.scores, t) for t, _ in asks],
        "all of retrieval (hybrid, vector given)": [
            timed(retriever.search, t, i, k=4, query_vector=vectors[t]) for t, i in asks
        ],
        "same, exact=True (float32 product over all rows)": [
            timed(exact_search, retriever, t, i, vectors[t]) for t, i in asks
        ],
        f"alternative: chroma query n={CANDIDATES} + filter (1 in {ALTERNATIVE_EVERY})": [
            timed(
                collection.query,
                query_embeddings=[vectors[t].tolist()],
                n_results=CANDIDATES,
                where=chroma_where(i, today),  # type: ignore[arg-type]
                include=["distances"],
            )
            for t, i in asks[::ALTERNATIVE_EVERY]
        ],
        "same, no filter": [
            timed(collection.query, query_embeddings=[vectors[t].tolist()], n_results=CANDIDATES, include=["distances"])
            for t, _ in asks[::ALTERNATIVE_EVERY]
        ],
    }
    print(f"  parts of a hybrid query (p50 p95 ms; load average {os.getloadavg()[0]:.1f}):")
    for name, values in parts.items():
        print(f"    {name:48} {ms(values)}")
    same = 0
    for mode in MODES:
        retriever.mode = mode
        for t, i in asks:
            fast = [(p.chunk_id, p.score) for p in retriever.search(t, i, k=4, query_vector=vectors[t])]
            retriever.exact = True
            same += fast == [(p.chunk_id, p.score) for p in retriever.search(t, i, k=4, query_vector=vectors[t])]
            retriever.exact = False
    retriever.mode = "hybrid"
    print(f"  fast dense search returned what the float32 product does: {same}/{len(asks) * len(MODES)} searches")


def hybrid_inputs(index: KBSnapshot, query: str, intent: str, today: date) -> tuple[np.ndarray, Score]:
    """What the dense part of a hybrid search is given: the servable mask, and the score of a row."""
    mask = index.servable(intent, today)
    bm25 = np.where(mask, index.scores(query), np.float32(0))
    best = float(bm25.max(initial=0))
    lexical = bm25 / best if best > 0 else bm25

    def score(cosine: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * lexical[rows]

    return mask, score


def exact_search(retriever: Retriever, query: str, intent: str, vector: np.ndarray) -> None:
    retriever.exact = True
    try:
        retriever.search(query, intent, k=4, query_vector=vector)
    finally:
        retriever.exact = False


def chroma_where(intent: str, today: date) -> dict:
    """The same filter as the retriever's in-memory one, as a Chroma `where` (the alternative measured)."""
    clauses: list[dict] = [{"verified": True}, {"review_by": {"$gte": date_key(today)}}]
    if intent != "all":
        clauses.append({INTENT_KEY + intent: True})
    return {"$and": clauses}


def rss_mb() -> tuple[float, float]:
    """This process's resident set now and at its peak, in MB."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def app_process(settings: Settings) -> None:
    """In a fresh process: the store opened as the app does, the snapshot's memory, hybrid latency,
    and the refresh after a one-article change (prints; the parent shows it)."""
    articles, questions = sample_kb(settings)
    asks = asks_of(questions)
    embedder = local_embedder()
    embedder.embed(["warm up the model"])
    retriever = make_retriever(settings, embedder)
    before, _ = rss_mb()
    build = timed(retriever.index)
    loaded, _ = rss_mb()
    for text, intent in asks[:WARMUP]:
        retriever.search(text, intent, k=4)
    e2e, cpu = map(list, zip(*(timed_cpu(retriever.search, t, i, k=4) for t, i in asks), strict=True))
    load = os.getloadavg()[0]
    after, peak = rss_mb()
    p95 = pct(e2e, 95) * 1000
    index = retriever.index()
    vectors = {t: embedder.embed([t])[0] for t, _ in asks}
    inputs = {(t, i): hybrid_inputs(index, t, i, date.today()) for t, i in asks}
    split = {
        "embed the question": [timed(embedder.embed, [t]) for t, _ in asks],
        "dense (int8 pass + exact re-score)": [
            timed(index.dense.candidates, vectors[t], *inputs[(t, i)][:1], retriever.threshold, 4, inputs[(t, i)][1])
            for t, i in asks
        ],
        "lexical (bm25 scores)": [timed(index.scores, t) for t, _ in asks],
        "retrieval, vector given": [timed(retriever.search, t, i, k=4, query_vector=vectors[t]) for t, i in asks],
    }
    print(f"    RSS with models, before the snapshot {before:.0f} MB; snapshot of {index.size} chunks")
    print(f"    built whole in {build:.1f} s: RSS {loaded:.0f} MB (+{loaded - before:.0f} MB)")
    print(
        f"    hybrid end to end p50/p95 {ms(e2e)} ms over {len(asks)} queries (CPU time {ms(cpu)} ms), load {load:.1f}"
    )
    print(f"    split (p50 p95 ms, load average {os.getloadavg()[0]:.1f}):")
    for name, values in split.items():
        print(f"      {name:36} {ms(values)}")
    print(f"    RSS steady (after the queries) {after:.0f} MB, peak {peak:.0f} MB")
    verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
    print(f"    target p95 <= {TARGET_P95_MS:.0f} ms: {p95:.2f} ms, {verdict} (load average {load:.1f})")
    verdict = "met" if peak <= TARGET_RSS_MB else "NOT met"
    print(f"    target RSS <= {TARGET_RSS_MB:.0f} MB for the process: peak {peak:.0f} MB, {verdict}")
    del index, inputs, split  # the served snapshot's only holder is the retriever, as in the app
    article = sorted(articles, key=lambda a: a.id)[0]
    ingest = timed(subprocess.run, [sys.executable, "-m", "bench.bench_query", "--change-article"], check=True)
    retriever.refresh_seconds = 0.0
    refresh, refresh_cpu = timed_cpu(lambda: (retriever.index(), retriever.wait_for_refresh()))
    snapshot = retriever.index()
    assert retriever.freshness().current, retriever.freshness()
    assert any("added by bench_query" in snapshot.documents[r] for r in snapshot.row_of.values())
    print(f"    one article changed ({article.id}, ingested by another process in {ingest:.1f} s):")
    print(f"      snapshot refreshed in {refresh:.2f} s")
    print(f"      (CPU {refresh_cpu:.2f} s),")
    print(f"      {snapshot.fetched} chunks read from the store, {snapshot.lexical.dead} rows now dead")
    verdict = "met" if refresh <= TARGET_REFRESH_S else "NOT met"
    load = os.getloadavg()[0]
    target = f"target refresh <= {TARGET_REFRESH_S:.0f} s after a one-article change"
    print(f"    {target}: {refresh:.2f} s, {verdict} (load {load:.1f})")
    e2e, cpu = map(list, zip(*(timed_cpu(retriever.search, t, i, k=4) for t, i in asks), strict=True))
    load = os.getloadavg()[0]
    print(f"    hybrid end to end after the refresh p50/p95 {ms(e2e)} ms (CPU {ms(cpu)} ms), load {load:.1f}")
    now, peak = rss_mb()
    print(f"    RSS {now:.0f} MB, peak {peak:.0f} MB (load {os.getloadavg()[0]:.1f})")


def change_article(settings: Settings) -> None:
    """In another process, as ingest runs: the sample KB's first article gets a new paragraph,
    written through ingest's own sync."""
    articles, _ = sample_kb(settings)
    article = sorted(articles, key=lambda a: a.id)[0]
    changed = replace(article, body=f"{article.body}\n\nThis paragraph was added by bench_query ({time.time():.0f}).")
    embedder = local_embedder()
    collection = kb_collection(chroma_client(settings), settings.collection, embedder)
    sync = KBSync(collection, embedder, settings.chunk_tokens, Tokenizer.from_settings(settings).count)
    sync.apply(sync.plan([changed]))


def in_app_process(settings: Settings) -> None:
    """Run `app_process` in a fresh interpreter, so that its RSS is the app's, not this bench's."""
    print("  a fresh process opening the store as the app does (make_retriever):", flush=True)
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "CHROMA_HOST": settings.chroma_host,
        "CHROMA_PORT": str(settings.chroma_port),
    }
    done = subprocess.run([sys.executable, "-m", "bench.bench_query", "--app-process"], env=env, check=False)
    if done.returncode:
        print(f"    (the app process failed with code {done.returncode})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_server(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_WAIT_S
    while True:
        try:
            chromadb.HttpClient(
                host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
            ).heartbeat()
            return
        except Exception as err:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with code {proc.returncode}") from err
            if time.monotonic() > deadline:
                raise TimeoutError(f"no heartbeat on port {port} after {SERVER_WAIT_S:.0f} s") from err
            time.sleep(0.5)


def copy_collection(source: Collection, client: ClientAPI, target: Collection) -> None:
    """Page by page: the rows as they are (vectors included), no embedding."""
    batch = min(client.get_max_batch_size(), PAGE)
    for offset in range(0, source.count(), batch):
        page = source.get(include=["embeddings", "documents", "metadatas"], limit=batch, offset=offset)
        target.upsert(
            ids=page["ids"],
            embeddings=page["embeddings"],  # type: ignore[arg-type]
            documents=page["documents"],
            metadatas=page["metadatas"],  # type: ignore[arg-type]
        )
    bump_revision(target)


def server_run(embedded: Settings, questions: list[Question]) -> None:
    path = Path(tempfile.mkdtemp(prefix="safedesk-bench-query-server-"))
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    with (path / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        start = time.perf_counter()
        wait_for_server(port, proc)
        print(f"\nChroma server (pid {proc.pid}, 127.0.0.1:{port}), up in {time.perf_counter() - start:.1f} s")
        settings = bench_settings("query-server", chroma_host="127.0.0.1", chroma_port=port)
        client = chroma_client(settings)
        # fresh: the app process changed an article in the embedded store since this one last read it
        source = kb_collection(chroma_client(embedded, fresh=True), embedded.collection, local_embedder())
        start = time.perf_counter()
        copy_collection(source, client, kb_collection(client, settings.collection, local_embedder()))
        print(f"  copied the store over HTTP (vectors as they are) in {time.perf_counter() - start:.0f} s")
        measure(settings, client, questions)
        in_app_process(settings)
        print(f"  server peak RSS {server_peak_rss_mb(proc.pid):.0f} MB")
    except Exception as err:
        print(f"\nChroma server run failed: {err!r} (log: {path / 'server.log'})")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_query", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=TOTAL_CHUNKS, help=f"chunks in the store ({TOTAL_CHUNKS})")
    parser.add_argument("--store", type=Path, help="data folder to build the store in, or reuse it from (kept)")
    parser.add_argument("--only", choices=["embedded", "server"], help="measure one store only (default: both)")
    parser.add_argument("--app-process", action="store_true", help=argparse.SUPPRESS)  # in_app_process's child
    parser.add_argument("--change-article", action="store_true", help=argparse.SUPPRESS)  # app_process's child
    args = parser.parse_args(argv)
    if args.change_article:
        change_article(bench_settings("query-change", data_dir=Path(os.environ["SAFEDESK_DATA_DIR"])))
        return
    if args.app_process:
        app_process(bench_settings("query-app", data_dir=Path(os.environ["SAFEDESK_DATA_DIR"])))
        return
    started = time.perf_counter()
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}")
    settings = bench_settings("query", **({"data_dir": args.store} if args.store else {}))
    start = time.perf_counter()
    questions, how = build_store(settings, random.Random(0), args.chunks)
    print(f"store: {how}")
    print(f"store ready in {time.perf_counter() - start:.0f} s (threshold {settings.relevance_threshold})", flush=True)
    # The server first: once the app process has changed an article in the embedded store, this
    # process can no longer read that store whole to copy it ("Error finding id" from Chroma).
    if args.only != "embedded":
        server_run(settings, questions)
    if args.only != "server":
        print("\nembedded Chroma (PersistentClient)")
        measure(settings, chroma_client(settings, fresh=True), questions)
        print(f"  peak RSS (this process, store built here) {peak_rss_mb():.0f} MB", flush=True)
        in_app_process(settings)
    print(f"\npeak RSS (this process) {peak_rss_mb():.0f} MB; load average {os.getloadavg()[0]:.2f}", end="")
    print(f"; took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
