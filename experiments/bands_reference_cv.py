"""Which KB-relative cosines for the bands (bot/bands.py, bot/kb/reference.py): 5-fold CV on the
sample KB only, with Plausible printed beside it and never used for choosing.

Needs the two ingested KBs and each turn's band features, as bench_turn leaves them:

    python -m bench.bench_turn --reuse DIR --rounds 0 --dump PREFIX
    python -m experiments.bands_reference_cv --reuse DIR --dump PREFIX

For each reference of a KB (its headings, its titles, or its chunks, against other articles'
chunks) and each way of using it (the cosine less the reference's mean, a z-score, a percentile),
and each subset of features: CV on the sample KB (answerable answered at <= 0.10 of unanswerable
answered; AUC), then the fit on the whole sample KB at its own threshold, applied to Plausible.
A shift by one number per KB is invisible to CV on one KB: expect the shifts to tie with raw.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.common import bench_settings, plausible_settings
from bot.kb.retrieval import make_retriever
from bot.kb.snapshot import KBSnapshot

ALL = ["dense", "cosine", "coverage", "reach", "unknown", "heading", "missing", "kind", "faq_off"]
SUBSETS = {"all9": ALL, "core5": ALL[:5], "core5+missing": [*ALL[:5], "missing"], "core3": ALL[:3]}


def references(snapshot: KBSnapshot, embed: Callable[[list[str]], np.ndarray]) -> dict[str, np.ndarray]:
    """Best cosine to another article's chunk: of each heading, each title, each chunk."""
    articles = np.array([m["article_id"] for m in snapshot.metadatas])
    out = {}
    for name, key in (("head", lambda m: m.get("heading") or m.get("title", "")), ("title", lambda m: m["title"])):
        pairs = sorted({(m["article_id"], key(m)) for m in snapshot.metadatas})
        cos = embed([t for _, t in pairs]) @ snapshot.embeddings.T
        cos[np.array([a for a, _ in pairs])[:, None] == articles[None, :]] = -1
        out[name] = np.sort(cos.max(1))
    nn = snapshot.embeddings @ snapshot.embeddings.T
    nn[articles[:, None] == articles[None, :]] = -1
    out["nn"] = np.sort(nn.max(1))
    return out


def shifted(rows: list[dict], ref: np.ndarray | None, how: str) -> list[dict]:
    if ref is None:
        return rows
    mu, sd = ref.mean(), ref.std()
    use = {"shift": lambda v: v - mu, "z": lambda v: (v - mu) / sd, "pct": lambda v: np.searchsorted(ref, v) / len(ref)}
    return [
        {**r, "features": {**r["features"], **{k: use[how](r["features"].get(k, 0.0)) for k in ("dense", "cosine")}}}
        for r in rows
    ]


def xy(rows: list[dict], names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([[r["features"].get(n, 0.0) for n in names] for r in rows])
    y = np.array([1.0 if r["answerable"] and (r["facts"] or r["first_right"]) else 0.0 for r in rows])
    return x, y, np.array([not r["answerable"] for r in rows])


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.001) -> tuple[np.ndarray, float]:
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(4000):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= 0.5 * (x.T @ (p - y) / len(y) + l2 * w)
        b -= 0.5 * float((p - y).mean())
    return w, b


def at10(conf: np.ndarray, u: np.ndarray) -> tuple[float, float]:
    """The lowest threshold with <= 0.10 of unanswerable answered, and the answerable answered there."""
    for t in np.arange(0.0, 1.0, 0.005):
        if (conf[u] >= t).mean() <= 0.10:
            return float(t), float((conf[~u] >= t).mean())
    return 1.0, 0.0


def auc(conf: np.ndarray, y: np.ndarray, u: np.ndarray) -> float:
    return float(np.mean([[c > d for d in conf[u]] for c in conf[y == 1]]))


def cv(rows: list[dict], names: list[str], seeds: tuple[int, ...] = (0, 1, 2)) -> tuple[float, float]:
    x, y, u = xy(rows, names)
    answered, aucs = [], []
    for seed in seeds:
        idx = np.random.RandomState(seed).permutation(len(rows))
        conf = np.zeros(len(rows))
        for fold in np.array_split(idx, 5):
            w, b = fit(x[np.setdiff1d(idx, fold)], y[np.setdiff1d(idx, fold)])
            conf[fold] = 1 / (1 + np.exp(-(x[fold] @ w + b)))
        answered.append(at10(conf, u)[1])
        aucs.append(auc(conf, y, u))
    return float(np.mean(answered)), float(np.mean(aucs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", type=Path, required=True, help="bench_turn's --reuse DIR")
    parser.add_argument("--dump", required=True, help="bench_turn's --dump PREFIX")
    args = parser.parse_args()
    kbs = {
        "sample-kb": bench_settings("ref", data_dir=args.reuse / "sample"),
        "plausible-help-centre": plausible_settings("ref", data_dir=args.reuse / "plausible"),
    }
    rows, refs = {}, {}
    for name, settings in kbs.items():
        retriever = make_retriever(settings)
        refs[name] = references(retriever.index(), retriever.embedder.embed)
        print(name, {k: round(float(v.mean()), 3) for k, v in refs[name].items()})
        lines = Path(f"{args.dump}-{name}.jsonl").read_text().splitlines()
        rows[name] = [r for r in map(json.loads, lines) if r["features"]]
    variants = [("raw", "", "")] + [(f"{h}-{r}", h, r) for h in ("shift", "z", "pct") for r in ("head", "nn", "title")]
    print(
        "variant      features   | sample CV: answered@<=.10  AUC | fit on sample: threshold, answered, "
        "unanswerable answered | Plausible at it (not for choosing): answered, unanswerable answered, AUC"
    )
    for label, how, ref in variants:
        s = shifted(rows["sample-kb"], refs["sample-kb"][ref] if ref else None, how)
        p = shifted(rows["plausible-help-centre"], refs["plausible-help-centre"][ref] if ref else None, how)
        for subset, names in SUBSETS.items():
            cv_answered, cv_auc = cv(s, names)
            x, y, u = xy(s, names)
            w, b = fit(x, y)
            conf = 1 / (1 + np.exp(-(x @ w + b)))
            t, answered = at10(conf, u)
            xp, yp, up = xy(p, names)
            cp = 1 / (1 + np.exp(-(xp @ w + b)))
            print(
                f"{label:12} {subset:14} | {cv_answered:.3f} {cv_auc:.3f} | {t:.3f} {answered:.3f}"
                f" {(conf[u] >= t).mean():.3f}"
                f" | {(cp[~up] >= t).mean():.3f} {(cp[up] >= t).mean():.3f} {auc(cp, yp, up):.3f}"
            )


if __name__ == "__main__":
    main()
