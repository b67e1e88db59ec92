"""Logs, metrics and the per-request context (correlation id, deadline, variant)."""
