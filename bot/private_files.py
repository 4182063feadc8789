"""Files and folders only the server's own user may read: the data directory (0700), the server
secret and the SQLite records (0600). Modes are set at creation, never by chmod afterwards, so
there is no moment when another user could open them; an existing folder or file is left as it is."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """`mkdir -p path`, the folder itself created 0700 (missing parents get the usual mode)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return path


def create_private_file(path: Path, content: bytes = b"") -> bool:
    """Create `path` 0600 with `content`, atomically refusing to replace it: False if it existed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.write(fd, content)
    finally:
        os.close(fd)
    return True
