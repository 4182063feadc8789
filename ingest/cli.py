"""The staff's ingest command: `python -m ingest [PATHS...]`."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from bot.config import Settings, get_settings
from bot.embedding import Embedder, MiniLMEmbedder, local_embedder, make_embedder
from bot.intents import CatalogueError, load_catalogue
from bot.kb.blocks import open_blocks
from bot.kb.store import StoreError, open_kb
from bot.safety.classifiers.heads import ModelMissing
from bot.safety.verdict import BLOCK
from bot.tokens import Tokenizer
from ingest import zendesk
from ingest.articles import Article, MappingError, Rejection, Skipped, find_files, load_mapping, read_article
from ingest.embedding import for_ingest
from ingest.progress import RunProgress
from ingest.screen import ArticleInjectionScreen, ClassifierHit
from ingest.sync import KBSync, Plan, PruneScope, Summary
from ingest.timings import StageTimes

if TYPE_CHECKING:
    from bot.safety.classifiers.injection_classifier import InjectionClassifier
    from bot.safety.classifiers.local_moderator import LocalModerator

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Validate, clean, chunk, embed and load KB articles into the vector store.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: SAFEDESK_KB_DIR)")
    parser.add_argument(
        "--format",
        choices=("files", "zendesk"),
        default="files",
        help="files: Markdown/HTML/text files; zendesk: Help Center API articles JSON (needs --mapping)",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        help="import a help centre without our metadata: path globs (Zendesk: sections, labels) -> intents",
    )
    parser.add_argument("--verified-by", default="", help="who attests an import's content (required with --mapping)")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="remove stored articles whose files under PATHS are gone (a rejected file keeps its stored version)",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would happen; change nothing")
    parser.add_argument("--allow-rejects", action="store_true", help="exit 0 even if some articles were rejected")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="check review dates as of this day (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--accept-flags",
        action="store_true",
        help="staff confirm the chunks the moderator flags (recorded per chunk): answers quoting them are not blocked",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--timings", action="store_true", help="print wall-clock and CPU seconds per stage")
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None, times: StageTimes | None = None) -> int:
    """`times`, when given, collects the time per stage (the benchmark reads it)."""
    args = build_parser().parse_args(argv)
    times = times if times is not None else StageTimes()
    settings = settings or get_settings()
    today = args.today or date.today()
    if args.verified_by and not args.mapping:
        print("ingest: --verified-by only applies to an import with --mapping", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "zendesk" and not (args.mapping and args.paths):
        print("ingest: --format zendesk needs export FILE.json path(s) and --mapping", file=sys.stderr)
        return EXIT_USAGE
    started, started_at = time.perf_counter(), datetime.now(UTC)
    # Recorded first, before the models load: the app shows the KB as loading from here on.
    progress = None if args.dry_run else RunProgress.start(settings, started_at, getpass.getuser())
    try:
        return _ingest(args, settings, times, today, started, started_at, progress)
    finally:
        if progress is not None:
            progress.close()  # a run that stopped early is recorded as finished (failed), not loading


def _ingest(
    args: argparse.Namespace,
    settings: Settings,
    times: StageTimes,
    today: date,
    started: float,
    started_at: datetime,
    progress: RunProgress | None,
) -> int:
    embedder = for_ingest(make_embedder(settings))
    try:
        client, collection = open_kb(settings, embedder, create=True)
        blocks = open_blocks(client, settings.collection, embedder, create=True)
    except StoreError as err:
        print(f"ingest: {err}", file=sys.stderr)
        return EXIT_USAGE
    sync = KBSync(
        collection,
        embedder,
        settings.chunk_tokens,
        Tokenizer.from_settings(settings).count,
        moderation_review(embedder),
        times,
        blocks,
        accept_flags=args.accept_flags,
    )
    with times.stage("plan (store read)"):
        stored = sync.stored()
    injection_screen = ArticleInjectionScreen(injection_classifier(embedder))
    try:
        catalogue = load_catalogue(settings.intents_file)
        review_days = settings.import_review_days
        if args.format == "zendesk":
            z_mapping = zendesk.load_mapping(args.mapping, args.verified_by, review_days)
            results = [r for path in args.paths for r in zendesk.read_export(path, catalogue, today, z_mapping)]
            articles, rejected, skipped, hits = screen(results, injection_screen, times, sync.holds(stored))
        else:
            mapping = load_mapping(args.mapping, args.verified_by, review_days) if args.mapping else None
            files = find_files(args.paths or [settings.kb_dir])
            articles, rejected, skipped, hits = read_all(
                files,
                catalogue,
                today,
                mapping,
                quiet=args.quiet,
                injection=injection_screen,
                max_bytes=settings.max_article_bytes,
                times=times,
                already_stored=sync.holds(stored),
            )
    except (CatalogueError, MappingError, FileNotFoundError, zendesk.ExportError) as err:
        print(f"ingest: {err}", file=sys.stderr)
        return EXIT_USAGE

    roots = args.paths or [settings.kb_dir]
    plan = sync.plan(articles, prune=PruneScope.of(roots, rejected) if args.prune else None, stored=stored)

    if plan.remove and not articles:  # an emptied or mistyped folder would take its whole KB with it
        print(
            f"ingest: no valid article under {', '.join(map(str, roots))}: refusing to prune the "
            f"{len(plan.remove)} stored from there. Check the path; delete the store to start again.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.dry_run:
        print_plan(plan, rejected)
        _print_skipped(skipped)
        _print_injection_hits(hits)
        return EXIT_REJECTED if rejected and not args.allow_rejects else 0
    if plan.remove:
        print_removals(plan, roots)

    stop = _StopFlag()
    with (
        stop,
        tqdm(
            total=len(plan.to_embed),
            desc="embedding",
            unit="article",
            disable=args.quiet or not plan.to_embed,
            file=sys.stderr,
        ) as bar,
    ):
        summary = sync.apply(
            plan,
            on_article=lambda article, n: bar.update(1),
            should_stop=stop.is_set,
            on_progress=_reporter(progress, plan.stored),
        )
    summary.rejected = rejected
    print_summary(summary, time.perf_counter() - started, settings)
    _print_skipped(skipped)
    _print_injection_hits(hits)
    with times.stage("records"):
        record_run(settings, started_at, summary, progress)
    if args.timings:
        print("\n".join(["Time per stage:", *times.lines(time.perf_counter() - started)]))
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_REJECTED if rejected and not args.allow_rejects else 0


def _reporter(progress: RunProgress | None, stored_articles: int) -> Callable[[int, int], None]:
    """`KBSync.apply`'s progress, into the run's record: the plan first (0 done), then each batch."""

    def report(done: int, planned: int) -> None:
        if progress is None:
            return
        if done == 0:
            progress.planned(planned, stored_articles)
        else:
            progress.done(done)

    return report


def record_run(settings: Settings, started_at: datetime, summary: Summary, progress: RunProgress | None = None) -> None:
    """Keep the run in the records for the staff's KB health view (finish the record made when it
    started, else record it whole); a records failure never fails the ingest."""
    from bot.storage.db import open_database
    from bot.storage.ingest_runs import record_ingest_run

    outcome = {
        "articles": len(summary.loaded) + len(summary.replaced) + len(summary.unchanged),
        "chunks": summary.chunks_written,
        "counts": {
            "loaded": len(summary.loaded),
            "replaced": len(summary.replaced),
            "unchanged": len(summary.unchanged),
            "removed": len(summary.removed),
            "flagged": len(summary.flagged),
            "interrupted": int(summary.interrupted),
        },
        "rejects": [{"source": r.source, "article": r.article_id, "reason": r.reason} for r in summary.rejected],
    }
    if progress is not None and progress.recorded:
        progress.finish(**outcome)  # type: ignore[arg-type]
        return
    try:
        db = open_database(settings)
    except Exception as err:
        print(f"ingest: the run was not recorded in the records: {err}", file=sys.stderr)
        return
    try:
        record_ingest_run(
            db,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            by=getpass.getuser(),
            **outcome,  # type: ignore[arg-type]
        )
    finally:
        db.close()


def moderation_review(embedder: Embedder) -> Callable[[str, np.ndarray], list[str]]:
    """The local moderator over each new chunk, as output moderation scores quoted answers: a
    chunk it flags is loaded (staff verified it) but reported, since answers quoting it are
    likely to be blocked. Scored from the chunk's own vector when it is a MiniLM one. The model
    loads on the first chunk, so that a run with nothing new never pays for it."""
    same = embedder.model_id == MiniLMEmbedder.model_id
    moderator: list[LocalModerator | None] = []

    def review(text: str, vector: np.ndarray) -> list[str]:
        if not moderator:
            moderator.append(_load_moderator(embedder if same else local_embedder()))
        if moderator[0] is None:
            return []
        result = moderator[0].moderate(text, vector=vector if same else None)
        if result.decision != BLOCK:  # verified text is trusted in quotes short of a block (bot.safety.output.quoted)
            return []
        return [category for category, hit in result.categories.items() if hit]

    return review


def _load_moderator(embedder: Embedder) -> LocalModerator | None:
    from bot.safety.classifiers.local_moderator import LocalModerator

    try:
        return LocalModerator(embedder)
    except ModelMissing as err:
        print(f"ingest: chunks not checked by the moderator: {err}", file=sys.stderr)
        return None


def injection_classifier(embedder: Embedder) -> InjectionClassifier | None:
    """The trained injection classifier for the article screen; it reads MiniLM vectors."""
    from bot.safety.classifiers.injection_classifier import InjectionClassifier

    try:
        return InjectionClassifier(embedder if embedder.model_id == MiniLMEmbedder.model_id else local_embedder())
    except ModelMissing as err:
        print(f"ingest: articles screened by the injection rules only: {err}", file=sys.stderr)
        return None


Screened = tuple[list[Article], list[Rejection], list[Skipped], list[tuple[str, ClassifierHit]]]


def read_all(  # type: ignore[no-untyped-def]
    files,
    catalogue,
    today,
    mapping,
    quiet=False,
    injection: ArticleInjectionScreen | None = None,
    max_bytes: int | None = None,
    times: StageTimes | None = None,
    already_stored: Callable[[Article], bool] = lambda article: False,
) -> Screened:
    """Read every file (an oversized one is rejected unread), then `screen` the results."""
    times = times or StageTimes()

    def results() -> Iterable[Article | Rejection | Skipped]:
        for file, root in tqdm(files, desc="reading", unit="file", disable=quiet, file=sys.stderr, leave=False):
            size = file.stat().st_size
            if max_bytes is not None and size > max_bytes:
                reason = f"too large: {size:,} bytes, over SAFEDESK_MAX_ARTICLE_BYTES={max_bytes:,}; split the article"
                yield Rejection(str(file), reason)
                continue
            with times.stage("read (parse, clean)"):
                article = read_article(file, root, catalogue, today, mapping)
            yield article

    return screen(results(), injection, times, already_stored)


def screen(
    results: Iterable[Article | Rejection | Skipped],
    injection: ArticleInjectionScreen | None = None,
    times: StageTimes | None = None,
    already_stored: Callable[[Article], bool] = lambda article: False,
) -> Screened:
    """Keep the good articles; reject bad ones, injected ones, and every article of an id that two
    sources claim (which one is meant is anyone's guess), each with a reason. Also returns the
    injection classifier's hits, (article id, hit).

    An article `already_stored` exactly as read is not screened again: the store keeps it whatever
    the screen says now (a rejected article keeps its stored version), so screening it would
    change nothing, and an unchanged re-ingest then never loads the classifier."""
    injection = injection or ArticleInjectionScreen(None)
    times = times or StageTimes()
    by_id: dict[str, list[Article]] = defaultdict(list)
    rejected: list[Rejection] = []
    skipped: list[Skipped] = []
    hits: list[tuple[str, ClassifierHit]] = []
    read: list[Article] = []
    for result in results:
        if isinstance(result, Skipped):
            skipped.append(result)
        elif isinstance(result, Rejection):
            rejected.append(result)
        else:
            read.append(result)
    fresh = [article for article in read if not already_stored(article)]
    with times.stage("injection screen"):
        screened = injection.screen_all([f"{a.title}\n\n{a.body}" for a in fresh])
    findings_of = dict(zip(map(id, fresh), screened, strict=True))
    for article in read:
        findings = findings_of.get(id(article))
        if findings:
            rejected.append(Rejection(article.source, findings.reason(), article.id))
            hits.extend((article.id, hit) for hit in findings.classifier)
        else:
            by_id[article.id].append(article)
    articles = []
    for article_id, claims in by_id.items():
        if len(claims) == 1:
            articles.append(claims[0])
            continue
        sources = " and ".join(a.source for a in claims)
        rejected += [Rejection(a.source, f"duplicate id {article_id!r}: both {sources}", article_id) for a in claims]
    return articles, rejected, skipped, hits


def print_removals(plan: Plan, roots: Sequence[Path]) -> None:
    """What --prune is about to remove, before it goes."""
    where = ", ".join(str(root) for root in roots)
    print(f"Pruning {len(plan.remove)} article(s) stored from {where} whose files are gone:")
    for article_id in plan.remove:
        print(f"    - {article_id} ({plan.sources.get(article_id, '?')})")


def print_plan(plan: Plan, rejected: list[Rejection]) -> None:
    print("Dry run: nothing was changed.")
    for label, ids in (
        ("would load", [a.id for a in plan.load]),
        ("would replace", [a.id for a in plan.replace]),
        ("unchanged", [a.id for a in plan.unchanged]),
        ("would remove", plan.remove),
    ):
        print(
            f"  {label}: {len(ids)}"
            + (f"  ({', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''})" if ids and label != "unchanged" else "")
        )
    _print_rejected(rejected)


def print_summary(summary: Summary, seconds: float, settings: Settings) -> None:
    where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.chroma_path
    print(
        f"Ingest {'INTERRUPTED' if summary.interrupted else 'done'} in {seconds:.2f}s "
        f"into {settings.collection!r} at {where}"
    )
    print(f"  loaded:    {len(summary.loaded)}")
    print(f"  replaced:  {len(summary.replaced)}")
    print(f"  unchanged: {len(summary.unchanged)}")
    print(f"  removed:   {len(summary.removed)}")
    print(f"  chunks written: {summary.chunks_written}")
    if summary.blocks_refreshed:
        print(f"  block vectors made again (unchanged articles): {len(summary.blocks_refreshed)}")
    _print_rejected(summary.rejected)
    if summary.flagged:
        count = len(summary.flagged)
        print(
            f"  flagged by the moderator: {count} chunks (loaded; answers quoting them are blocked "
            "unless staff accept them: ingest again with --accept-flags)"
        )
        for item in summary.flagged:
            print(f"    - {item}")
    if summary.accepted:
        print(f"  flagged chunks accepted by staff (--accept-flags): {len(summary.accepted)}")
        for item in summary.accepted:
            print(f"    - {item}")
    if summary.interrupted:
        print("  Interrupted between articles: every article is either fully present or absent. Run again to finish.")


def _print_skipped(skipped: list[Skipped]) -> None:
    if skipped:
        print(f"  skipped (drafts, unpublished): {len(skipped)}")
        for item in skipped:
            print(f"    - {item.source}: {item.reason}")


def _print_rejected(rejected: list[Rejection]) -> None:
    print(f"  rejected:  {len(rejected)}")
    for item in rejected:
        print(f"    - {item.source}: {item.reason}")
    if rejected:
        print("  Rejected articles were not loaded; any version already in the store is kept, also by --prune.")


def _print_injection_hits(hits: list[tuple[str, ClassifierHit]]) -> None:
    if hits:
        print(f"  flagged by the injection classifier: {len(hits)} sentences (their articles were rejected)")
        for article_id, hit in hits:
            print(f"    - {article_id}: {hit}")


class _StopFlag:
    """While active, Ctrl-C asks the run to stop after the current batch instead of killing
    it mid-write; a second Ctrl-C aborts at once (still never inside one Chroma call)."""

    def __init__(self) -> None:
        self._set = False
        self._previous: object = None

    def is_set(self) -> bool:
        return self._set

    def _request_stop(self, signum: int, frame: object) -> None:
        if self._set:
            raise KeyboardInterrupt
        self._set = True
        print("\nStopping after the current batch of articles (Ctrl-C again to abort now) ...", file=sys.stderr)

    def __enter__(self) -> _StopFlag:
        if threading.current_thread() is threading.main_thread():  # only there can a handler be set
            self._previous = signal.signal(signal.SIGINT, self._request_stop)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
