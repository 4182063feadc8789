"""Offline evaluations: `python -m evals safety`."""
