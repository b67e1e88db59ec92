"""Bearer-token verification (PyJWT). The user id is the verified token's `sub`, nothing else."""

from __future__ import annotations

import time
from typing import TypeGuard

import jwt

from config_api.domain.errors import DependencyUnavailable, Unauthenticated
from config_api.observability.log import logger
from config_api.settings import Settings

# Used by `config-api local` and `config-api token` when JWT_SECRET is not set. Never in AWS:
# the deployed stack configures a JWKS URL (or its own secret).
LOCAL_DEV_SECRET = "config-api-local-development-secret-not-for-production"
MAX_USER_ID_LENGTH = 128
# The key set is cached this long (PyJWT's JWK-set cache), so a request fetches it rarely.
# Not `cache_keys`: that LRU never expires, so a key the provider revoked would stay trusted.
JWKS_CACHE_SECONDS = 300
# While the provider is down every request tries it again; a few seconds lets a blip pass.
JWKS_RETRY_AFTER_SECONDS = 5


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._jwks = (
            jwt.PyJWKClient(
                settings.jwt_jwks_url,
                cache_jwk_set=True,
                lifespan=JWKS_CACHE_SECONDS,
                timeout=settings.jwt_jwks_timeout_seconds,
            )
            if settings.jwt_jwks_url
            else None
        )
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None

    @property
    def configured(self) -> bool:
        return self._jwks is not None or self._secret is not None

    @property
    def fetches_keys(self) -> bool:
        """Verifying may fetch the JWKS over the network (blocking), not only compute."""
        return self._jwks is not None

    def user_id(self, token: str) -> str:
        """The `sub` of a valid token; Unauthenticated for anything else (never says which key)."""
        try:
            if self._jwks is not None:
                key: object = _jwks_key(self._jwks, token)
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
        if not _usable_subject(sub):
            raise Unauthenticated("The token has no usable subject")
        return sub


def _usable_subject(sub: object) -> TypeGuard[str]:
    """A user id: 1-128 printable characters, none of them surrounding whitespace (" alice"
    and "alice" would be two users who look alike; "   " would be a user who looks like none)."""
    return (
        isinstance(sub, str)
        and 0 < len(sub) <= MAX_USER_ID_LENGTH
        and sub.isprintable()
        and sub == sub.strip()
    )


def _jwks_key(jwks: jwt.PyJWKClient, token: str) -> object:
    """The key that signed `token`. DependencyUnavailable when the key set cannot be had:
    an identity-provider outage must not tell every client that its token is bad."""
    kid = jwt.get_unverified_header(token).get("kid")  # DecodeError: the token's fault (401)
    if not isinstance(kid, str):
        raise jwt.InvalidTokenError("the token names no key")  # 401 as well
    try:
        jwks.get_signing_keys()  # the set, cached or fetched now: failing is the provider's fault
    except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError) as exc:
        raise _provider_unavailable(exc) from exc
    try:
        return jwks.get_signing_key(kid).key  # PyJWKClientError: no such kid (401)
    except jwt.PyJWKClientConnectionError as exc:  # the refresh an unknown kid triggers
        raise _provider_unavailable(exc) from exc


def _provider_unavailable(exc: Exception) -> DependencyUnavailable:
    logger.warning("JWKS fetch failed", extra={"error": str(exc)[:300]})
    return DependencyUnavailable(
        "The identity provider's signing keys could not be fetched; try again shortly",
        dependency="jwks",
        retry_after=JWKS_RETRY_AFTER_SECONDS,
    )


def issue_token(user_id: str, secret: str, ttl_seconds: int = 3600, **claims: object) -> str:
    """An HS256 token for local use (`config-api token`) and tests."""
    now = int(time.time())
    payload = {"sub": user_id, "iat": now, "nbf": now, "exp": now + ttl_seconds, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")
