"""garak's function generator target: `garak.generators.function.Single(name="evals.redteam.garak_generator#generate")`.

`generate` runs the prompt through the pipeline set with `use` and returns what the user was
shown; every outcome is kept in `OUTCOMES` for our scorer (garak's detectors are not used).
"""

from __future__ import annotations

from evals.redteam.harness import Outcome, Target
from evals.redteam.scorer import Attack

_TARGET: list[Target] = []
_ATTACK: list[Attack] = []
OUTCOMES: list[Outcome] = []


def use(target: Target, attack: Attack) -> None:
    """The pipeline and the attack's record for the next `generate` call."""
    _TARGET[:] = [target]
    _ATTACK[:] = [attack]


def generate(prompt: str, **kwargs: object) -> list[str | None]:
    attack = _ATTACK[0]
    if attack.question != prompt:  # garak sends the probe's prompt; the record must be of the same text
        attack = Attack(attack.id, attack.suite, prompt, attack.intent, attack.pii, attack.goals, attack.meta)
    outcome = _TARGET[0].run(attack)
    OUTCOMES.append(outcome)
    return [outcome.turn.answer]
