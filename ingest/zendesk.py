"""Import a Zendesk Help Center export: the JSON the Help Center API returns for articles.

`GET /api/v2/help_center/{locale}/articles.json` answers `{"articles": [...], "next_page": ...}`;
each article has `id`, `title`, `body` (HTML), `html_url`, `section_id`, `label_names`, `draft`,
`locale`, `updated_at` and more. A file holds one such page (save each page of a paginated export
as its own file, or merge their `articles`).

Like a folder import, it needs a mapping and a named attestation (`--verified-by`):

    locales: [en-us]                 # optional: import only these locales
    rules:                           # tried in order, the first that matches wins
      - section_id: 360001234567     # every article in this section
        intents: [billing-payments]
      - label: returns               # every article carrying this label
        intents: [returns-refunds]

An article's id is `zendesk/<locale>/<article id>` (stable across title edits), its URL its
`html_url`, and its HTML body is cleaned like any HTML file. Drafts are skipped and listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.intents import Catalogue
from ingest.articles import Article, MappingError, Rejection, Skipped, _validate
from ingest.clean import clean_html

REQUIRED = ("id", "title", "body", "html_url")


class ExportError(ValueError):
    """The file is not a Help Center articles export at all."""


@dataclass(frozen=True)
class Rule:
    intents: tuple[str, ...]
    section_id: str = ""
    label: str = ""

    def matches(self, article: dict[str, Any]) -> bool:
        if self.section_id:
            return str(article.get("section_id")) == self.section_id
        return self.label.casefold() in {str(name).casefold() for name in article.get("label_names") or []}


@dataclass(frozen=True)
class ZendeskMapping:
    path: Path
    rules: tuple[Rule, ...]
    verified_by: str
    review_days: int
    locales: tuple[str, ...] = ()

    def intents_for(self, article: dict[str, Any]) -> tuple[str, ...] | None:
        return next((rule.intents for rule in self.rules if rule.matches(article)), None)


def load_mapping(path: Path, verified_by: str, review_days: int) -> ZendeskMapping:
    if not verified_by.strip():
        raise MappingError("an import needs an attestation: --verified-by NAME")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise MappingError(f"cannot read mapping file {path}: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise MappingError(f"{path}: expected a 'rules:' list of {{section_id or label, intents}}")
    rules = []
    for n, rule in enumerate(data["rules"], 1):
        keys = {"section_id", "label"} & set(rule) if isinstance(rule, dict) else set()
        if len(keys) != 1 or not rule.get("intents") or rule[keys.pop()] in (None, ""):
            raise MappingError(f"{path}: rule #{n} needs 'intents' and one of 'section_id' or 'label'")
        rules.append(
            Rule(
                intents=tuple(str(i) for i in rule["intents"]),
                section_id=str(rule.get("section_id") or ""),
                label=str(rule.get("label") or ""),
            )
        )
    return ZendeskMapping(
        path=path,
        rules=tuple(rules),
        verified_by=verified_by.strip(),
        review_days=review_days,
        locales=tuple(str(locale).lower() for locale in data.get("locales") or ()),
    )


def read_export(
    file: Path, catalogue: Catalogue, today: date, mapping: ZendeskMapping
) -> Iterator[Article | Rejection | Skipped]:
    """Every article of one export file, read, cleaned and validated (or skipped/rejected)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ExportError(f"cannot read Zendesk export {file}: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise ExportError(f"{file}: not a Help Center articles export (expected an 'articles' list)")
    for n, item in enumerate(data["articles"]):
        if not isinstance(item, dict):
            yield Rejection(f"{file}#articles[{n}]", "not an article object")
            continue
        source = f"{file}#article {item.get('id', n)} ({item.get('locale') or 'no locale'})"
        yield read_item(item, source, catalogue, today, mapping)


def read_item(
    item: dict[str, Any], source: str, catalogue: Catalogue, today: date, mapping: ZendeskMapping
) -> Article | Rejection | Skipped:
    locale = str(item.get("locale") or "").lower()
    if item.get("draft") is True:
        return Skipped(source, "draft in Zendesk")
    if mapping.locales and locale not in mapping.locales:
        return Skipped(source, f"locale {locale or '(none)'} is not in the mapping's locales")
    missing = [key for key in REQUIRED if item.get(key) in (None, "")]
    if missing:
        return Rejection(source, f"the export has no {', '.join(missing)} for this article")
    intents = mapping.intents_for(item)
    if intents is None:
        where = f"section {item.get('section_id')} or labels {item.get('label_names') or []}"
        return Rejection(source, f"no rule in {mapping.path} matches {where}")
    meta = {
        "id": f"zendesk/{locale}/{item['id']}" if locale else f"zendesk/{item['id']}",
        "title": str(item["title"]),
        "intents": list(intents),
        "url": str(item["html_url"]),
        "verified_by": mapping.verified_by,
        "verified_at": today,
        "review_by": today + timedelta(days=mapping.review_days),
        "attestation": f"imported by {mapping.verified_by} with {mapping.path.name} on {today.isoformat()}",
    }
    return _validate(source, meta, clean_html(str(item["body"])), catalogue, today)
