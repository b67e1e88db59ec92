"""The emulator's ClientRequestToken window: 10 minutes after the transaction completed."""

from __future__ import annotations

from config_api.local.emulator.tokens import WINDOW_SECONDS, TokenRegistry

KEY = ("123456789012", "us-east-1", "token")


def test_a_token_counts_for_ten_minutes_then_is_new() -> None:
    registry = TokenRegistry()
    registry.remember(KEY, "params", now=1000.0)
    assert registry.seen(KEY, now=1000.0 + WINDOW_SECONDS - 1) == "params"
    assert registry.seen(KEY, now=1000.0 + WINDOW_SECONDS) is None


def test_expired_tokens_are_not_exported_and_exports_load_back() -> None:
    registry = TokenRegistry()
    registry.remember(("a", "r", "old"), "p1", now=0.0)
    registry.remember(KEY, "p2", now=500.0)
    rows = registry.export(now=WINDOW_SECONDS + 1)
    assert rows == [[*KEY, "p2", 500.0]]
    restored = TokenRegistry()
    restored.load(rows)
    assert restored.seen(KEY, now=WINDOW_SECONDS + 1) == "p2"
