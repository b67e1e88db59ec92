"""RS256 tokens, as an identity provider such as Cognito signs them (key id `k1`)."""

from __future__ import annotations

import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def rs256_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"sub": "alice", "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, "RS256", headers={"kid": "k1"})
