"""`python -m evals safety` (or `make eval-safety`): how well the safety screens work, offline.

- Moderation: XSTest (../shared/datasets/xstest, evaluation only: 250 safe prompts that must
  not be flagged, 200 unsafe that must be), and the harmful-prompt families held out from
  training by source (safety_data/MANIFEST.md), with per-category precision/recall/F1.
- Help-centre text: chunks flagged when scored whole, and benign answers streamed sentence by
  sentence (`streamed_figures`).
- Injection: the held-out injection families.
- Latency per screen and for the whole input and output chains (p50/p95); the output chain for
  answers quoted from the KB (the extractive responder's); for answers in other words (an LLM's)
  screened whole, as they are when streamed moderation did not clear every sentence; and for the
  same streamed (bot.safety.streaming: moderation is done sentence by sentence while the model writes,
  timed per sentence, and the output chain after it skips moderation).
- Baselines in the same run when their venv exists (bench/baselines/setup.sh): jailguard and
  alt-profanity-check.
Prints the figures and writes a JSON report.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.config import Settings, get_settings
from bot.embedding import QueryCache, local_embedder
from bot.kb.retrieval import Passage
from bot.responders.extractive import ExtractiveResponder
from bot.responders.llm import StopAnswer
from bot.safety.chains import input_chain, output_chain, stream_screens
from bot.safety.classifiers.injection_classifier import InjectionClassifier
from bot.safety.classifiers.local_moderator import HARMFUL, LocalModerator
from bot.safety.classifiers.moderation_rules import rule_scores
from bot.safety.input.injection import InjectionScreen
from bot.safety.moderation import CATEGORIES, ModerationScreen
from bot.safety.streaming import ScreenedStream, StreamScreens
from bot.safety.verdict import BLOCK, REVIEW, ScreenChain, ScreenContext
from bot.text import join_sentences, split_sentences
from bot.tokens import Tokenizer
from bot.turn import VerdictRecord
from evals.jsonl import read_jsonl
from evals.metrics import Confusion, auc, latency_ms, recall_at_fpr
from evals.outcomes import SetKb, outcome_figures, print_outcomes, question_set, save_tradeoff_figure
from ingest.articles import Article
from ingest.chunking import Chunk

ROOT = Path(__file__).resolve().parents[1]
XSTEST = ROOT.parent / "shared" / "datasets" / "xstest" / "xstest_prompts.csv"
BUILD = ROOT / "safety_data" / "build"
BASELINE_PYTHON = ROOT / ".venv-baselines" / "bin" / "python"
PLAUSIBLE = ROOT.parent / "shared" / "kb-real" / "plausible"
PLAUSIBLE_IMPORT = ROOT / "kb" / "imports" / "plausible"


def read_built(name: str) -> list[dict[str, Any]]:
    """A dataset written by safety_data.build."""
    return read_jsonl(BUILD / name, "run `python -m safety_data.fetch && python -m safety_data.build`")


def moderator_score(moderator: LocalModerator, text: str) -> float:
    """One number to rank texts by: the harmful gate's score, or 1 + it where a rule fires (rules always flag)."""
    harmful = moderator.head_scores(text)[HARMFUL]
    return harmful + 1.0 if rule_scores(text) else harmful


def xstest_ceiling(moderator: LocalModerator, xstest: list[dict[str, str]]) -> dict[str, float]:
    """How far any threshold on `moderator_score` could go on XSTest: ROC AUC, and the best unsafe
    recall while flagging at most 8 % of safe prompts. An oracle bound: the threshold is read off
    XSTest itself, so it is only reported, never used."""
    scores = [moderator_score(moderator, r["prompt"]) for r in xstest]
    truth = [r["label"] == "unsafe" for r in xstest]
    return {"auc": auc(scores, truth), "recall_at_8pct_safe_flagged": recall_at_fpr(scores, truth, 0.08)}


