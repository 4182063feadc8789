"""Whole offline turns: the three bands, answer quality and per-stage latency.

Two KBs, each with its own question sets (bench/data): answerable questions carry their gold
article, `facts` (1-3 substrings a right answer must contain) and a `style`; unanswerable ones
are on-topic questions the KB does not answer.
  * the sample KB: sample_questions.jsonl and sample_unanswerable.jsonl. The extractive
    responder and the bands (bot/bands.py) were calibrated on these.
  * the Plausible help centre (../shared/kb-real/plausible, imported with kb/imports/plausible):
    plausible_questions.jsonl and plausible_unanswerable.jsonl, held out: never tuned on.

Each question is asked once with the bands open (every turn goes on to an answer) and the band's
confidence and closest articles recorded (the "bands" verdict); the shipped thresholds are then
applied to the record exactly as bot.pipeline applies them, and so is every other pair of
thresholds for the trade-off (bench/out/turn-bands-tradeoff.png). Per set: answered / suggested /
declined for each kind; the right article cited; the right article in the answer or the
suggestions; all facts present; the same by question style. Then the latency of full offline
turns with the shipped bands (p50/p95 per stage), turns/s on one thread and peak RSS.

    python -m bench.bench_turn                (--quick: sample KB only)
    python -m bench.bench_turn --calibrate    (also fit the bands' weights and thresholds on the sample KB)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import (
    DATA,
    PLAUSIBLE_DOCS,
    PLAUSIBLE_IMPORT,
    ROOT,
    bench_settings,
    pct,
    peak_rss_mb,
    plausible_settings,
    pyplot,
    save_figure,
)
from bot import bands
from bot.config import Settings
from bot.gate import Gate
from bot.identity import User
from bot.kb.snapshot import KBSnapshot
from bot.pipeline import Pipeline
from bot.responders.blocks import blocks_of
from bot.turn import Decision, Turn
from bot.wiring import build_pipeline
from evals.jsonl import read_jsonl

STAGES = ("gate", "input", "retrieve", "bands", "respond", "output", "total")
TARGETS = {"facts": 0.75, "right_anywhere": 0.97, "unanswerable_answered": 0.10, "answerable_answered": 0.75}
_MARKER = re.compile(r"\s*\[\d{1,2}\]")


@dataclass
class Asked:
    """One question and what the turn did with the bands open."""

    question: dict
    turn: Turn
    confidence: float
    features: dict[str, float]
    closest: list[str]  # article ids the suggestions would show

    @property
    def answerable(self) -> bool:
        return self.question.get("article_id") is not None


def decision(asked: Asked, answer_at: float, suggest_at: float) -> str:
    """What the pipeline decides with these thresholds (bot.pipeline: bands before the answer)."""
    if asked.turn.decision is not Decision.ANSWERED and not asked.features:
        return asked.turn.decision.value  # stopped before the bands (blocked input, nothing retrieved)
    if asked.confidence < suggest_at or not asked.closest:
        return Decision.NOT_IN_KB.value
    if asked.confidence < answer_at:
        return Decision.SUGGESTED.value
    return asked.turn.decision.value


def facts_present(asked: Asked) -> bool:
    text = _plain(asked.turn.answer)
    return all(_plain(fact) in text for fact in asked.question.get("facts") or [])


def _plain(text: str) -> str:
    return " ".join(_MARKER.sub("", text).replace("**", "").replace("*", "").lower().split())


@dataclass
class Figures:
    answerable: Counter[str]
    unanswerable: Counter[str]
    right_cited: float  # answered, the gold article among the citations
    right_anywhere: float  # the gold article cited, or among the suggestions
    facts: float  # answered with every fact in the answer
    unanswerable_answered: float
    answerable_answered: float


def figures(asked: list[Asked], answer_at: float, suggest_at: float) -> Figures:
    a = [x for x in asked if x.answerable]
    u = [x for x in asked if not x.answerable]
    da = [decision(x, answer_at, suggest_at) for x in a]
    du = [decision(x, answer_at, suggest_at) for x in u]
    cited = [d == "answered" and x.question["article_id"] in _cited(x.turn) for x, d in zip(a, da, strict=True)]
    suggested = [d == "suggested" and x.question["article_id"] in x.closest for x, d in zip(a, da, strict=True)]
    facts = [d == "answered" and facts_present(x) for x, d in zip(a, da, strict=True)]
    share = lambda flags: sum(flags) / max(1, len(flags))  # noqa: E731
    return Figures(
        Counter(da),
        Counter(du),
        share(cited),
        share([c or s for c, s in zip(cited, suggested, strict=True)]),
        share(facts),
        share([d == "answered" for d in du]),
        share([d == "answered" for d in da]),
    )


def _cited(turn: Turn) -> set[str]:
    return {c.article_id for c in turn.citations}


def ingest(settings: Settings, args: list[str]) -> None:
    env = {
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_INTENTS_FILE": str(settings.intents_file),
        "SAFEDESK_COLLECTION": settings.collection,
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", *args], env=env, cwd=ROOT, check=True)


def pipeline_for(settings: Settings) -> Pipeline:
    return build_pipeline(settings, gate=Gate.from_settings(settings, rate_limited=False))


def ask_all(pipeline: Pipeline, questions: list[dict]) -> list[Asked]:
    # One user per question: a benign question the input screens block would otherwise count as
    # a strike against one shared user, and a few of those would stop the whole run at the gate.
    out = []
    for q in questions:
        turn = pipeline.run(q["question"], q["intent"], User(f"bench-{q['id']}"))
        verdict = next((v for v in turn.verdicts if v.screen == "bands"), None)
        scores = dict(verdict.scores) if verdict else {}
        closest = [r.split(":", 1)[1] for r in verdict.reasons if r.startswith("closest:")] if verdict else []
        out.append(Asked(q, turn, scores.pop("confidence", 0.0), scores, closest))
    return out


def report(name: str, asked: list[Asked], answer_at: float, suggest_at: float) -> Figures:
    f = figures(asked, answer_at, suggest_at)
    print(f"\n{name}   (answer at {answer_at}, suggest at {suggest_at})")
    print(f"  answerable   ({sum(f.answerable.values())}): {_decisions(f.answerable)}")
    print(f"  unanswerable ({sum(f.unanswerable.values())}): {_decisions(f.unanswerable)}")
    print(f"  right article cited {f.right_cited:.3f}; in the answer or the suggestions {f.right_anywhere:.3f}")
    answered = f.answerable_answered
    among = f"; among answered turns {f.facts / answered:.3f}" if answered else ""
    print(f"  answered with all facts present {f.facts:.3f} of answerable questions{among}")
    for key, target in TARGETS.items():
        value, at_most = getattr(f, key), key == "unanswerable_answered"
        met = value <= target if at_most else value >= target
        print(
            f"    target {key:22} {'<=' if at_most else '>='} {target:.2f}: {value:.3f} {'met' if met else 'NOT met'}"
        )
    styles = sorted({x.question.get("style", "?") for x in asked})
    print(
        f"  by style{'':14} {'n':>4} {'answered':>9} {'suggested':>10} {'declined':>9} {'right-any':>10} {'facts':>6}"
    )
    for style in styles:
        for kind in ("answerable", "unanswerable"):
            group = [
                x for x in asked if x.question.get("style", "?") == style and x.answerable == (kind == "answerable")
            ]
            if not group:
                continue
            g = figures(group, answer_at, suggest_at)
            c = g.answerable if kind == "answerable" else g.unanswerable
            n = sum(c.values())
            row = f"  {style:10} {kind[:6]:11} {n:4} " + " ".join(
                f"{c[d] / n:{w}.2f}" for d, w in (("answered", 9), ("suggested", 10), ("not_in_kb", 9))
            )
            print(row + (f" {g.right_anywhere:10.2f} {g.facts:6.2f}" if kind == "answerable" else ""))
    return f


def ceilings(asked: list[Asked], snapshot: KBSnapshot) -> None:
    """What the design can reach at best. Answers: the share of answerable questions whose facts
    all stand in one block (or at least one chunk) of the gold article, so an answer quoting one
    block could hold them; and the share of answers that hold them with every turn answered.
    Bands: how well the confidence separates right answers from unanswerable questions (AUC),
    and the most answerable questions answered with at most 10 % of unanswerable ones answered."""
    a = [x for x in asked if x.answerable]
    u = [x for x in asked if not x.answerable and x.features]
    in_block = in_chunk = 0
    for x in a:
        facts = [_plain(f) for f in x.question.get("facts") or []]
        chunks = [
            (str(m.get("heading", "")), text)
            for text, m in zip(snapshot.documents, snapshot.metadatas, strict=True)
            if m["article_id"] == x.question["article_id"]
        ]
        in_chunk += any(all(f in _plain(text) for f in facts) for _, text in chunks)
        in_block += any(
            all(f in _plain(b.text) for f in facts) for heading, text in chunks for b in blocks_of(0, text, heading)
        )
    n = max(1, len(a))
    print("  ceilings:")
    print(f"    facts all in one block of the gold article {in_block / n:.3f}; in one chunk {in_chunk / n:.3f}")
    print(f"    answers holding all facts, every turn answered (bands open) {sum(map(facts_present, a)) / n:.3f}")
    retrieved = sum(x.question["article_id"] in {p.article_id for p in x.turn.passages} for x in a)
    print(f"    gold article among the retrieved passages (all an answer or suggestion can show) {retrieved / n:.3f}")
    right = [x.confidence for x in a if facts_present(x) or _first_cited(x.turn) == x.question["article_id"]]
    wrong = [x.confidence for x in u]
    if right and wrong:
        auc = float(np.mean([[r > w or (r == w) / 2 for w in wrong] for r in right]))
        cut = next((t for t in sorted(set(wrong), reverse=True) if np.mean(np.array(wrong) >= t) > 0.10), 1.0)
        best = [x for x in a if x.confidence > cut]
        print(
            f"    confidence AUC, right answers vs unanswerable {auc:.3f}; with <= 0.10 of unanswerable answered "
            f"(threshold just above {cut:.3f}) at most {len(best) / n:.3f} of answerable answered, "
            f"{sum(map(facts_present, best)) / n:.3f} with all facts"
        )


def _decisions(counts: Counter[str]) -> str:
    n = sum(counts.values()) or 1
    main = ["answered", "suggested", "not_in_kb"]
    order = [*main, *sorted(set(counts) - set(main))]
    return "  ".join(f"{d} {counts[d] / n:.2f}" for d in order if d in counts or d in order[:3])


def tradeoff(asked: list[Asked], suggest_at: float) -> list[tuple[float, Figures]]:
    return [(t, figures(asked, t, min(suggest_at, t))) for t in np.round(np.arange(0.05, 0.96, 0.05), 2)]


def _first_cited(turn: Turn) -> str:
    return turn.citations[0].article_id if turn.citations else ""


def calibrate(asked: list[Asked]) -> None:
    """Fit the confidence's weights (logistic regression: answerable with the best block in the
    gold article vs the rest) and print the thresholds that meet the targets on this set."""
    names = list(bands.WEIGHTS)
    rows = [x for x in asked if x.features]
    x = np.array([[r.features.get(n, 0.0) for n in names] for r in rows])
    # A right answer: every fact present, or the gold article quoted first (facts are verbatim
    # substrings, so an answer that says it in other words of the same article still counts).
    y = np.array(
        [
            1.0 if r.answerable and (facts_present(r) or _first_cited(r.turn) == r.question["article_id"]) else 0.0
            for r in rows
        ]
    )
    w, b = np.zeros(len(names)), 0.0
    for _ in range(20000):  # plain gradient descent with a little L2: four features, a few hundred rows
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= 0.5 * (x.T @ (p - y) / len(y) + 0.001 * w)
        b -= 0.5 * float((p - y).mean())
    print("\nCalibration on the sample KB (paste into bot/bands.py):")
    print(
        "  WEIGHTS = {" + ", ".join(f'"{n}": {v:.2f}' for n, v in zip(names, w, strict=True)) + f"}}\n  BIAS = {b:.2f}"
    )
    conf = 1 / (1 + np.exp(-(x @ w + b)))
    u = np.array([not r.answerable for r in rows])
    ok = [t for t in np.arange(0.05, 0.99, 0.01) if (conf[u] >= t).mean() <= TARGETS["unanswerable_answered"]]
    if ok:
        a = np.array([r.answerable for r in rows])
        print(f"  lowest answer threshold with unanswerable answered <= 0.10: {min(ok):.2f}")
        print(f"  there: answerable answered {(conf[a] >= min(ok)).mean():.2f}")
    else:
        print("  no threshold keeps unanswerable answered <= 0.10")
    # The suggest threshold: below it a turn is declined, so the right article is not shown.
    shipped = bands.confidence  # the shipped weights: the threshold goes with them
    a_conf = np.array([shipped(r.features) for r in rows if r.answerable])
    u_conf = np.array([shipped(r.features) for r in rows if not r.answerable])
    print("  suggest threshold (shipped weights): answerable declined / unanswerable declined")
    for t in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
        print(f"    {t:.2f}: {(a_conf < t).mean():.3f} / {(u_conf < t).mean():.3f}")


def plot(curves: dict[str, list[tuple[float, Figures]]], shipped: dict[str, Figures], answer_at: float) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    for (name, points), color in zip(curves.items(), ("tab:blue", "tab:orange"), strict=False):
        xs = [f.unanswerable_answered for _, f in points]
        ys = [f.answerable_answered for _, f in points]
        ax.plot(xs, ys, marker="o", color=color, label=f"{name}: answerable answered")
        ax.plot(xs, [f.facts for _, f in points], marker=".", ls="--", color=color, label=f"{name}: all facts present")
        ax.plot(xs, [f.right_anywhere for _, f in points], ls=":", color=color, label=f"{name}: right article shown")
        for (t, _), x, y in zip(points, xs, ys, strict=True):
            if round(t * 20) % 2 == 0:
                ax.annotate(f"{t:.1f}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if name in shipped:
            at = shipped[name]
            ax.plot([at.unanswerable_answered], [at.answerable_answered], marker="*", ms=16, color=color)
    ax.axhline(TARGETS["answerable_answered"], color="grey", lw=0.8, ls=":")
    ax.axvline(TARGETS["unanswerable_answered"], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("unanswerable questions answered directly")
    ax.set_ylabel("share of answerable questions")
    ax.set_title(f"Answer threshold over the bands' confidence (labels; star: shipped {answer_at})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right", fontsize=7)
    return save_figure(fig, "turn-bands-tradeoff.png")


DECISIONS = (("answered", "tab:green"), ("suggested", "tab:orange"), ("not_in_kb", "tab:grey"), ("other", "tab:red"))


def _shown(d: str) -> str:
    """A decision as the figures group it: blocked input, blocked output and errors are "other"."""
    return d if d in ("answered", "suggested", "not_in_kb") else "other"


def plot_bands(name: str, asked: list[Asked], answer_at: float, suggest_at: float) -> Path | None:
    """One set's whole trade-off: for answerable and unanswerable questions, the share answered,
    suggested and declined at every answer threshold (suggest threshold as shipped; "other":
    blocked or failed before the bands), with the answer's quality (all facts present, right
    article shown) over the answerable ones."""
    plt = pyplot()
    if plt is None:
        return None
    thresholds = [float(t) for t in np.round(np.arange(0.0, 1.001, 0.02), 2)]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, answerable in zip(axes, (True, False), strict=True):
        group = [x for x in asked if x.answerable == answerable]
        counts = [Counter(_shown(decision(x, t, min(suggest_at, t))) for x in group) for t in thresholds]
        n = max(1, len(group))
        shares = [[c[d] / n for c in counts] for d, _ in DECISIONS]
        ax.stackplot(thresholds, *shares, colors=[c for _, c in DECISIONS], labels=[d for d, _ in DECISIONS], alpha=0.6)
        if answerable:
            quality = [figures(group, t, min(suggest_at, t)) for t in thresholds]
            ax.plot(thresholds, [f.facts for f in quality], color="black", label="answered, all facts present")
            ax.plot(thresholds, [f.right_anywhere for f in quality], color="black", ls=":", label="right article shown")
        ax.axvline(answer_at, color="black", lw=0.8, ls="--")
        target = TARGETS["answerable_answered" if answerable else "unanswerable_answered"]
        ax.axhline(target, color="red", lw=0.8, ls=":")
        ax.set_title(f"{'answerable' if answerable else 'unanswerable'} ({len(group)})")
        ax.set_xlabel("answer threshold on the bands' confidence (dashed: shipped)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7)
    axes[0].set_ylabel("share of questions")
    fig.suptitle(f"{name}: answered / suggested / declined across the answer threshold (red: target)")
    return save_figure(fig, f"turn-bands-{_slug(name)}.png")


def plot_styles(name: str, asked: list[Asked], answer_at: float, suggest_at: float) -> Path | None:
    """One set's figures by question style at the shipped thresholds."""
    plt = pyplot()
    if plt is None:
        return None
    styles = sorted({x.question.get("style", "?") for x in asked})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, answerable in zip(axes, (True, False), strict=True):
        bottom = np.zeros(len(styles))
        groups = [
            [x for x in asked if x.answerable == answerable and x.question.get("style", "?") == s] for s in styles
        ]
        for d, color in DECISIONS:
            share = np.array(
                [sum(_shown(decision(x, answer_at, suggest_at)) == d for x in g) / max(1, len(g)) for g in groups]
            )
            ax.bar(styles, share, bottom=bottom, color=color, alpha=0.6, label=d)
            bottom += share
        if answerable:
            facts = [figures(g, answer_at, suggest_at).facts if g else 0.0 for g in groups]
            ax.plot(styles, facts, "ko-", label="answered, all facts present")
        for k, g in enumerate(groups):
            ax.annotate(f"n={len(g)}", (k, 1.0), ha="center", va="bottom", fontsize=7)
        ax.set_title("answerable" if answerable else "unanswerable")
        ax.set_ylim(0, 1.08)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=7)
    axes[0].set_ylabel("share of questions")
    fig.suptitle(f"{name}: by question style (answer at {answer_at}, suggest at {suggest_at})")
    return save_figure(fig, f"turn-styles-{_slug(name)}.png")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().split("(")[0]).strip("-")


