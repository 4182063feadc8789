"""One typed settings object, read from the environment and `.env`.

Every field here is documented in `.env.example`. An invalid value stops the
program with a message that names the setting (see `load_settings`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from dotenv import load_dotenv
from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The screens each chain can run, in their default order (bot.safety.chains builds them).
INPUT_SCREENS = ("normalize", "limits", "pii", "moderation-in", "injection")
OUTPUT_SCREENS = ("moderation-out", "groundedness", "leakage", "citations", "sanitize")

MIN_SECRET_CHARS = 32  # SAFEDESK_SECRET_KEY: a short key would let the hashed user ids be guessed


class SettingsError(SystemExit):
    """Raised when a setting is invalid; its message names the setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    # --- where things live ---
    data_dir: Path = Field(Path("data"), validation_alias="SAFEDESK_DATA_DIR")
    kb_dir: Path = Field(Path("kb/articles"), validation_alias="SAFEDESK_KB_DIR")
    intents_file: Path = Field(Path("kb/intents.yaml"), validation_alias="SAFEDESK_INTENTS_FILE")
    company_name: str = Field("Nordlys Home", validation_alias="SAFEDESK_COMPANY_NAME")

    # --- vector store ---
    collection: str = Field("safedesk_kb", validation_alias="SAFEDESK_COLLECTION", min_length=3)
    chroma_host: str = Field("", validation_alias="CHROMA_HOST")
    chroma_port: int = Field(8000, validation_alias="CHROMA_PORT", ge=1, le=65535)
    chroma_ssl: bool = Field(False, validation_alias="CHROMA_SSL")

    # --- embeddings ---
    openai_api_key: str = Field("", validation_alias="OPENAI_API_KEY", repr=False)
    openai_base_url: str = Field("", validation_alias="OPENAI_BASE_URL")
    openai_embedding_model: str = Field("", validation_alias="OPENAI_EMBEDDING_MODEL")
    embedding_batch_size: int = Field(32, validation_alias="SAFEDESK_EMBEDDING_BATCH_SIZE", ge=1, le=512)

    # --- ingest ---
    chunk_tokens: int = Field(160, validation_alias="SAFEDESK_CHUNK_TOKENS", ge=32, le=2000)
    token_encoding: Literal["o200k_base", "cl100k_base"] = Field(
        "o200k_base", validation_alias="SAFEDESK_TOKEN_ENCODING"
    )
    import_review_days: int = Field(180, validation_alias="SAFEDESK_IMPORT_REVIEW_DAYS", ge=1, le=3650)
    # The staff KB page lists articles whose review_by date is past or within this many days.
    review_soon_days: int = Field(14, validation_alias="SAFEDESK_REVIEW_SOON_DAYS", ge=0, le=3650)
    max_article_bytes: int = Field(100_000, validation_alias="SAFEDESK_MAX_ARTICLE_BYTES", ge=1_000, le=10_000_000)
    # A running ingest beats a heartbeat in the records six times within this; one silent for longer
    # was killed, and the app stops showing the KB as loading (bot.storage.ingest_runs).
    ingest_stale_seconds: float = Field(30.0, validation_alias="SAFEDESK_INGEST_STALE_SECONDS", ge=6, le=3600)

    # --- safety screens ---
    max_input_chars: int = Field(800, validation_alias="SAFEDESK_MAX_INPUT_CHARS", ge=20, le=20000)
    max_input_tokens: int = Field(200, validation_alias="SAFEDESK_MAX_INPUT_TOKENS", ge=5, le=8000)
    # Which screens run, in which order (comma-separated names), as a rails configuration does.
    input_screens: Annotated[tuple[str, ...], NoDecode] = Field(
        INPUT_SCREENS, validation_alias="SAFEDESK_INPUT_SCREENS"
    )
    output_screens: Annotated[tuple[str, ...], NoDecode] = Field(
        OUTPUT_SCREENS, validation_alias="SAFEDESK_OUTPUT_SCREENS"
    )

    # --- retrieval ---
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", validation_alias="SAFEDESK_RETRIEVAL_MODE")
    top_k: int = Field(6, validation_alias="SAFEDESK_TOP_K", ge=1, le=50)
    relevance_threshold: float = Field(0.25, validation_alias="SAFEDESK_RELEVANCE_THRESHOLD", ge=0.0, le=1.0)

    # --- answers ---
    answer_mode: Literal["extractive", "llm"] = Field("extractive", validation_alias="SAFEDESK_ANSWER_MODE")
    answer_tokens: int = Field(160, validation_alias="SAFEDESK_ANSWER_TOKENS", ge=32, le=2000)
    # The three bands (bot.bands), calibrated on the sample KB by bench/bench_turn.py.
    answer_confidence: float = Field(0.65, validation_alias="SAFEDESK_ANSWER_CONFIDENCE", ge=0.0, le=1.0)
    suggest_confidence: float = Field(0.2, validation_alias="SAFEDESK_SUGGEST_CONFIDENCE", ge=0.0, le=1.0)
    openai_chat_model: str = Field("gpt-4o-mini", validation_alias="OPENAI_CHAT_MODEL", min_length=1)
    llm_max_output_tokens: int = Field(300, validation_alias="SAFEDESK_LLM_MAX_OUTPUT_TOKENS", ge=16, le=4000)
    llm_max_input_tokens: int = Field(3000, validation_alias="SAFEDESK_LLM_MAX_INPUT_TOKENS", ge=500, le=100000)
    llm_temperature: float = Field(0.1, validation_alias="SAFEDESK_LLM_TEMPERATURE", ge=0.0, le=1.0)
    openai_timeout_seconds: float = Field(20.0, validation_alias="OPENAI_TIMEOUT_SECONDS", gt=0, le=300)
    openai_max_retries: int = Field(2, validation_alias="OPENAI_MAX_RETRIES", ge=0, le=10)
    history_turns: int = Field(3, validation_alias="SAFEDESK_HISTORY_TURNS", ge=0, le=20)

    # --- the web app ---
    guest_mode: bool = Field(False, validation_alias="SAFEDESK_GUEST_MODE")
    staff_group: str = Field("safedesk-staff", validation_alias="SAFEDESK_STAFF_GROUP")
    staff_emails: str = Field("", validation_alias="SAFEDESK_STAFF_EMAILS")  # comma-separated allowlist
    # Staff status lasts this long after login; then staff log in again (the login cookie lasts 30 days).
    staff_session_hours: float = Field(12.0, validation_alias="SAFEDESK_STAFF_SESSION_HOURS", gt=0, le=720)
    support_contact: str = Field(
        "support@nordlys-home.example or +44 20 7946 0000 (Mon-Fri 9:00-17:00 CET)",
        validation_alias="SAFEDESK_SUPPORT_CONTACT",
        min_length=3,
    )

    # --- moderation backend ---
    moderation: Literal["local", "openai", "guard"] = Field("local", validation_alias="SAFEDESK_MODERATION")
    moderation_fallback: Literal["local", "closed"] = Field("local", validation_alias="SAFEDESK_MODERATION_FALLBACK")
    # SAFEDESK_MODERATION=guard: Llama Guard 3 on an OpenAI-compatible server (bot.safety.guard).
    guard_base_url: str = Field("", validation_alias="SAFEDESK_GUARD_BASE_URL")
    guard_model: str = Field("llama-guard3", validation_alias="SAFEDESK_GUARD_MODEL", min_length=1)
    guard_api_key: str = Field("", validation_alias="SAFEDESK_GUARD_API_KEY", repr=False)
    guard_timeout_seconds: float = Field(10.0, validation_alias="SAFEDESK_GUARD_TIMEOUT_SECONDS", gt=0, le=300)

    # --- identity, rate limits and strikes ---
    secret_key: str = Field("", validation_alias="SAFEDESK_SECRET_KEY", repr=False)
    rate_limit_per_minute: int = Field(12, validation_alias="SAFEDESK_RATE_LIMIT_PER_MINUTE", ge=1, le=10000)
    strikes_to_slow: int = Field(3, validation_alias="SAFEDESK_STRIKES_TO_SLOW", ge=1, le=1000)
    strikes_to_block: int = Field(6, validation_alias="SAFEDESK_STRIKES_TO_BLOCK", ge=1, le=1000)
    strike_window_minutes: int = Field(60, validation_alias="SAFEDESK_STRIKE_WINDOW_MINUTES", ge=1, le=100000)
    slow_seconds: int = Field(20, validation_alias="SAFEDESK_SLOW_SECONDS", ge=0, le=3600)
    block_minutes: int = Field(60, validation_alias="SAFEDESK_BLOCK_MINUTES", ge=1, le=100000)

    # --- records (users, conversations, turns, feedback, reports) ---
    # Empty: SQLite at <data_dir>/safedesk.db. May hold a password, hence repr=False.
    database_url: str = Field("", validation_alias="DATABASE_URL", repr=False)
    # Turns and feedback older than this are purged (`python -m bot purge`, and the app once a day).
    retention_days: int = Field(90, validation_alias="SAFEDESK_RETENTION_DAYS", ge=1, le=36500)
    # SQLite: how long a write waits for another writer before it fails (reads never wait).
    db_busy_timeout_seconds: float = Field(30.0, validation_alias="SAFEDESK_DB_BUSY_TIMEOUT_SECONDS", ge=0, le=600)

    @field_validator(
        "chroma_host",
        "openai_base_url",
        "openai_embedding_model",
        "openai_chat_model",
        "database_url",
        "guard_base_url",
        "guard_model",
        mode="before",
    )
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < MIN_SECRET_CHARS:
            raise ValueError(f"must be empty (a random one is generated) or at least {MIN_SECRET_CHARS} characters")
        return value

    @field_validator("input_screens", "output_screens", mode="before")
    @classmethod
    def _screen_list(cls, value: object) -> object:
        return tuple(name.strip() for name in value.split(",") if name.strip()) if isinstance(value, str) else value

    @field_validator("input_screens", "output_screens")
    @classmethod
    def _known_screens(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known = INPUT_SCREENS if info.field_name == "input_screens" else OUTPUT_SCREENS
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(f"unknown screen(s) {', '.join(unknown)}; choose from {', '.join(known)}")
        if len(set(value)) != len(value):
            raise ValueError("a screen is named twice")
        return value

    @model_validator(mode="after")
    def _guard_needs_a_server(self) -> Settings:
        if self.moderation == "guard" and not self.guard_base_url.strip():
            raise ValueError("SAFEDESK_MODERATION=guard needs SAFEDESK_GUARD_BASE_URL (the guard server, with /v1)")
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self.data_dir / "tiktoken"

    @property
    def database_url_or_default(self) -> str:
        """`DATABASE_URL`, or the SQLite file under the data directory (absolute, whatever the cwd)."""
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'safedesk.db').resolve()}"


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    """Read settings from `.env` (if present) and the environment.

    Values already in the environment win over `.env`. Keyword overrides (by
    field name) win over both; tests use them to isolate the data directory.
    """
    if env_file and Path(env_file).is_file():
        load_dotenv(env_file, override=False)
    try:
        return Settings(**overrides)
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            info = Settings.model_fields.get(field)
            shown = "(value hidden)" if info is not None and not info.repr else f"(got {problem.get('input')!r})"
            lines.append(f"  {_env_name(field)}: {problem['msg']} {shown}")
        raise SettingsError("Invalid setting(s):\n" + "\n".join(lines)) from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is None:
        return field
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field.upper()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached)."""
    return load_settings(os.environ.get("SAFEDESK_ENV_FILE", ".env"))
