"""Offline evaluations: `python -m bot.eval safety`."""