def latency(pipeline: Pipeline, questions: list[dict], rounds: int) -> None:
    ask_all(pipeline, questions[:10])  # warm-up: models loaded, snapshot built
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    started = time.perf_counter()
    n = 0
    cache = pipeline.stages.retriever.embedder  # the per-turn query cache (bot.embedding.QueryCache)
    for _ in range(rounds):
        for q in questions:
            cache.clear()  # every question is new to the pipeline, as it would be for a real user
            turn = pipeline.run(q["question"], q["intent"], User(f"bench-{q['id']}"))
            n += 1
            for stage in STAGES:
                if stage in turn.timings_ms:
                    timings[stage].append(turn.timings_ms[stage])
    wall = time.perf_counter() - started
    print(f"\nLatency of a full offline turn with the shipped bands ({n} turns, one thread), ms:")
    print(f"  {'stage':10} {'p50':>8} {'p95':>8} {'max':>8}  n")
    for stage, values in timings.items():
        if values:
            p50, p95 = statistics.median(values), pct(values, 95)
            print(f"  {stage:10} {p50:8.2f} {p95:8.2f} {max(values):8.2f}  {len(values)}")
    print(f"  throughput: {n / wall:.1f} turns/s on one thread; peak RSS {peak_rss_mb():.0f} MB")