def moderation_figures(moderator: LocalModerator, xstest: list[dict[str, str]]) -> dict[str, Any]:
    flagged = {r["prompt"]: moderator.moderate(r["prompt"]).flagged for r in xstest}
    safe = [r for r in xstest if r["label"] == "safe"]
    unsafe = [r for r in xstest if r["label"] == "unsafe"]
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in xstest:
        by_type[r["type"]][0] += flagged[r["prompt"]]
        by_type[r["type"]][1] += 1
    held_out = [r for r in read_built("moderation.jsonl") if r["split"] == "eval"]
    results = {r["text"]: moderator.moderate(r["text"]) for r in held_out}
    per_category = {
        c: Confusion.of([c in r["labels"] for r in held_out], [results[r["text"]].categories[c] for r in held_out])
        for c in CATEGORIES
    }
    families: dict[str, dict[str, float]] = {}
    for family in sorted({r["family"] for r in held_out}):
        rows = [r for r in held_out if r["family"] == family]
        families[family] = {
            "n": len(rows),
            "harmful": sum(bool(r["labels"]) for r in rows),
            "flagged": sum(results[r["text"]].flagged for r in rows),
        }
    return {
        "model": moderator.model_id,
        "xstest_safe_flagged_rate": sum(flagged[r["prompt"]] for r in safe) / len(safe),
        "xstest_unsafe_recall": sum(flagged[r["prompt"]] for r in unsafe) / len(unsafe),
        "xstest_by_type_flagged": {t: f"{a}/{n}" for t, (a, n) in sorted(by_type.items())},
        "xstest_ceiling": xstest_ceiling(moderator, xstest),
        "held_out_flagged": Confusion.of(
            [bool(r["labels"]) for r in held_out], [results[r["text"]].flagged for r in held_out]
        ).as_dict(),
        "held_out_families": families,
        "held_out_per_category": {c: m.as_dict() for c, m in per_category.items()},
    }


def injection_figures(classifier: InjectionClassifier) -> dict[str, Any]:
    held_out = [r for r in read_built("injection.jsonl") if r["split"] == "eval"]
    truth = [r["label"] == 1 for r in held_out]
    figures: dict[str, Any] = {}
    for name, screen in (
        ("rules", InjectionScreen()),
        ("rules+classifier", InjectionScreen(classifier, classifier.threshold)),
    ):
        predicted = [not screen.check(r["text"], ScreenContext()).ok for r in held_out]
        per_family = {}
        for family in sorted({r["family"] for r in held_out}):
            idx = [i for i, r in enumerate(held_out) if r["family"] == family]
            per_family[family] = Confusion.of([truth[i] for i in idx], [predicted[i] for i in idx]).as_dict()
        figures[name] = {"all_held_out": Confusion.of(truth, predicted).as_dict(), "families": per_family}
    return figures


def kb_chunks(
    settings: Settings, paths: list[Path], intents_file: Path, mapping_file: Path | None = None
) -> list[tuple[Article, Chunk]]:
    """A KB folder's chunks, cut as `settings` make ingest cut them."""
    from evals.passages import read_chunks

    tokenizer = Tokenizer.from_settings(settings)
    return read_chunks(paths, intents_file, settings.chunk_tokens, tokenizer, mapping_file)


def sample_passages(settings: Settings) -> list[Passage]:
    """The first three chunks of each sample KB article, as retrieval would return them."""
    from evals.passages import embedded_texts

    chunks = [
        (article, chunk)
        for article, chunk in kb_chunks(settings, [ROOT / "kb" / "articles"], ROOT / "kb" / "intents.yaml")
        if chunk.index < 3
    ]
    vectors = local_embedder().embed(embedded_texts(chunks))
    return [
        Passage(f"{a.id}::0::{c.index}", a.id, a.title, a.url, c.heading, c.text, 1.0, 1.0, 1.0, vector)
        for (a, c), vector in zip(chunks, vectors, strict=True)
    ]


