"""The AWS CLI's usage examples as task -> instructions pairs nobody here wrote (Apache-2.0).

The `awscli` package ships one reStructuredText file per command, ``awscli/examples/<service>/<command>.rst``,
each holding one or more examples headed by a bold title such as ``**Example 1: To copy a snapshot to another
Region**``, then a prose description, the command as a literal block and its output. A title that starts with
"To " (after an optional "Example N: ") is a task a customer could ask about; its description says how it
is done. With awscli 1.45.11 that gives 6,322 examples with enough prose, over 185 services.

Used only to train the answerability reader experiment (experiments/reader.py): many question/passage
pairs from one product's documentation, with hard negatives from the same service. Install the pinned version
with ``pip install --no-deps -r requirements-experiments.txt``.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

_TITLE = re.compile(r"^\*\*(?:Example \d+: *)?(To [^*]+?)\*\*\s*$")
_LINK = re.compile(r"`([^`<]+?) *<[^>]+>`__?")
_LITERAL = re.compile(r"``([^`]+)``")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Example:
    service: str  # e.g. "ec2"
    command: str  # e.g. "copy-snapshot"
    task: str  # e.g. "copy a snapshot to another Region" (the title without its leading "To ")
    description: str  # the example's prose, literal blocks (commands, output) left out


def examples_dir() -> Path:
    try:
        dist = importlib.metadata.distribution("awscli")
    except importlib.metadata.PackageNotFoundError as exc:
        msg = "awscli is not installed: pip install --no-deps -r requirements-experiments.txt"
        raise FileNotFoundError(msg) from exc
    return Path(str(dist.locate_file("awscli/examples")))


def prose(lines: list[str]) -> str:
    """The lines that are not part of a literal block (the indented lines after a line ending in '::')."""
    kept, in_literal = [], False
    for line in lines:
        if in_literal and (not line.strip() or line[:1].isspace()):
            continue
        in_literal = False
        text = line.strip()
        if text.endswith("::"):
            in_literal = True
            text = text[:-2].rstrip()
        if text and text not in ("Output", "Output:"):
            kept.append(text)
    joined = _LITERAL.sub(r"\1", _LINK.sub(r"\1", " ".join(kept)))
    return _SPACES.sub(" ", joined).replace(" .", ".").strip()


def parse(text: str, service: str, command: str) -> list[Example]:
    """The examples of one command file whose titles are tasks ("To ...")."""
    found: list[Example] = []
    task: str | None = None
    body: list[str] = []

    def close() -> None:
        description = prose(body)
        if task and len(description.split()) >= 6:
            found.append(Example(service, command, task[3:].strip().rstrip("."), description))

    for line in text.splitlines():
        title = _TITLE.match(line.strip())
        if title or line.startswith("**"):
            close()
            task, body = (title.group(1) if title else None), []
        else:
            body.append(line)
    close()
    return found


def load_examples(root: Path | None = None) -> list[Example]:
    root = root or examples_dir()
    found: list[Example] = []
    for path in sorted(root.glob("*/*.rst")):
        found += parse(path.read_text(encoding="utf-8"), path.parent.name, path.stem)
    return found
