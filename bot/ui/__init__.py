"""The Streamlit UI layer: the only part of `bot` that imports streamlit (DESIGN.md)."""