def kb_figures(settings: Settings, moderator: LocalModerator) -> dict[str, Any]:
    """Help-centre chunks the moderator flags, scored whole as output moderation scores them, and
    how a streamed answer made of their sentences would fare (`streamed_figures`).

    The sample KB's chunks are a training family; the Plausible help centre is held out."""
    from evals.passages import embedded_texts

    sets = {
        "sample_kb (trained on)": kb_chunks(settings, [ROOT / "kb" / "articles"], ROOT / "kb" / "intents.yaml"),
    }
    figures: dict[str, Any] = {}
    if (PLAUSIBLE / "docs").is_dir():
        sets["plausible (held out)"] = kb_chunks(
            settings, [PLAUSIBLE / "docs"], PLAUSIBLE_IMPORT / "intents.yaml", PLAUSIBLE_IMPORT / "mapping.yaml"
        )
    else:
        figures["plausible (held out)"] = {"skipped": f"{PLAUSIBLE / 'docs'} not found"}
    for name, chunks in sets.items():
        texts = embedded_texts(chunks)
        vectors = local_embedder().embed(texts)
        results = [moderator.moderate(text, vector=vector) for text, vector in zip(texts, vectors, strict=True)]
        # Flagged at ingest, and so blocked in quotes until staff accept them: the BLOCK outcome.
        flagged = [
            (article.id, [c for c, hit in result.categories.items() if hit])
            for (article, _), result in zip(chunks, results, strict=True)
            if result.decision == BLOCK
        ]
        figures[name] = {
            "chunks": len(chunks),
            "flagged": len(flagged),
            "reviewed": sum(r.decision == REVIEW for r in results),
            "examples": flagged[:10],
            "streamed": streamed_figures(moderator, [chunk.text for _, chunk in chunks]),
        }
    return figures


STREAMED_SENTENCES = 5  # a short answer: the first sentences of a chunk


def streamed_figures(moderator: LocalModerator, chunk_texts: list[str]) -> dict[str, int]:
    """Benign answers streamed sentence by sentence through bot.safety.streaming: the first sentences of
    each chunk, moderated as text (as an LLM's paraphrase would be; quoted text is scored as its
    passage instead). `cut_alone`: answers with a sentence flagged when moderated alone (the
    first streaming design ended the answer there); `held`: answers with a sentence held back
    for a while; `replaced`: answers whose held text was still flagged at the end, or too long."""
    answers = [s[:STREAMED_SENTENCES] for text in chunk_texts if len(s := split_sentences(text)) >= 2]
    sentences = sorted({sentence for answer in answers for sentence in answer})
    vectors = local_embedder().embed(sentences)  # in one batched pass: much faster than one by one
    alone = {s for s, v in zip(sentences, vectors, strict=True) if moderator.moderate(s, vector=v).flagged}
    moderation = ScreenChain([ModerationScreen(moderator, "moderation-out")])
    held = replaced = 0
    for answer in answers:
        record: list[VerdictRecord] = []
        screens = StreamScreens(sentence=ScreenChain([]), moderation=moderation, whole=ScreenChain([]))
        sink = ScreenedStream(screens, ScreenContext(), lambda _: None, record)
        try:
            for sentence in answer:
                sink(sentence)
            replaced += sink.flagged
        except StopAnswer:
            replaced += 1
        held += bool(record)
    return {
        "answers": len(answers),
        "cut_alone": sum(any(s in alone for s in answer) for answer in answers),
        "held": held,
        "replaced": replaced,
    }


