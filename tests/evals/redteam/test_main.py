"""The red team's suites (evals.redteam.__main__): plain vs framed behaviours build without garak."""

from __future__ import annotations

from evals.redteam.__main__ import FRAMING, direct_suites, sizes


def test_suites_named_in_only_build_without_garak_and_framed_ones_carry_the_prefix() -> None:
    suites = direct_suites(sizes(smoke=True), "orders-shipping", ["behaviours-plain", "behaviours-framed"])
    assert suites["garak"] == []  # garak is never imported: it lives in .venv-redteam only
    plain, framed = suites["behaviours-plain"], suites["behaviours-framed"]
    assert len(plain) == len(framed) == sizes(smoke=True)["behaviours"]
    assert [f.question for f in framed] == [FRAMING + p.question for p in plain]
    assert {f.intent for f in framed} == {"billing-payments"}
