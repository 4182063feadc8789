from bot.safety.verdict import FAILED_CLOSED, ScreenChain, ScreenContext, Verdict


class Upper:
    name = "upper"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        return Verdict(self.name, True, text.upper())


class BlockIfBad:
    name = "block"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        return Verdict(self.name, "BAD" not in text, text, reasons=("bad",) if "BAD" in text else ())


class Broken:
    name = "broken"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        raise ConnectionError("moderation API down")


def test_screens_run_in_order_and_pass_their_text_on() -> None:
    result = ScreenChain([Upper(), BlockIfBad()]).run("fine", ScreenContext())
    assert result.ok and result.text == "FINE"
    assert [v.screen for v in result.verdicts] == ["upper", "block"]
    assert all(v.seconds >= 0 for v in result.verdicts)


def test_the_first_block_stops_the_chain() -> None:
    result = ScreenChain([Upper(), BlockIfBad(), Upper()]).run("bad", ScreenContext())
    assert not result.ok and result.blocked_by is not None and result.blocked_by.screen == "block"
    assert len(result.verdicts) == 2


def test_a_failing_screen_fails_closed() -> None:
    result = ScreenChain([Broken(), Upper()]).run("hello", ScreenContext())
    assert not result.ok
    verdict = result.blocked_by
    assert verdict is not None and verdict.error and verdict.user_message == FAILED_CLOSED
    assert "moderation API down" in verdict.reasons[0]
