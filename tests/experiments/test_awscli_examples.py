"""Parsing the AWS CLI's usage examples into task/description pairs (experiments/awscli_examples.py)."""

from __future__ import annotations

from experiments.awscli_examples import Example, load_examples, parse, prose

COPY_SNAPSHOT = """**Example 1: To copy a snapshot to another Region**

The following ``copy-snapshot`` example command copies the specified snapshot from the ``us-west-2``
Region to the ``us-east-1`` Region. ::

    aws ec2 copy-snapshot \\
        --region us-east-1

Output::

    {
        "SnapshotId": "snap-066877671789bd71b"
    }

**Example 2: Copying with no task title**

The following ``copy-snapshot`` command copies an unencrypted snapshot and encrypts the copy. ::

    aws ec2 copy-snapshot --encrypted

**To copy a snapshot and tag it**

Short.

For more information, see `Copy an Amazon EBS snapshot <https://docs.aws.amazon.com/x.html>`__ in the *Guide*.
"""


def test_prose_drops_literal_blocks_and_markup() -> None:
    lines = COPY_SNAPSHOT.splitlines()[2:14]
    assert prose(lines) == (
        "The following copy-snapshot example command copies the specified snapshot from the us-west-2 "
        "Region to the us-east-1 Region."
    )


def test_parse_keeps_task_titles_with_enough_prose() -> None:
    found = parse(COPY_SNAPSHOT, "ec2", "copy-snapshot")
    assert [e.task for e in found] == ["copy a snapshot to another Region", "copy a snapshot and tag it"]
    assert found[0] == Example(
        "ec2",
        "copy-snapshot",
        "copy a snapshot to another Region",
        "The following copy-snapshot example command copies the specified snapshot from the us-west-2 "
        "Region to the us-east-1 Region.",
    )
    # the link keeps its text, not its address
    assert found[1].description == "Short. For more information, see Copy an Amazon EBS snapshot in the *Guide*."


def test_load_examples_walks_service_folders(tmp_path) -> None:
    (tmp_path / "ec2").mkdir()
    (tmp_path / "ec2" / "copy-snapshot.rst").write_text(COPY_SNAPSHOT, encoding="utf-8")
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "empty.rst").write_text("No examples here.\n", encoding="utf-8")
    found = load_examples(tmp_path)
    assert [(e.service, e.command) for e in found] == [("ec2", "copy-snapshot")] * 2
