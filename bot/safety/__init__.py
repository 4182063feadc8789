"""Safety screens: small classes with one `check(text, context) -> Verdict` method."""
