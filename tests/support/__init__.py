"""Helpers shared by the test suites (stack start-up, chaos control, tokens)."""
