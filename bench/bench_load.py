"""Concurrent users in the real app: answer latency as a user sees it, with 1, 5 and 20 sessions at once.

The real stack on loopback: `streamlit run app.py` (embedded Chroma and SQLite, as `make run`) on the
sample KB, logging in through the development OpenID provider (tools/app_server.py, tools/local_auth.py).
Each session is a Playwright browser context in Debian's Chromium, logged in as a user of its own: it
acknowledges the notice, picks its topic in the dropdown and asks a bounded number of questions from
bench/data/sample_questions.jsonl (all of that topic), one after the other. All sessions of a level start
asking together. Latency is from the question sent (Enter) to its answer shown (the answer's feedback
buttons appear with it; the page is re-rendered once the turn is complete).

Printed per level: answers, errors (no answer in time, or a refusal by the rate limit), latency p50/p95/max,
and the server process's CPU (from /proc, or psutil if installed: one core = 100 %) and peak RSS while
the sessions asked, and the machine's load average (other work on it slows every answer). The per-user
rate limit (SAFEDESK_RATE_LIMIT_PER_MINUTE, 12 by default) is kept: every session is a fresh user and
asks fewer questions than the limit; --rate-limit changes it. Chromium runs on the same machine as the
server, so its own load is in the figures.

    python -m bench.bench_load [--sessions 1 5 20] [--questions 3]

Bounded: at most --questions per session, --answer-timeout per answer and --level-timeout per level;
every process started here is stopped by pid.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import DATA, ROOT, bench_settings, pct
from bot.intents import load_catalogue
from evals.jsonl import read_jsonl
from ingest import cli
from tools.app_server import Login, running_app, write_secrets
from tools.local_auth import running_provider
from tools.postgres_server import running_postgres
from tools.processes import free_port

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
REFUSED = re.compile(r"You're asking very quickly|please wait \d+ seconds")
CLIENT_ID = "safedesk-bench"


@dataclass
class Level:
    sessions: int
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wall_s: float = 0.0
    cpu_percent: float = 0.0
    peak_rss_mb: float = 0.0
    load_average: float = 0.0  # the machine's, over the last minute, when the level ended


class ServerUsage:
    """CPU time and peak RSS of one process, sampled in a thread (psutil if installed, else /proc)."""

    def __init__(self, pid: int, every_s: float = 0.25) -> None:
        self.pid, self.every_s = pid, every_s
        self._ps = _psutil_usage(pid)
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def cpu_seconds(self) -> float:
        if self._ps is not None:
            times = self._ps.cpu_times()
            return float(times.user + times.system)
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def rss_mb(self) -> float:
        if self._ps is not None:
            return float(self._ps.memory_info().rss) / 2**20
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())
            self._stop.wait(self.every_s)

    def __enter__(self) -> ServerUsage:
        self._cpu0, self._t0 = self.cpu_seconds(), time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_percent = 100 * (self.cpu_seconds() - self._cpu0) / max(time.monotonic() - self._t0, 1e-9)


def _psutil_usage(pid: int):  # type: ignore[no-untyped-def]
    """psutil's view of the same, when it is installed (it is not a requirement)."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process(pid)


def plan(sessions: int, per_session: int, first: int = 0) -> list[tuple[str, list[str]]]:
    """(intent label, questions) for each session: sessions take the topics in turn, and within a topic
    the next unused questions (wrapping round when a topic runs out)."""
    catalogue = load_catalogue(ROOT / "kb" / "intents.yaml")
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in read_jsonl(DATA / "sample_questions.jsonl"):
        by_intent[row["intent"]].append(row["question"])
    intents = sorted(by_intent)
    used: dict[str, int] = defaultdict(lambda: first)
    out = []
    for n in range(sessions):
        intent = intents[n % len(intents)]
        pool = by_intent[intent]
        start = used[intent]
        used[intent] += per_session
        out.append((catalogue.get(intent).label, [pool[(start + i) % len(pool)] for i in range(per_session)]))
    return out


