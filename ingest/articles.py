"""Read KB files into validated `Article`s, or reject them with a reason.

Our own articles carry their verification metadata in YAML front matter. An
existing help centre without it is imported only through an explicit mapping
file (path globs -> intents) plus a named attestation (`--verified-by`); its ids are
slugs of the file paths (ingest.slugs). Front matter `draft: true` or `publish: false`
skips a file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

from bot.intents import Catalogue
from ingest.clean import clean_html, clean_markdown, clean_text
from ingest.slugs import path_id
from ingest.wiki import to_markdown

SUFFIXES = (".md", ".mdx", ".html", ".htm", ".txt")
REQUIRED = ("id", "title", "intents", "url", "verified_by", "verified_at", "review_by")
_URL_FORBIDDEN = set("()<>\"'`\\")  # would end or break the Markdown link it is rendered in
_ID = re.compile(r"^[a-z0-9][a-z0-9_./-]{0,127}$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    url: str
    intents: tuple[str, ...]
    verified_by: str
    verified_at: date
    review_by: date
    body: str  # cleaned Markdown
    source: str  # the file it came from
    audience: str = "customers"
    attestation: str = ""  # set on imports: who vouched for an unverified help centre

    def content_hash(self, salt: str = "") -> str:
        """Hash of everything that ends up in the store; `salt` covers chunker and model."""
        fields = asdict(self)
        fields.pop("source")
        payload = json.dumps(fields, default=str, sort_keys=True) + salt
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Rejection:
    source: str
    reason: str
    article_id: str = ""


@dataclass(frozen=True)
class Skipped:
    """Not an error: the source marks the article as a draft or unpublished."""

    source: str
    reason: str


@dataclass(frozen=True)
class ImportMapping:
    """Path globs -> intents for a help centre that has none of our metadata."""

    path: Path
    base_url: str
    rules: tuple[tuple[str, tuple[str, ...]], ...]
    verified_by: str
    review_days: int
    extra: dict[str, Any] = field(default_factory=dict)

    def intents_for(self, relpath: str) -> tuple[str, ...] | None:
        for pattern, intents in self.rules:
            if fnmatch(relpath, pattern):
                return intents
        return None


class MappingError(ValueError):
    pass


def load_mapping(path: Path, verified_by: str, review_days: int) -> ImportMapping:
    if not verified_by.strip():
        raise MappingError("an import needs an attestation: --verified-by NAME")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise MappingError(f"cannot read mapping file {path}: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise MappingError(f"{path}: expected 'base_url:' and a 'rules:' list of {{glob, intents}}")
    rules = []
    for n, rule in enumerate(data["rules"], 1):
        if not isinstance(rule, dict) or not rule.get("glob") or not rule.get("intents"):
            raise MappingError(f"{path}: rule #{n} needs 'glob' and 'intents'")
        rules.append((str(rule["glob"]), tuple(str(i) for i in rule["intents"])))
    return ImportMapping(
        path=path,
        base_url=str(data.get("base_url", "")),
        rules=tuple(rules),
        verified_by=verified_by.strip(),
        review_days=review_days,
    )


def find_files(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(file, root) pairs for every KB file under the given files or folders, sorted."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir():
            found.extend((f, path) for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES)
        elif path.is_file():
            found.append((path, path.parent))
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return found


def read_article(
    file: Path,
    root: Path,
    catalogue: Catalogue,
    today: date,
    mapping: ImportMapping | None = None,
) -> Article | Rejection | Skipped:
    """Parse, clean and validate one file. Never raises for bad content."""
    source = str(file)
    try:
        raw = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return Rejection(source, f"cannot read file: {err}")
    meta, text = _split_front_matter(raw)
    if isinstance(meta, str):
        return Rejection(source, meta)
    if unpublished := unpublished_reason(meta):
        return Skipped(source, unpublished)
    body = _clean(file.suffix.lower(), text)
    if mapping is not None:
        meta = _imported_metadata(file, root, meta, body, mapping, today)
        if isinstance(meta, Rejection):
            return meta
    return _validate(source, meta, body, catalogue, today)


def _split_front_matter(raw: str) -> tuple[dict[str, Any] | str, str]:
    raw = raw.lstrip("\ufeff")
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        return f"front matter is not valid YAML: {str(err).splitlines()[0]}", ""
    if not isinstance(meta, dict):
        return "front matter must be a YAML mapping", ""
    return meta, raw[match.end() :]


def unpublished_reason(meta: dict[str, Any]) -> str:
    """Why front matter keeps an article out of the KB ('' if it does not)."""
    if meta.get("draft") is True:
        return "draft: true"
    if meta.get("publish") is False:
        return "publish: false"
    return ""


def _clean(suffix: str, text: str) -> str:
    if suffix in (".html", ".htm"):
        return clean_html(text)
    if suffix == ".txt":
        return clean_text(text)
    return clean_markdown(to_markdown(text))  # wiki links, embeds and callouts first


def _imported_metadata(
    file: Path, root: Path, meta: dict[str, Any], body: str, mapping: ImportMapping, today: date
) -> dict[str, Any] | Rejection:
    relpath = file.relative_to(root).as_posix()
    intents = mapping.intents_for(relpath)
    if intents is None:
        return Rejection(str(file), f"no rule in {mapping.path} matches {relpath}")
    slug = str(meta.get("slug") or relpath.rsplit(".", 1)[0]).strip("/")
    h1 = _H1.search(body)
    stem = file.stem if " " in file.stem else file.stem.replace("-", " ").title()
    return {
        "id": path_id(relpath),
        "title": meta.get("title") or (h1.group(1).strip() if h1 else stem),
        "intents": list(intents),
        "url": mapping.base_url + quote(slug),  # "Billing and Plans/x" -> "Billing%20and%20Plans/x"
        "verified_by": mapping.verified_by,
        "verified_at": today,
        "review_by": today + timedelta(days=mapping.review_days),
        "audience": meta.get("audience", "customers"),
        "attestation": f"imported by {mapping.verified_by} with {mapping.path.name} on {today.isoformat()}",
    }


def _validate(source: str, meta: dict[str, Any], body: str, catalogue: Catalogue, today: date) -> Article | Rejection:
    article_id = str(meta.get("id", ""))

    def reject(reason: str) -> Rejection:
        return Rejection(source, reason, article_id)

    missing = [key for key in REQUIRED if meta.get(key) in (None, "", [])]
    if missing:
        return reject(f"missing front matter: {', '.join(missing)} (unverified articles are never served)")
    if not _ID.match(article_id):
        return reject(f"invalid id {article_id!r}: use lowercase letters, digits, '-', '_', '.', '/'")
    intents = meta["intents"]
    if isinstance(intents, str):
        intents = [intents]
    if not isinstance(intents, list):
        return reject("intents must be a list of intent ids")
    unknown = [str(i) for i in intents if str(i) not in catalogue]
    if unknown:
        return reject(f"unknown intent(s): {', '.join(unknown)} (not in the intents catalogue)")
    verified_at, review_by = _date(meta["verified_at"]), _date(meta["review_by"])
    if verified_at is None or review_by is None:
        return reject("verified_at and review_by must be dates (YYYY-MM-DD)")
    if verified_at > today:
        return reject(f"verified_at {verified_at} is in the future")
    if review_by < today:
        return reject(f"stale: review_by {review_by} has passed; re-verify the article first")
    if review_by < verified_at:
        return reject("review_by is before verified_at")
    url = str(meta["url"]).strip()
    url_problem = _url_problem(url)
    if url_problem:
        return reject(f"invalid url {url!r}: {url_problem}")
    if len(body.strip()) < 20:
        return reject("the article has no content after cleaning")
    return Article(
        id=article_id,
        title=str(meta["title"]).strip(),
        url=url,
        intents=tuple(str(i) for i in intents),
        verified_by=str(meta["verified_by"]).strip(),
        verified_at=verified_at,
        review_by=review_by,
        body=body,
        source=source,
        audience=str(meta.get("audience") or "customers"),
        attestation=str(meta.get("attestation", "")),
    )


def _url_problem(url: str) -> str:
    """Why `url` cannot be an article's link (it is rendered in Markdown), or ''."""
    try:
        parts = urlsplit(url)
    except ValueError as err:
        return str(err)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL with a host"
    bad = sorted({c for c in url if c in _URL_FORBIDDEN or c.isspace() or not c.isprintable()})
    if bad:
        return f"must not contain {' '.join(repr(c) for c in bad)}"
    return ""


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
