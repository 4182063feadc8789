from bot.embedding import local_embedder
from bot.eval.safety import latency_figures, sample_passages
from bot.safety.injection_classifier import InjectionClassifier
from bot.safety.local_moderator import LocalModerator


def test_latency_covers_both_chains_and_both_kinds_of_answer() -> None:
    embedder = local_embedder()
    figures = latency_figures(LocalModerator(embedder), InjectionClassifier(embedder), ["where is my parcel?"] * 3)
    n_passages = len(sample_passages())
    assert figures["input_chain"]["n"] == 3
    assert figures["output_chain"]["n"] == figures["output_chain_generated"]["n"] == n_passages > 40
    screens = figures["per_screen"]
    assert {"in:moderation-in", "out:moderation-out", "gen:moderation-out", "gen:groundedness"} <= set(screens)
