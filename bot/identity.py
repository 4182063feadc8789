"""Who is asking: the stable user id and the hashed `safety_identifier` sent to OpenAI.

The identifier is HMAC-SHA256(server secret, stable id) in hex (64 characters), so OpenAI can
tell one abusive user from another without learning who they are. Raw emails and names never
leave the server. The secret comes from `SAFEDESK_SECRET_KEY` (at least MIN_SECRET_CHARS
characters); when that is empty, a random one is created once under the data directory (created
0600, in a folder created 0700) so identifiers stay stable across restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import MIN_SECRET_CHARS, Settings
from bot.private_files import create_private_file, private_dir

SECRET_FILE = "secret_key"


class SecretError(RuntimeError):
    """The server secret is unusable (empty or too short): hashes made with it could be reversed."""


@dataclass(frozen=True)
class User:
    """A person asking: `id` is the OIDC `sub` (or a guest's session id), never an email."""

    id: str
    guest: bool = False
    staff: bool = False


def safety_identifier(secret: bytes, user_id: str) -> str:
    if not user_id:
        raise ValueError("a user id is required for the safety identifier")
    return hmac.new(secret, user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def server_secret(settings: Settings) -> bytes:
    """The configured secret, or the one generated under the data directory on first use."""
    if settings.secret_key:
        if len(settings.secret_key) < MIN_SECRET_CHARS:  # bot.config refuses it too; Settings can be built around it
            raise SecretError(f"SAFEDESK_SECRET_KEY must be at least {MIN_SECRET_CHARS} characters")
        return settings.secret_key.encode("utf-8")
    path = private_dir(Path(settings.data_dir)) / SECRET_FILE
    if not path.exists():
        # Written whole under a temporary name, then linked into place: link() is atomic and refuses
        # to overwrite, so two processes starting at once agree, and nobody reads a half-written file.
        tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        tmp.unlink(missing_ok=True)  # left by a process of the same pid that died half-way
        create_private_file(tmp, secrets.token_hex(32).encode("ascii"))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise SecretError(
            f"the server secret in {path} is empty or shorter than {MIN_SECRET_CHARS} characters. "
            "Restore it from a backup, or delete it to generate a new one (every user's hashed id changes)."
        )
    return secret.encode("utf-8")