async def log_in(page, app_url: str, account: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(app_url)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"localhost:\d+/interaction/"))
    await page.locator("input[name=login]").fill(account)
    await page.locator("input[name=password]").fill("anything")
    await page.locator("button[type=submit]").click()
    await page.wait_for_url(re.compile(re.escape(app_url)))
    await page.get_by_role("button", name="I understand").click()


async def choose(page, label: str) -> None:  # type: ignore[no-untyped-def]
    await page.get_by_text("What do you need help with?").wait_for()
    await page.locator("[data-testid=stSelectbox]").first.click()
    await page.get_by_role("option", name=label, exact=True).click()
    await page.locator("[data-testid=stChatInputTextArea]").and_(page.locator(":enabled")).wait_for()


async def ask_all(page, questions: list[str], level: Level, answer_timeout_ms: float) -> None:  # type: ignore[no-untyped-def]
    chat = page.locator("[data-testid=stChatInputTextArea]")
    answers = page.locator("[data-testid=stChatMessage] [data-testid=stFeedback]")
    for n, question in enumerate(questions, start=1):
        await chat.fill(question)
        sent = time.monotonic()
        await chat.press("Enter")
        try:
            await answers.nth(n - 1).wait_for(timeout=answer_timeout_ms)
        except Exception as err:  # Playwright's TimeoutError, or the page gone
            level.errors[f"no answer within {answer_timeout_ms / 1000:.0f} s ({type(err).__name__})"] += 1
            return  # this session's page is in an unknown state: it asks no more
        level.latencies.append(time.monotonic() - sent)
        text = await page.locator("[data-testid=stChatMessage]").last.inner_text()
        if REFUSED.search(text):
            level.errors["refused by the rate limit"] += 1


