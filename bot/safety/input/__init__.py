"""Screens that guard what the user sends, before retrieval and any model."""
