"""Token counting with tiktoken, seeded offline (see `bot.assets`)."""

from __future__ import annotations

from functools import lru_cache

import tiktoken

from bot.assets import seed_tiktoken_cache
from bot.config import get_settings
from bot.private_files import private_dir


@lru_cache(maxsize=4)
def encoding(name: str | None = None) -> tiktoken.Encoding:
    settings = get_settings()
    private_dir(settings.data_dir)  # 0700 when created here (bot.private_files)
    seed_tiktoken_cache(settings.tiktoken_cache_dir)
    return tiktoken.get_encoding(name or settings.token_encoding)


def count_tokens(text: str, name: str | None = None) -> int:
    return len(encoding(name).encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int, name: str | None = None) -> str:
    """The longest prefix of `text` within `max_tokens` tokens."""
    tokens = encoding(name).encode(text, disallowed_special=())
    return text if len(tokens) <= max_tokens else encoding(name).decode(tokens[:max_tokens])
