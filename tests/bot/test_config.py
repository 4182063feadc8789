from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings


def test_defaults_put_all_runtime_state_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(env_file=None, data_dir=tmp_path)
    assert settings.chroma_path == tmp_path / "chroma"
    assert settings.tiktoken_cache_dir == tmp_path / "tiktoken"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEDESK_TOP_K", "7")
    monkeypatch.setenv("SAFEDESK_RETRIEVAL_MODE", "dense")
    settings = load_settings(env_file=None)
    assert settings.top_k == 7
    assert settings.retrieval_mode == "dense"


def test_dotenv_file_is_read_but_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("SAFEDESK_CHUNK_TOKENS=300\nSAFEDESK_TOP_K=9\n")
    monkeypatch.delenv("SAFEDESK_CHUNK_TOKENS", raising=False)
    monkeypatch.setenv("SAFEDESK_TOP_K", "3")
    settings = load_settings(env_file=env)
    assert settings.chunk_tokens == 300
    assert settings.top_k == 3
    monkeypatch.delenv("SAFEDESK_CHUNK_TOKENS")  # load_dotenv exported it


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SAFEDESK_TOP_K", "many"),
        ("SAFEDESK_RELEVANCE_THRESHOLD", "1.5"),
        ("SAFEDESK_RETRIEVAL_MODE", "magic"),
        ("CHROMA_PORT", "70000"),
    ],
)
def test_invalid_value_stops_with_the_setting_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    assert name in str(err.value)
    assert value in str(err.value)


def test_env_example_documents_every_setting() -> None:
    from bot.config import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, str)
        assert f"{alias}=" in example, f"{alias} is not documented in .env.example"
