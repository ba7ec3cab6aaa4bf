"""Validate Mastodon API bodies against the OpenAPI spec's component schemas.

The spec lives beside the checkout (../shared/conformance/mastodon-openapi.json). Known defects
of the spec (listed in its README) are allow-listed, each narrowly; Parley's own deliberate
differences are listed apart, with their reasons, so neither list can hide a real bug.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "conformance" / "mastodon-openapi.json"
SPEC_URI = "urn:mastodon-openapi"

Rule = Callable[[str, str | None, ValidationError], bool]


def _missing(error: ValidationError, field: str) -> bool:
    return error.validator == "required" and f"'{field}' is a required property" in error.message


# Defects of the spec itself, from the conformance README (real Mastodon disagrees with it).
SPEC_DEFECTS: dict[str, Rule] = {
    # DELETE /api/v1/statuses/:id returns the source `text`, not `content`.
    "delete-status-has-text-not-content": lambda schema, ctx, e: (
        schema == "Status" and ctx == "delete" and _missing(e, "content") and not e.path
    ),
}

# Where Parley differs on purpose: it does not advertise features it does not have.
PARLEY_DEVIATIONS: dict[str, Rule] = {
    # No Web Push: no VAPID key to hand out (Pleroma and others omit it too).
    "no-vapid-key-without-push": lambda schema, _ctx, e: (
        schema in ("Application", "CredentialApplication") and _missing(e, "vapid_key")
    ),
    # No contact address configured: "" exactly as Mastodon sends it, rather than an invented one.
    "unset-contact-email-is-empty": lambda schema, _ctx, e: (
        schema in ("Instance", "V1Instance")
        and e.validator == "format"
        and e.instance == ""
        and list(e.path) in (["contact", "email"], ["email"])
    ),
    # A remote account (or another server standing in as a reporter) has no e-mail address:
    # "" rather than an invented one, as for the contact address above.
    "remote-admin-account-has-no-email": lambda schema, _ctx, e: (
        schema in ("AdminAccount", "AdminReport")
        and e.validator == "format"
        and e.instance == ""
        and list(e.path)[-1:] == ["email"]
    ),
}


@functools.cache
def _registry() -> tuple[Registry, dict[str, Any]]:
    spec = json.loads(SPEC.read_text())
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource), spec


@functools.cache
def _validator(schema: str) -> Draft202012Validator:
    registry, spec = _registry()
    if schema not in spec["components"]["schemas"]:
        raise KeyError(f"no schema {schema} in the spec")
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"},
        registry=registry,
        format_checker=FormatChecker(),
    )


def problems(body: Any, schema: str, *, context: str | None = None) -> list[str]:
    """The errors of `body` against `schema` (`Name[]` for a list), after the allow-lists."""
    if schema.endswith("[]"):
        assert isinstance(body, list), f"expected a list of {schema[:-2]}, got {body!r}"
        found: list[str] = []
        for index, item in enumerate(body):
            found += [f"[{index}] {p}" for p in problems(item, schema[:-2], context=context)]
        return found
    allowed = [*SPEC_DEFECTS.values(), *PARLEY_DEVIATIONS.values()]
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in _validator(schema).iter_errors(body)
        if not any(rule(schema, context, error) for rule in allowed)
    ]


def assert_conforms(body: Any, schema: str, *, context: str | None = None) -> None:
    found = problems(body, schema, context=context)
    assert not found, f"{schema} does not match the spec:\n" + "\n".join(found)
