"""Bad settings as an operator reads them: one line per variable, named as it is set (the
fields are the variables), never the value given (it may be a secret)."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_settings import SettingsError


def settings_problem(exc: ValidationError | SettingsError) -> str | None:
    """The message for a Settings failure; None for any other validation error."""
    if isinstance(exc, SettingsError):
        # Raised before validation, for a value the source cannot parse (a list variable
        # that is not JSON); its text names the field and the source, not the value.
        return f"config-api: invalid settings (1):\n  {exc}"
    if exc.title != "Settings":
        return None
    lines = [f"config-api: invalid settings ({exc.error_count()}):"]
    for error in exc.errors(include_url=False, include_input=False):
        name = str(error["loc"][0]).upper() if error["loc"] else "(settings)"
        lines.append(f"  {name}: {error['msg']}")
    return "\n".join(lines)