def open_bands(settings: Settings) -> Settings:
    return settings.model_copy(update={"answer_confidence": 0.0, "suggest_confidence": 0.0})


def run_set(
    name: str,
    settings: Settings,
    files: tuple[str, str],
    ingest_args: list[str],
    reuse: bool = False,
    dump: Path | None = None,
) -> list[Asked]:
    if not reuse:
        ingest(settings, ingest_args)
    questions = read_jsonl(DATA / files[0]) + read_jsonl(DATA / files[1])
    pipeline = pipeline_for(open_bands(settings))
    asked = ask_all(pipeline, questions)
    report(name, asked, settings.answer_confidence, settings.suggest_confidence)
    if dump:
        dump.parent.mkdir(parents=True, exist_ok=True)
        with (dump.parent / f"{dump.name}-{_slug(name)}.jsonl").open("w") as out:
            for x in asked:
                right = x.answerable and _first_cited(x.turn) == x.question["article_id"]
                row = {"id": x.question["id"], "answerable": x.answerable, "features": x.features}
                row |= {"facts": x.answerable and facts_present(x), "first_right": right, "closest": x.closest}
                out.write(json.dumps(row) + "\n")
    ceilings(asked, pipeline.stages.retriever.index())
    for path in (
        plot_bands(name, asked, settings.answer_confidence, settings.suggest_confidence),
        plot_styles(name, asked, settings.answer_confidence, settings.suggest_confidence),
    ):
        if path:
            print(f"figure: {path.relative_to(ROOT)}")
    return asked


