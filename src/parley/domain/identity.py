"""The public addresses of local objects, derived from the instance's base URL."""

from __future__ import annotations


def account_uri(base_url: str, username: str) -> str:
    return f"{base_url}/users/{username}"


def account_url(base_url: str, username: str) -> str:
    return f"{base_url}/@{username}"


def post_uri(base_url: str, username: str, post_id: int) -> str:
    return f"{base_url}/users/{username}/statuses/{post_id}"


def post_url(base_url: str, username: str, post_id: int) -> str:
    return f"{base_url}/@{username}/{post_id}"


def tag_url(base_url: str, name: str) -> str:
    return f"{base_url}/tags/{name}"
