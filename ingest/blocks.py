"""The block texts ingest embeds for the extractive answer (stored by bot.kb.blocks).

The texts come from the responder itself (`bot.responders.extractive.block_texts`), so ingest
stores exactly what a turn would embed. `RECIPE` fingerprints that function on a probe chunk:
each chunk's metadata records the recipe its block vectors were made with, and an unchanged
article whose recipe is older (or absent: a store from before block vectors) gets its block
vectors made again without re-embedding its chunks.
"""

from __future__ import annotations

import hashlib
from functools import cache

RECIPE_KEY = "blocks"  # chunk metadata: the recipe its stored block vectors were made with
_PROBE = (
    "Returns",
    "FAQ > Can I return a sofa?",
    "Yes. You have 30 days (for example, a sofa).\n\nThey include:\n\n- cushions\n- covers\n\n"
    "## Steps\n\n1. Open your order.\n2. Select **Return**.\n\n| Item | Fee |\n|---|---|\n| Sofa | 39 EUR |",
)


def block_texts(title: str, heading: str, text: str) -> list[str]:
    """Each block's embedded text (imported on first use: the responder brings the retriever's imports)."""
    from bot.responders.extractive import block_texts as responders_block_texts

    return responders_block_texts(title, heading, text)


@cache
def recipe() -> str:
    """A fingerprint of how chunks are cut into blocks and what each block's embedded text is."""
    probe = "\x1e".join(block_texts(*_PROBE))
    return hashlib.sha256(probe.encode("utf-8")).hexdigest()[:12]


__all__ = ["RECIPE_KEY", "block_texts", "recipe"]
