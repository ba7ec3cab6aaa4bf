"""OAuth 2 grant errors (RFC 6749 section 5.2): the error code is part of the protocol."""

from __future__ import annotations

from parley.domain.errors import DomainError


class OAuthError(DomainError):
    """A refused grant or authorization; `code` is the RFC 6749 error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def invalid_client() -> OAuthError:
    return OAuthError(
        "invalid_client",
        "Client authentication failed due to unknown client, no client authentication "
        "included, or unsupported authentication method.",
    )


def invalid_grant() -> OAuthError:
    return OAuthError(
        "invalid_grant",
        "The provided authorization grant is invalid, expired, revoked, does not match the "
        "redirection URI used in the authorization request, or was issued to another client.",
    )


def invalid_scope() -> OAuthError:
    return OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
