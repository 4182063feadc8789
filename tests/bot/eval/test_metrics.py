import pytest

from bot.eval.metrics import Confusion, latency_ms


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
