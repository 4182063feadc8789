"""The intents catalogue behind the user's dropdown (e.g. `kb/intents.yaml`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ALL_INTENTS = "all"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class CatalogueError(ValueError):
    """The intents file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Intent:
    id: str
    label: str
    description: str
    handoff: str
    topics: tuple[str, ...] = ()
    suggested_questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    intents: tuple[Intent, ...]

    def ids(self) -> set[str]:
        return {intent.id for intent in self.intents}

    def get(self, intent_id: str) -> Intent:
        for intent in self.intents:
            if intent.id == intent_id:
                return intent
        raise KeyError(intent_id)

    def __contains__(self, intent_id: object) -> bool:
        return intent_id in self.ids()


def load_catalogue(path: Path) -> Catalogue:
    if not path.is_file():
        raise CatalogueError(f"intents catalogue not found: {path} (setting SAFEDESK_INTENTS_FILE)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CatalogueError(f"{path}: not valid YAML: {err}") from None
    entries = data.get("intents") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{path}: expected a top-level 'intents:' list")
    intents: list[Intent] = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}: intent #{n}"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where}: expected a mapping")
        missing = [key for key in ("id", "label", "handoff") if not entry.get(key)]
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        intent_id = str(entry["id"])
        if not _ID.match(intent_id) or intent_id == ALL_INTENTS:
            raise CatalogueError(f"{where}: invalid id {intent_id!r} (lowercase, digits, '-'; not 'all')")
        if intent_id in {i.id for i in intents}:
            raise CatalogueError(f"{where}: duplicate id {intent_id!r}")
        intents.append(
            Intent(
                id=intent_id,
                label=str(entry["label"]),
                description=str(entry.get("description", "")),
                handoff=str(entry["handoff"]),
                topics=tuple(str(t) for t in entry.get("topics") or ()),
                suggested_questions=tuple(str(q) for q in entry.get("suggested_questions") or ()),
            )
        )
    return Catalogue(tuple(intents))
