"""Ingest throughput: the sample KB and the Plausible help centre, first load and unchanged re-run.

    python -m bench.bench_ingest        (or: make bench)

Each KB goes into a fresh data dir through the real command (`python -m ingest`),
run in-process; times are wall-clock for the whole command, model load included. The first
load prints its time per stage (ingest.timings: wall-clock and the CPU seconds of all the
process's threads; on a shared machine the CPU column is the steadier one).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time

from bench.common import PLAUSIBLE_DOCS, PLAUSIBLE_IMPORT, ROOT, bench_settings, peak_rss_mb, plausible_settings
from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.store import chroma_client, kb_collection
from ingest import cli
from ingest.timings import StageTimes


def run(args: list[str], settings: Settings) -> tuple[float, float, str, StageTimes]:
    out = io.StringIO()
    times = StageTimes()
    started, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        cli.main([*args, "--quiet", "--allow-rejects"], settings, times)
    return time.perf_counter() - started, time.process_time() - cpu, out.getvalue(), times


def measure(name: str, args: list[str], settings: Settings) -> None:
    first, cpu, out, times = run(args, settings)
    chunks = kb_collection(chroma_client(settings), settings.collection, local_embedder()).count()
    rejected = out.split("rejected:")[1].split()[0]
    again = [run(args, settings)[0] for _ in range(3)]
    print(
        f"{name:10} {chunks:6d} chunks  first load {first:6.1f} s = {chunks / first:5.1f} chunks/s "
        f"(CPU {cpu:.1f} s = {chunks / cpu:5.1f} chunks/CPU-s)   "
        f"unchanged re-run best {min(again):.2f} s (median {sorted(again)[1]:.2f} s)   rejected {rejected}"
    )
    print("\n".join([f"{name} first load, time per stage:", *times.lines(first)]))


def command_rerun(settings: Settings) -> float:
    """The unchanged re-run as staff type it: a new `python -m ingest` process, imports included."""
    env = dict(os.environ, SAFEDESK_DATA_DIR=str(settings.data_dir), SAFEDESK_ENV_FILE="")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ingest", "--quiet"], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    print(
        f"chunk budget {bench_settings('probe').chunk_tokens} tokens; targets: >= 100 chunks/s, "
        f"unchanged re-ingest < 2 s; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    sample = bench_settings("ingest-sample")
    measure("sample KB", [str(ROOT / "kb" / "articles")], sample)
    runs = sorted(command_rerun(sample) for _ in range(3))
    print(f"sample KB  unchanged re-run as a new process (python -m ingest): median {runs[1]:.2f} s")
    measure(
        "Plausible",
        [str(PLAUSIBLE_DOCS), "--mapping", str(PLAUSIBLE_IMPORT / "mapping.yaml"), "--verified-by", "bench"],
        plausible_settings("ingest-plausible"),
    )
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
