from __future__ import annotations

import pytest

from parley.domain.errors import Invalid
from parley.domain.oauth.scopes import covers, for_role, is_subset, parse_scopes


@pytest.mark.parametrize(
    ("granted", "required", "allowed"),
    [
        ("read", "read:statuses", True),
        ("read:statuses", "read:statuses", True),
        ("read:statuses", "read:accounts", False),
        ("write", "read:statuses", False),
        ("follow", "write:follows", True),
        ("follow", "read:blocks", True),
        ("follow", "write:statuses", False),
        ("write:follows", "write", False),
        ("profile", "read:accounts", False),
        ("read write follow push", "write:lists", True),
    ],
)
def test_scope_hierarchy(granted: str, required: str, allowed: bool) -> None:
    assert covers(granted, required) is allowed


def test_missing_scope_means_read_and_unknown_scopes_are_refused() -> None:
    assert parse_scopes(None) == ["read"]
    assert parse_scopes("read+write  read") == ["read", "write"]
    with pytest.raises(Invalid):
        parse_scopes("read admin:everything")


def test_requested_scopes_must_fit_the_app() -> None:
    assert is_subset(["read:statuses", "write:follows"], "read write")
    assert not is_subset(["push"], "read write follow")


def test_admin_scopes_nest_and_are_kept_only_for_staff() -> None:
    assert covers("admin:read", "admin:read:reports")
    assert not covers("admin:read", "admin:write:reports")
    assert not covers("read", "admin:read:reports")
    assert for_role(["read", "admin:read"], staff=False) == ["read"]
    assert for_role(["read", "admin:read"], staff=True) == ["read", "admin:read"]
