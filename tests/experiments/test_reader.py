"""Training pairs for the answerability reader (experiments/reader.py)."""

from __future__ import annotations

import numpy as np

from experiments.reader import ASKED, as_question, hard_negatives


def test_as_question_asks_the_task_in_the_first_person() -> None:
    rng = np.random.default_rng(0)
    asked = {as_question("get details about your directories", rng) for _ in range(60)}
    assert asked == {form.format("get details about my directories") for form in ASKED}


def test_hard_negatives_are_the_most_similar_passages_outside_the_own_group() -> None:
    passages = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.7, 0.3]])
    questions = np.array([[1.0, 0.0], [0.0, 1.0]])
    # question 0's own command holds passages 0 and 1; question 1's holds passage 2
    assert hard_negatives(questions, passages, 2, [{0, 1}, {2}]) == [[3, 2], [3, 1]]