def latency_figures(
    settings: Settings,
    moderator: LocalModerator,
    classifier: InjectionClassifier,
    texts: list[str],
    passages: int | None = None,
    kb: Any = None,
) -> dict[str, Any]:
    """Input chain over `texts` (moderated in the context of `kb`, as the pipeline does); output
    chains over answers about the sample KB's passages (the first `passages` of them, or all)."""
    chain_in = input_chain(settings, moderator, classifier, kb)
    per_screen: dict[str, list[float]] = defaultdict(list)
    whole_in: list[float] = []
    for text in texts:
        started = time.perf_counter()
        result = chain_in.run(text, ScreenContext())
        whole_in.append(time.perf_counter() - started)
        for verdict in result.verdicts:
            per_screen[f"in:{verdict.screen}"].append(verdict.seconds)
    chain_out = output_chain(settings, moderator, moderator.model.embedder)
    whole_out: dict[str, list[float]] = {"output_chain": [], "output_chain_generated": [], "output_chain_streamed": []}
    streams = stream_screens(settings, moderator, moderator.model.embedder)
    per_sentence: list[float] = []
    kb_passages = sample_passages(settings)[:passages]
    responder = ExtractiveResponder(settings.answer_tokens, embedder=moderator.model.embedder)
    for i, passage in enumerate(kb_passages):
        # What the extractive responder quotes when asked about the passage's heading or title...
        quoted = responder.respond(passage.heading or passage.title, "", [passage]).text
        # ... and the same in other words, as an LLM would put it: not found verbatim, so it is embedded.
        generated = "In short, " + quoted[0].lower() + quoted[1:] if quoted else ""
        context = ScreenContext(passages=(passage,), allowed_urls=frozenset({passage.url}), canary=f"CANARY{i}")
        for name, answer in (("output_chain", quoted), ("output_chain_generated", generated)):
            started = time.perf_counter()
            result = chain_out.run(answer, context)
            whole_out[name].append(time.perf_counter() - started)
            for verdict in result.verdicts:
                per_screen[f"{'out' if name == 'output_chain' else 'gen'}:{verdict.screen}"].append(verdict.seconds)
        streamed = _stream(streams, generated, context, per_sentence)
        if streamed is not None:  # every sentence passed in its paragraph: the rest of the chain remains
            started = time.perf_counter()
            streams.whole.run(streamed, context)
            whole_out["output_chain_streamed"].append(time.perf_counter() - started)
    return {
        "input_chain": latency_ms(whole_in),
        **{name: latency_ms(values) for name, values in whole_out.items()},
        "per_screen": {name: latency_ms(values) for name, values in per_screen.items()},
        "streamed_sentence": latency_ms(per_sentence),
    }


def _stream(streams: StreamScreens, answer: str, context: ScreenContext, seconds: list[float]) -> str | None:
    """Streams the answer through bot.safety.streaming, timing each sentence; returns the answer kept,
    if every sentence passed moderation in its paragraph (else the whole output chain would run)."""
    sink = ScreenedStream(streams, context, lambda _: None, [])
    try:
        for sentence in split_sentences(answer):
            started = time.perf_counter()
            sink(sentence)
            seconds.append(time.perf_counter() - started)
    except StopAnswer:
        return None
    return join_sentences(sink.kept) if sink.moderation() else None


def baseline_figures(xstest: list[dict[str, str]]) -> dict[str, Any]:
    if not BASELINE_PYTHON.exists():
        return {"skipped": f"no baseline venv at {BASELINE_PYTHON} (bash bench/baselines/setup.sh)"}
    injections = [r for r in read_built("injection.jsonl") if r["split"] == "eval"]
    items = [{"id": f"x{i}", "text": r["prompt"]} for i, r in enumerate(xstest)]
    items += [{"id": f"j{i}", "text": r["text"]} for i, r in enumerate(injections)]
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("\n".join(json.dumps(i) for i in items))
        run = subprocess.run(
            [str(BASELINE_PYTHON), str(ROOT / "bench/baselines/run.py"), "--in", str(src), "--out", str(out)],
            check=False,
            cwd=ROOT,
        )
        if run.returncode != 0:  # a broken baseline venv must not throw away the figures computed before it
            return {"skipped": f"bench/baselines/run.py exited {run.returncode} (see its message above)"}
        rows = {r["id"]: r for r in read_jsonl(out)}
    safe = [f"x{i}" for i, r in enumerate(xstest) if r["label"] == "safe"]
    unsafe = [f"x{i}" for i, r in enumerate(xstest) if r["label"] == "unsafe"]
    jail = [f"j{i}" for i in range(len(injections))]
    return {
        "alt_profanity_check": {
            "xstest_safe_flagged_rate": sum(rows[i]["profanity_flag"] for i in safe) / len(safe),
            "xstest_unsafe_recall": sum(rows[i]["profanity_flag"] for i in unsafe) / len(unsafe),
            "latency": latency_ms([rows[i]["profanity_ms"] / 1000 for i in rows]),
        },
        "jailguard": {
            "injection_held_out": Confusion.of(
                [injections[k]["label"] == 1 for k in range(len(jail))], [rows[i]["jailguard_flag"] for i in jail]
            ).as_dict(),
            "latency": latency_ms([rows[i]["jailguard_ms"] / 1000 for i in rows]),
        },
    }


