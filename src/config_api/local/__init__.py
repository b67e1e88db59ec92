"""Local-only: the bundled AWS emulator and the pieces `config-api local` runs. Never part of
the Lambda artifact.

Needs the `local` extra, which `pip install config-api` leaves out: without it, one error
that says so (tests/unit/test_extras.py keeps this list equal to the extra's).
"""

try:
    import moto  # noqa: F401
    import waitress  # noqa: F401
    import werkzeug  # noqa: F401
except ModuleNotFoundError as missing:
    package = (missing.name or "").partition(".")[0]
    raise ModuleNotFoundError(
        f"The bundled AWS emulator needs the 'local' extra ({package} is not installed): "
        "pip install 'config-api[local]'",
        name=package,
    ) from None
