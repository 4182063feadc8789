"""Who is asking: the stable user id and the hashed `safety_identifier` sent to OpenAI.

The identifier is HMAC-SHA256(server secret, stable id) in hex (64 characters), so OpenAI can
tell one abusive user from another without learning who they are. Raw emails and names never
leave the server. The secret comes from `SAFEDESK_SECRET_KEY`; when it is empty, a random one
is created once under the data directory (mode 0600) so identifiers stay stable across restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

SECRET_FILE = "secret_key"


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
        return settings.secret_key.encode("utf-8")
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        tmp.write_text(secrets.token_hex(32), encoding="utf-8")
        tmp.chmod(0o600)
        try:  # link() is atomic and refuses to overwrite: two processes starting at once agree
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip().encode("utf-8")
