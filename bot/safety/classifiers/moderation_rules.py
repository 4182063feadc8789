"""Rules for what a small embedding classifier misses: explicit phrasing per category.

Each rule is a category and a pattern; a match scores that category 1.0. They cover the
categories with too little labelled data to learn (sexual/minors, hate/threatening,
self-harm/intent) and unambiguous how-to requests for weapons and drugs.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_HOWTO = (
    r"\b(?:how\s+(?:do|can|could|would|should)\s+(?:i|you|one|we|someone)|how\s+to|steps?\s+to|"
    r"instructions?\s+(?:for|to|on)|teach\s+me\s+(?:how\s+)?to|recipe\s+for|guide\s+(?:to|for))\b"
)
_MINOR = (
    r"\b(?:child|children|kid|kids|minor|minors|underage|preteen|pre-teen|toddler|little\s+(?:girl|boy)|"
    r"\d{1,2}\s*(?:yo|year[- ]old))\b"
)
_PERSON = (
    r"(?:someone|somebody|anyone|people|a\s+(?:person|man|woman|child|kid|human|cop|police\s+officer)|him|her|them|"
    r"my\s+(?:wife|husband|partner|neighbou?r|boss|coworker|co-worker|mother|father|mom|dad|brother|sister|son|"
    r"daughter|friend|ex|teacher|classmate|roommate|landlord)|(?:the|a|my)\s+(?:president|senator|judge|witness))\b"
)
_SEXUAL = r"\b(?:sex|sexual|sexually|nude|naked|porn|pornographic|erotic|explicit|molest\w*|grope|fondle)\b"

_THREAT_VERB = r"(?:kill|murder|hurt|stab|shoot|strangle|beat|find\s+and\s+kill)"

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "harassment/threatening",  # a direct threat at the reader: "I'm going to kill you"
        re.compile(
            rf"\b(?:i\s*(?:'ll|will|'m\s+going\s+to|am\s+going\s+to|am\s+gonna|'m\s+gonna|gonna|want\s+to)|"
            rf"we\s*(?:'ll|will|are\s+going\s+to))\s+{_THREAT_VERB}\s+(?:you|u|ya)\b"
            r"|\bi\s+know\s+where\s+you\s+live\b|\byou(?:'re|\s+are)\s+(?:going\s+to|gonna)\s+die\b",
            _I,
        ),
    ),
    (
        "harassment",  # telling someone to harm themselves
        re.compile(r"\b(?:(?:go\s+)?kill\s+your\s*self|kys|you\s+should\s+(?:die|kill\s+yourself)|go\s+die)\b", _I),
    ),
    ("sexual/minors", re.compile(rf"{_MINOR}.{{0,40}}{_SEXUAL}|{_SEXUAL}.{{0,40}}{_MINOR}", _I)),
    (
        "self-harm/intent",
        re.compile(
            r"\b(?:i\s+(?:want|wanna|am\s+going|'m\s+going|plan|intend)\s+to\s+"
            r"(?:kill\s+myself|end\s+(?:my\s+life|it\s+all)|die)"
            r"|i\s+(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive)|suicidal|kill\s+myself|"
            r"end\s+my\s+(?:own\s+)?life)\b",
            _I,
        ),
    ),
    (
        "self-harm/instructions",
        re.compile(
            rf"{_HOWTO}.{{0,40}}\b(?:kill\s+(?:myself|yourself|oneself)|commit\s+suicide|self[- ]harm|"
            r"cut\s+(?:myself|yourself)|overdose|hang\s+(?:myself|yourself))\b"
            r"|\b(?:painless|easiest|quickest)\s+way\s+to\s+(?:die|kill\s+(?:myself|yourself))\b",
            _I,
        ),
    ),
    (
        "illicit/violent",
        re.compile(
            rf"{_HOWTO}.{{0,40}}\b(?:make|build|assemble|create|manufacture|3d[- ]print)\b.{{0,30}}"
            r"\b(?:bomb|explosive|pipe\s*bomb|molotov|grenade|ied|nerve\s+agent|sarin|ricin|bioweapon|"
            r"chemical\s+weapon|untraceable\s+(?:gun|firearm)|ghost\s+gun|silencer)s?\b",
            _I,
        ),
    ),
    (
        "illicit",
        re.compile(
            rf"{_HOWTO}.{{0,40}}\b(?:make|cook|synthesi[sz]e|produce|grow|buy|sell|smuggle)\b.{{0,30}}"
            r"\b(?:meth|methamphetamine|crack|cocaine|heroin|fentanyl|lsd|mdma|ecstasy|"
            r"counterfeit\s+(?:money|bills|cash)|fake\s+(?:id|passport)s?)\b",
            _I,
        ),
    ),
    (
        "illicit",
        re.compile(
            rf"{_HOWTO}.{{0,40}}\b(?:launder\s+money|evade\s+taxes|steal\s+(?:a\s+car|someone'?s\s+identity|credit\s+card)|hack\s+into|pick\s+a\s+lock\s+to\s+break|shoplift|hotwire)\b",
            _I,
        ),
    ),
    (
        "hate/threatening",
        re.compile(
            r"\b(?:kill|exterminate|eradicate|gas|lynch|wipe\s+out)\s+(?:all\s+(?:the\s+)?)?(?:jews|muslims|blacks|gays|immigrants|christians|arabs|asians|mexicans|women|trans\s+people)\b",
            _I,
        ),
    ),
    (
        "violence",
        re.compile(
            rf"{_HOWTO}.{{0,30}}\b(?:kill|murder|strangle|poison|stab|shoot|torture|kidnap|assassinate|beat\s+up)\s+"
            rf"{_PERSON}",
            _I,
        ),
    ),
)


def rule_scores(text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for category, pattern in RULES:
        if pattern.search(text):
            scores[category] = 1.0
            scores[category.split("/")[0]] = 1.0  # like OpenAI's: "hate/threatening" is also "hate"
    return scores
