"""The one retry layer around every AWS call, and how AWS errors are classified."""

from config_api.retry.policy import RetryPolicy

__all__ = ["RetryPolicy"]
