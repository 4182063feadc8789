"""Screens that guard what the bot answers, before anything is shown."""
