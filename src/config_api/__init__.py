"""config-api: watchlist configuration service."""

# The one declaration of the version: the package metadata (pyproject.toml) and the API's
# OpenAPI document both take it from here.
__version__ = "0.1.0"