async def run_level(  # type: ignore[no-untyped-def]
    browser, app_url: str, app_pid: int, level: Level, args: argparse.Namespace, warm_up: bool = False
) -> None:
    contexts = [await browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(level.sessions)]
    try:
        pages = [await context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(120_000)
        sessions = (
            plan(1, 1, first=-1) if warm_up else plan(level.sessions, args.questions)
        )  # warm-up: a question not asked later
        tag = secrets.token_hex(3)  # fresh users every run: nobody starts with earlier admissions
        ready = asyncio.Semaphore(4)  # logging in is not what is measured: a few at a time

        async def prepare(n: int) -> None:
            async with ready:
                await log_in(pages[n], app_url, f"load-{tag}-{'w' if warm_up else level.sessions}-{n}")
                await choose(pages[n], sessions[n][0])

        await asyncio.gather(*(prepare(n) for n in range(level.sessions)))
        started = time.monotonic()
        with ServerUsage(app_pid) as usage:
            await asyncio.gather(
                *(ask_all(pages[n], sessions[n][1], level, args.answer_timeout * 1000) for n in range(level.sessions))
            )
        level.wall_s = time.monotonic() - started
        level.cpu_percent, level.peak_rss_mb = usage.cpu_percent, usage.peak_rss_mb
        level.load_average = os.getloadavg()[0]
    finally:
        for context in contexts:
            await context.close()


async def drive(app_url: str, app_pid: int, args: argparse.Namespace) -> list[Level]:
    from playwright.async_api import async_playwright

    levels = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            # Warm-up, not counted: the first answer of a new process loads its models and caches.
            await asyncio.wait_for(
                run_level(browser, app_url, app_pid, Level(1), args, warm_up=True), args.level_timeout
            )
            for sessions in args.sessions:
                level = Level(sessions)
                try:
                    await asyncio.wait_for(run_level(browser, app_url, app_pid, level, args), args.level_timeout)
                except TimeoutError:
                    level.errors[f"level stopped after {args.level_timeout:.0f} s"] += 1
                levels.append(level)
                report(level, args.questions)
        finally:
            await browser.close()
    return levels


def report(level: Level, per_session: int) -> None:
    asked = level.sessions * per_session
    errors = sum(level.errors.values())
    if level.latencies:
        ms = [s * 1000 for s in level.latencies]
        figures = f"p50 {statistics.median(ms):7.0f} ms   p95 {pct(ms, 95):7.0f} ms   max {max(ms):7.0f} ms"
    else:
        figures = "no answers"
    rate = len(level.latencies) / level.wall_s if level.wall_s else 0.0
    print(
        f"{level.sessions:3d} sessions  {len(level.latencies):3d}/{asked} answered  {errors} errors   {figures}   "
        f"{rate:4.2f} answers/s   server CPU {level.cpu_percent:4.0f} %   peak RSS {level.peak_rss_mb:5.0f} MB   "
        f"load average {level.load_average:.1f}",
        flush=True,
    )
    for what, count in sorted(level.errors.items()):
        print(f"      {count} × {what}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 20], help="concurrent sessions, per level")
    parser.add_argument("--questions", type=int, default=3, help="questions each session asks (default 3)")
    parser.add_argument("--rate-limit", type=int, default=None, help="SAFEDESK_RATE_LIMIT_PER_MINUTE for the app")
    parser.add_argument(
        "--postgres", action="store_true", help="records on a throw-away PostgreSQL on loopback instead of SQLite"
    )
    parser.add_argument("--answer-timeout", type=float, default=120.0, help="seconds one answer may take")
    parser.add_argument("--level-timeout", type=float, default=600.0, help="seconds one level may take")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (make test-deps)", file=sys.stderr)
        return 1
    overrides = {"rate_limit_per_minute": args.rate_limit} if args.rate_limit else {}
    settings = bench_settings("load", **overrides)
    if args.questions > settings.rate_limit_per_minute:
        print(f"note: {args.questions} questions per session exceed the limit of {settings.rate_limit_per_minute}/min")
    started = time.perf_counter()
    if cli.main([str(settings.kb_dir), "--quiet"], settings) != 0:
        print("ingest failed", file=sys.stderr)
        return 1
    print(f"sample KB ingested in {time.perf_counter() - started:.0f} s into {settings.data_dir}")
    home = settings.data_dir
    app_port, provider_port = free_port(), free_port()
    app_url = f"http://localhost:{app_port}"
    login = Login(provider_port, CLIENT_ID, secrets.token_urlsafe(24), secrets.token_urlsafe(32))
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        "STREAMLIT_SECRETS_FILES": str(write_secrets(home / "secrets.toml", app_url, login)),
    }
    print(
        f"one app process (streamlit run app.py; embedded Chroma, {'PostgreSQL' if args.postgres else 'SQLite'}), "
        f"{os.cpu_count()} cores shared with "
        f"Chromium; {args.questions} questions per session, one user per session; rate limit "
        f"{settings.rate_limit_per_minute}/min per user{' (set by --rate-limit)' if args.rate_limit else ' (default)'}"
    )
    print(f"CPU: the server process, 100 % = one core ({'psutil' if _psutil_usage(os.getpid()) else '/proc'})")
    with ExitStack() as servers:
        if args.postgres:
            env["DATABASE_URL"] = servers.enter_context(running_postgres())
        servers.enter_context(
            running_provider(
                provider_port, CLIENT_ID, login.client_secret, [f"{app_url}/oauth2callback"], home / "p.log"
            )
        )
        app = servers.enter_context(running_app(app_port, env, home / "streamlit.log"))
        levels = asyncio.run(drive(app_url, app.pid, args))
    log = home / "streamlit.log"
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))  # Streamlit colours its tracebacks
    failures = [line for line in plain.splitlines() if re.match(r"\w+Error: ", line)]
    print(f"server log {log}: {len(failures)} exception(s)" + "".join(f"\n      {f[:160]}" for f in failures[:5]))
    return 0 if all(level.latencies for level in levels) else 1


if __name__ == "__main__":
    sys.exit(main())
