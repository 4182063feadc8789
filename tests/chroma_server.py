"""A real Chroma server (`chroma run`, installed with chromadb) on loopback, for the store tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import chromadb

from tests.support import free_port, log_tail, stop

CHROMA = Path(sys.executable).parent / "chroma"
START_SECONDS = 60


@contextmanager
def running_chroma_server(folder: Path) -> Iterator[int]:
    """Serve a store kept in `folder` on 127.0.0.1; yields the port. Stopped by pid at the end."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "chroma-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(folder / "store"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"chroma server did not start:\n{log_tail(log)}") from None
                time.sleep(0.2)
        yield port
    finally:
        stop(proc, grace=20)
