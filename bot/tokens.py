"""Token counting with tiktoken, seeded offline (see `bot.assets`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tiktoken

from bot.assets import seed_tiktoken_cache
from bot.config import Settings
from bot.private_files import private_dir


@lru_cache(maxsize=4)
def _encoding(name: str, cache_dir: Path) -> tiktoken.Encoding:
    private_dir(cache_dir.parent)  # the data dir: 0700 when created here (bot.private_files)
    seed_tiktoken_cache(cache_dir)
    return tiktoken.get_encoding(name)


@dataclass(frozen=True)
class Tokenizer:
    """One tiktoken encoding; its BPE file is copied into `cache_dir` on first use."""

    name: str
    cache_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokenizer:
        return cls(settings.token_encoding, settings.tiktoken_cache_dir)

    def count(self, text: str) -> int:
        return len(_encoding(self.name, self.cache_dir).encode(text, disallowed_special=()))

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of `text` within `max_tokens` tokens."""
        encoding = _encoding(self.name, self.cache_dir)
        tokens = encoding.encode(text, disallowed_special=())
        return text if len(tokens) <= max_tokens else encoding.decode(tokens[:max_tokens])
