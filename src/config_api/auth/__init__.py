"""Who is calling: bearer-token verification and the set of deleted users whose tokens are
refused."""
