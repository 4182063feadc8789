"""The local classifiers: linear heads over MiniLM vectors; their weights ship in models/."""