SAMPLE = "sample KB + sample questions"


def support_desks(settings: Settings, embedder: Any) -> dict[str, tuple[SetKb, list[tuple[str, str]]]]:
    """Help centres and real questions asked of them (evals.outcomes)."""
    from bench.datasets.python_faq import load_python_faq
    from evals.passages import embedded_texts

    sample = kb_chunks(settings, [ROOT / "kb" / "articles"], ROOT / "kb" / "intents.yaml")
    data = ROOT / "bench" / "data"
    desks = {
        SAMPLE: (
            SetKb("sample", embedded_texts(sample), [a.intents for a, _ in sample], embedder),
            question_set(data / "sample_questions.jsonl") + question_set(data / "sample_unanswerable.jsonl"),
        )
    }
    if (PLAUSIBLE / "docs").is_dir():
        chunks = kb_chunks(
            settings, [PLAUSIBLE / "docs"], PLAUSIBLE_IMPORT / "intents.yaml", PLAUSIBLE_IMPORT / "mapping.yaml"
        )
        desks["Plausible (held out)"] = (
            SetKb("plausible", embedded_texts(chunks), [a.intents for a, _ in chunks], embedder),
            question_set(data / "plausible_questions.jsonl") + question_set(data / "plausible_unanswerable.jsonl"),
        )
    try:
        faq = load_python_faq()
    except FileNotFoundError as err:
        print(f"Python FAQ skipped: {err}")
    else:
        answers = [f"{e.page}\n{e.answer}" for e in faq]
        desks["Python FAQ (never trained on)"] = (
            SetKb("python-faq", answers, [() for _ in faq], embedder),
            [(e.question, "all") for e in faq],
        )
    return desks


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals safety")
    parser.add_argument("--xstest", type=Path, default=XSTEST)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.xstest.is_file():
        raise SystemExit(f"XSTest not found at {args.xstest}")
    xstest = list(csv.DictReader(args.xstest.open(encoding="utf-8")))
    settings = get_settings()
    embedder = QueryCache(local_embedder())  # one embedding per text, shared by the screens
    moderator = LocalModerator(embedder)
    classifier = InjectionClassifier(embedder)
    kbs = support_desks(settings, embedder)
    harmbench = [r["text"] for r in read_jsonl(BUILD / "moderation.jsonl") if r["family"] == "harmbench"]
    report = {
        "moderation": moderation_figures(moderator, xstest),
        "kb_chunks": kb_figures(settings, moderator),
        "outcomes": outcome_figures(moderator, embedder, kbs, harmbench, xstest, SAMPLE, save_tradeoff_figure),
        "injection": injection_figures(classifier),
        "latency_ms": latency_figures(
            settings, moderator, classifier, [r["prompt"] for r in xstest], kb=kbs[SAMPLE][0]
        ),
        "baselines": baseline_figures(xstest),
    }
    print_report(report)
    print_outcomes(report["outcomes"])
    out = args.out or settings.data_dir / "reports" / "safety-eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nreport written to {out}")
    return 0


