"""The Chroma server of the store tests: tools/chroma_server.py (shared with `make run-scaled`)."""

from tools.chroma_server import running_chroma_server

__all__ = ["running_chroma_server"]
