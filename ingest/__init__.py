"""`python -m ingest`: validate, clean, chunk, embed and load KB articles."""
