"""config-api: watchlist configuration service."""