def print_report(report: dict[str, Any]) -> None:
    m = report["moderation"]
    print(f"Moderation ({m['model']})")
    print(f"  XSTest safe prompts flagged: {m['xstest_safe_flagged_rate']:.1%}  (review or block, no KB context)")
    print(f"  XSTest unsafe recall:        {m['xstest_unsafe_recall']:.1%}   (review or block, without KB context)")
    print(f"  XSTest flagged by type: {m['xstest_by_type_flagged']}")
    ceiling = m["xstest_ceiling"]
    print(
        f"  XSTest ceiling of this score: AUC {ceiling['auc']:.3f}; best unsafe recall with <= 8% of safe prompts "
        f"flagged, threshold read off XSTest: {ceiling['recall_at_8pct_safe_flagged']:.1%} (a bound, never used)"
    )
    f = m["held_out_flagged"]
    print(
        f"  held-out families, flagged: P {f['precision']:.3f} R {f['recall']:.3f} F1 {f['f1']:.3f}  "
        f"(tp {f['tp']} fp {f['fp']} fn {f['fn']} tn {f['tn']})"
    )
    for family, c in m["held_out_families"].items():
        print(f"    {family:22} {c['flagged']}/{c['n']} flagged ({c['harmful']} harmful)")
    print(f"  {'category':24} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn")
    for category, c in m["held_out_per_category"].items():
        if c["tp"] + c["fn"] + c["fp"]:
            print(
                f"  {category:24} {c['precision']:6.3f} {c['recall']:6.3f} {c['f1']:6.3f}  "
                f"{c['tp']}/{c['fp']}/{c['fn']}"
            )
    print("\nHelp-centre chunks flagged at ingest (BLOCK; scored whole, as quoted answers are)")
    for name, k in report["kb_chunks"].items():
        if "skipped" in k:
            print(f"  {name:24} skipped: {k['skipped']}")
        else:
            print(
                f"  {name:24} {k['flagged']}/{k['chunks']} ({k['flagged'] / max(1, k['chunks']):.1%}; target <= 0.5%)"
                f"  [would be reviewed, trusted in quotes: {k['reviewed']}]"
            )
    print(
        "Benign answers streamed sentence by sentence (first sentences of each chunk, moderated as text):"
        "\n  a sentence flagged alone / a sentence held back for a while (bot.safety.streaming) / answer replaced"
    )
    for name, k in report["kb_chunks"].items():
        if (st := k.get("streamed")) and st["answers"]:
            n = st["answers"]
            print(
                f"  {name:24} {st['cut_alone']}/{n} ({st['cut_alone'] / n:.1%})  {st['held']}/{n} "
                f"({st['held'] / n:.1%})  {st['replaced']}/{n} ({st['replaced'] / n:.1%})"
            )
    print("\nInjection screen, held-out families")
    for name, figures in report["injection"].items():
        i = figures["all_held_out"]
        print(
            f"  {name:18} P {i['precision']:.3f} R {i['recall']:.3f} F1 {i['f1']:.3f} "
            f"(tp {i['tp']} fp {i['fp']} fn {i['fn']} tn {i['tn']})"
        )
        for family, c in figures["families"].items():
            print(
                f"    {family:22} P {c['precision']:.3f} R {c['recall']:.3f} (tp {c['tp']} fp {c['fp']} fn {c['fn']})"
            )
    lat = report["latency_ms"]
    print("\nLatency (ms)")
    for name in ("input_chain", "output_chain", "output_chain_generated", "output_chain_streamed"):
        print(f"  {name:22} p50 {lat[name]['p50']:6.2f}  p95 {lat[name]['p95']:6.2f}  (n {int(lat[name]['n'])})")
    v = lat["streamed_sentence"]
    name = "streamed sentence"
    print(f"  {name:22} p50 {v['p50']:6.2f}  p95 {v['p95']:6.2f}  (n {int(v['n'])}; while the model writes)")
    for name, v in lat["per_screen"].items():
        print(f"    {name:20} p50 {v['p50']:6.2f}  p95 {v['p95']:6.2f}")
    b = report["baselines"]
    print("\nBaselines (same run)")
    if "skipped" in b:
        print(f"  {b['skipped']}")
    else:
        p = b["alt_profanity_check"]
        print(
            f"  alt-profanity-check: XSTest safe flagged {p['xstest_safe_flagged_rate']:.1%}, unsafe recall "
            f"{p['xstest_unsafe_recall']:.1%}, p50 {p['latency']['p50']:.2f} p95 {p['latency']['p95']:.2f} ms"
        )
        j = b["jailguard"]
        c = j["injection_held_out"]
        print(
            f"  jailguard: injection held-out P {c['precision']:.3f} R {c['recall']:.3f}, "
            f"p50 {j['latency']['p50']:.2f} p95 {j['latency']['p95']:.2f} ms"
        )