def _ingested(reuse: Path | None, name: str) -> bool:
    """Whether an earlier run left an ingested KB in `reuse`/`name` (its SQLite records)."""
    return reuse is not None and any((reuse / name).glob("*.db"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sample KB only")
    parser.add_argument("--calibrate", action="store_true", help="fit the bands' weights on the sample KB")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the sample questions for latency (0: none)")
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="data dirs DIR/sample and DIR/plausible: ingested there on the first run, reused (not re-ingested) after",
    )
    parser.add_argument(
        "--dump", type=Path, metavar="PREFIX", help="write each turn's band features to PREFIX-<set>.jsonl"
    )
    args = parser.parse_args(argv)

    sample = bench_settings("turn-sample", **({"data_dir": args.reuse / "sample"} if args.reuse else {}))
    files = ("sample_questions.jsonl", "sample_unanswerable.jsonl")
    asked = run_set("Sample KB (calibrated on)", sample, files, ["--prune"], _ingested(args.reuse, "sample"), args.dump)
    curves = {"sample KB": tradeoff(asked, sample.suggest_confidence)}
    shipped = {"sample KB": figures(asked, sample.answer_confidence, sample.suggest_confidence)}
    if args.calibrate:
        calibrate(asked)
    if not args.quick:
        plausible = plausible_settings(
            "turn-plausible", **({"data_dir": args.reuse / "plausible"} if args.reuse else {})
        )
        mapping = ["--mapping", str(PLAUSIBLE_IMPORT / "mapping.yaml"), "--verified-by", "bench", "--prune"]
        p_files = ("plausible_questions.jsonl", "plausible_unanswerable.jsonl")
        p_asked = run_set(
            "Plausible help centre (held out)",
            plausible,
            p_files,
            [str(PLAUSIBLE_DOCS), *mapping],
            _ingested(args.reuse, "plausible"),
            args.dump,
        )
        curves["Plausible (held out)"] = tradeoff(p_asked, plausible.suggest_confidence)
        shipped["Plausible (held out)"] = figures(p_asked, plausible.answer_confidence, plausible.suggest_confidence)

    print("\nTrade-off over the answer threshold (suggest threshold as shipped):")
    print("  threshold: unanswerable answered / answerable answered / all facts / right article shown")
    for name, points in curves.items():
        print(f"  {name}:")
        for t, f in points:
            shown = (f.unanswerable_answered, f.answerable_answered, f.facts, f.right_anywhere)
            print(f"    {t:.2f}: " + " / ".join(f"{v:.2f}" for v in shown))
    path = plot(curves, shipped, sample.answer_confidence)
    if path:
        print(f"figure: {path.relative_to(ROOT)}")
    questions = read_jsonl(DATA / files[0]) + read_jsonl(DATA / files[1])
    if args.rounds:
        latency(pipeline_for(sample), questions, args.rounds)


if __name__ == "__main__":
    main()
