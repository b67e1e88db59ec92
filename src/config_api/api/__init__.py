"""The HTTP layer: the app factory, thin routes, the error map and middleware."""
