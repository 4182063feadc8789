import pytest

from bot.gate import Gate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(clock: Clock, **overrides: float) -> Gate:
    options = dict(
        per_minute=3, strikes_to_slow=2, strikes_to_block=4, window_seconds=600, slow_seconds=20, block_seconds=300
    )
    options.update(overrides)
    return Gate(clock=clock, **options)  # type: ignore[arg-type]


def test_rate_limit_per_user_and_per_minute() -> None:
    clock = Clock()
    g = gate(clock)
    assert all(g.admit("a").ok for _ in range(3))
    refused = g.admit("a")
    assert not refused.ok and refused.reasons == ("rate limit",)
    assert "60 seconds" in refused.user_message
    assert g.admit("b").ok  # another user is not affected
    clock.now += 61
    assert g.admit("a").ok


def test_strikes_slow_then_block_then_expire() -> None:
    clock = Clock()
    g = gate(clock, per_minute=100)
    assert g.admit("u").ok
    g.strike("u")
    assert g.admit("u").ok  # one strike: not slowed yet
    g.strike("u")
    slowed = g.admit("u")
    assert not slowed.ok and slowed.reasons == ("slowed after blocked messages",)
    assert "20 seconds" in slowed.user_message
    clock.now += 21
    assert g.admit("u").ok
    g.strike("u")
    assert g.strike("u") == 4
    blocked = g.admit("u")
    assert not blocked.ok and blocked.reasons == ("blocked after repeated unsafe messages",)
    assert "5 minute" in blocked.user_message
    clock.now += 301
    assert g.admit("u").ok  # the block ran out and the strikes were cleared


def test_old_strikes_leave_the_window() -> None:
    clock = Clock()
    g = gate(clock, per_minute=100)
    g.strike("u")
    clock.now += 601
    g.strike("u")
    assert g.admit("u").ok and g.admit("u").ok  # only one strike inside the window: never slowed


def test_strikes_are_weighted_by_severity() -> None:
    from bot.gate import strike_weight
    from bot.safety.verdict import Verdict

    def flagged(*categories: str) -> Verdict:
        return Verdict("moderation-in", False, "", reasons=(*(f"flagged: {c}" for c in categories), "model: local"))

    assert strike_weight(flagged("violence/graphic", "harassment")) == 2.0
    assert strike_weight(flagged("self-harm/intent")) == 0.5
    assert strike_weight(flagged("self-harm", "hate")) == 1.0
    assert strike_weight(Verdict("injection", False, "", reasons=("injection",))) == 1.0


def test_a_weighted_strike_counts_its_weight() -> None:
    clock = Clock()
    g = gate(clock, per_minute=100)
    assert g.strike("u", 2.0) == 2.0
    assert g.strike("u", 2.0) == 4.0  # reaches strikes_to_block=4
    assert g.admit("u").reasons == ("blocked after repeated unsafe messages",)


def test_a_gate_without_strikes_never_slows_or_blocks(settings) -> None:  # type: ignore[no-untyped-def]
    gate = Gate.from_settings(settings, rate_limited=False, strikes=False)
    for _ in range(settings.strikes_to_block * 3):
        gate.strike("red-team")
        assert gate.admit("red-team").ok
    strict = Gate.from_settings(settings, rate_limited=False)
    for _ in range(settings.strikes_to_block):
        strict.strike("red-team")
    assert not strict.admit("red-team").ok


class _BrokenStore:
    """A limit store whose records cannot be reached (a locked or broken database)."""

    unavailable = (ConnectionError,)

    def locked(self, user_id: str):  # type: ignore[no-untyped-def]
        raise ConnectionError("database is locked")


def test_while_the_records_fail_the_gate_keeps_limits_in_this_process() -> None:
    clock = Clock()
    g = Gate(2, 2, 4, 600.0, 30.0, 900.0, clock=clock, store=_BrokenStore())  # type: ignore[arg-type]
    assert g.admit("u").ok and g.admit("u").ok  # answered, not failed
    assert g.admit("u").reasons == ("rate limit",)  # and still limited, here
    assert g.strike("u") == 1.0


def test_a_store_error_that_is_not_unavailability_still_raises() -> None:
    class Refusing(_BrokenStore):
        def locked(self, user_id: str):  # type: ignore[no-untyped-def]
            raise ValueError("not a hashed id")

    g = Gate(2, 2, 4, 600.0, 30.0, 900.0, clock=Clock(), store=Refusing())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hashed"):
        g.admit("u")
