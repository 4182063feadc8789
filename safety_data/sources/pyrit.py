"""The pyrit source family."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from bot.text import STOPWORDS
from safety_data.records import Dataset, Item, close_labels
from safety_data.rules import Rule, apply_rules
from safety_data.taxonomy import BENIGN, DROP, LabelSpec
from safety_data.wheels import Wheels, src

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


PYRIT_DIR: Final = "pyrit/datasets/seed_datasets/local"

# Words every harmful request shares ("write a detailed guide..."): no evidence that two prompts ask the same thing.
REQUEST_WORDS: Final = frozenset(
    [
        "create",
        "describe",
        "detailed",
        "develop",
        "explain",
        "give",
        "guide",
        "instructions",
        "list",
        "make",
        "people",
        "person",
        "provide",
        "someone",
        "someone's",
        "step",
        "tutorial",
        "without",
        "write",
    ]
)
_STOP: Final = STOPWORDS | REQUEST_WORDS


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
