"""The knowledge base at run time: the Chroma store, its in-memory snapshot, retrieval and status."""
