"""Which limits a request counts against."""

from __future__ import annotations

from parley.config import Settings
from parley.edge.caller import Caller
from parley.edge.doors import Door, counts_for, door_of
from parley.infra.ratelimit import Limit, Limits


def caller(method: str, path: str, *headers: tuple[bytes, bytes], query: bytes = b"") -> Caller:
    scope = {"type": "http", "method": method, "path": path, "headers": list(headers),
             "query_string": query, "client": ("198.51.100.1", 1)}  # fmt: skip
    return Caller(scope, None)


LIMITS = Limits.from_settings(Settings())


def names(c: Caller, member: str | None = None) -> set[str]:
    return {count.limit.name for count in counts_for(c, door_of(c), member, LIMITS)}


def test_doors() -> None:
    assert door_of(caller("GET", "/api/v1/instance")) is Door.API
    assert door_of(caller("POST", "/oauth/token")) is Door.API
    assert door_of(caller("POST", "/users/alice/inbox")) is Door.FEDERATION
    assert door_of(caller("GET", "/users/alice", (b"signature", b"x"))) is Door.FEDERATION
    assert door_of(caller("GET", "/@alice", (b"accept", b"application/activity+json"))) is (
        Door.FEDERATION
    )
    assert door_of(caller("GET", "/@alice")) is Door.WEB


def test_counts_follow_the_table() -> None:
    assert names(caller("GET", "/api/v1/instance")) == {"per_ip", "api_anonymous"}
    token = (b"authorization", b"Bearer t")
    assert names(caller("GET", "/api/v1/accounts/verify_credentials", token), "account:1") == {
        "per_ip", "per_account", "per_token"}  # fmt: skip
    assert "media_uploads" in names(caller("POST", "/api/v2/media", token), "account:1")
    assert "sign_ups" in names(caller("POST", "/api/v1/accounts"))
    assert "sign_ups" in names(caller("POST", "/auth/sign_up"))
    for path in ("/auth/sign_in", "/auth/two_factor", "/oauth/token", "/auth/reset/abc"):
        assert "sign_in_ip" in names(caller("POST", path)), path
    assert "sign_in_ip" not in names(caller("GET", "/auth/sign_in"))
    assert "federation_ip" in names(caller("POST", "/inbox"))
    assert "anonymous_paging" in names(caller("GET", "/local", query=b"max_id=5"))
    assert "anonymous_paging" not in names(caller("GET", "/local", query=b"max_id=5"), "account:1")
    upload = (b"content-type", b"multipart/form-data; boundary=x")
    assert "media_uploads" in names(caller("POST", "/posts", upload), "account:1")


def test_limit_notation() -> None:
    assert Limit.parse("x", "300/5 minutes") == Limit("x", 300, 300)
    assert Limit.parse("x", "25 per hour") == Limit("x", 25, 3600)
