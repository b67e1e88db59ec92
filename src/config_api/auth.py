"""Bearer-token verification (PyJWT). The user id is the verified token's `sub`, nothing else."""

from __future__ import annotations

import time

import jwt

from config_api.errors import Unauthenticated
from config_api.settings import Settings

# Used by `config-api local` and `config-api token` when JWT_SECRET is not set. Never in AWS:
# the deployed stack configures a JWKS URL (or its own secret).
LOCAL_DEV_SECRET = "config-api-local-development-secret-not-for-production"
MAX_USER_ID_LENGTH = 128


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None

    @property
    def configured(self) -> bool:
        return self._jwks is not None or self._secret is not None

    def user_id(self, token: str) -> str:
        """The `sub` of a valid token; Unauthenticated for anything else (never says which key)."""
        try:
            if self._jwks is not None:
                key: object = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            elif self._secret is not None:
                key, algorithms = self._secret, ["HS256"]
            else:
                raise Unauthenticated("Authentication is not configured on this server")
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                    "verify_iss": self._issuer is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The token has expired") from None
        except (jwt.PyJWTError, ValueError):
            raise Unauthenticated("The token is invalid") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > MAX_USER_ID_LENGTH:
            raise Unauthenticated("The token has no usable subject")
        if not sub.isprintable():
            raise Unauthenticated("The token has no usable subject")
        return sub


def issue_token(user_id: str, secret: str, ttl_seconds: int = 3600, **claims: object) -> str:
    """An HS256 token for local use (`config-api token`) and tests."""
    now = int(time.time())
    payload = {"sub": user_id, "iat": now, "nbf": now, "exp": now + ttl_seconds, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")
