import pytest

from evals.metrics import Confusion, auc, latency_ms, recall_at_fpr, specificity_at_recall


def test_confusion_counts_and_rates() -> None:
    c = Confusion.of([True, True, False, False, True], [True, False, True, False, True])
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 1, 1, 1)
    assert c.precision == pytest.approx(2 / 3) and c.recall == pytest.approx(2 / 3)
    assert c.f1 == pytest.approx(2 / 3)


def test_empty_predictions_have_zero_precision_not_an_error() -> None:
    c = Confusion.of([True, False], [False, False])
    assert c.precision == 0.0 and c.recall == 0.0 and c.f1 == 0.0


def test_latency_percentiles_are_in_milliseconds() -> None:
    figures = latency_ms([0.001] * 95 + [0.1] * 5)
    assert figures["p50"] == pytest.approx(1.0) and figures["n"] == 100
    assert 1.0 <= figures["p95"] <= 100.0


def test_auc_counts_pairs_and_ties() -> None:
    assert auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert auc([0.1, 0.2, 0.9, 0.8], [True, True, False, False]) == 0.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.9, 0.3, 0.5, 0.1], [True, True, False, False]) == pytest.approx(0.75)


SCORES = [0.9, 0.7, 0.4, 0.8, 0.5, 0.2, 0.1]
TRUTH = [True, True, True, False, False, False, False]


def test_recall_at_fpr_is_the_best_threshold_within_the_false_positive_budget() -> None:
    assert recall_at_fpr(SCORES, TRUTH, 0.0) == pytest.approx(1 / 3)  # only 0.9 is above every negative
    assert recall_at_fpr(SCORES, TRUTH, 0.25) == pytest.approx(2 / 3)  # at 0.7, 0.8 is flagged: 1 of 4
    assert recall_at_fpr(SCORES, TRUTH, 0.5) == pytest.approx(1.0)  # at 0.4, 0.8 and 0.5 are


def test_specificity_at_recall_is_the_best_threshold_that_keeps_enough_positives() -> None:
    assert specificity_at_recall(SCORES, TRUTH, 1.0) == pytest.approx(0.5)  # at 0.4: 0.2 and 0.1 below
    assert specificity_at_recall(SCORES, TRUTH, 0.6) == pytest.approx(0.75)  # at 0.7: only 0.8 above
    assert specificity_at_recall(SCORES, TRUTH, 0.3) == pytest.approx(1.0)  # at 0.9
