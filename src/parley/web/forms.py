"""Reading values out of a submitted form (already CSRF-checked by `checked_form`).

Parsing only: what a value means and whether it is allowed is decided by the domain.
"""

from __future__ import annotations

from starlette.datastructures import FormData

from parley.domain.errors import Invalid


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


def flag(form: FormData, name: str) -> bool:
    """A checkbox: present (any value but "0"/"false") means on."""
    value = form.get(name)
    return isinstance(value, str) and value not in ("", "0", "false", "off")


def texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def integer(form: FormData, name: str, *, field: str | None = None) -> int | None:
    """An optional whole number; anything else is an Invalid naming the field."""
    value = text(form, name).strip()
    if not value:
        return None
    if not value.lstrip("-").isdigit() or len(value) > 20:
        raise Invalid(field or name, "Must be a whole number")
    return int(value)


def profile_fields(form: FormData, count: int) -> list[tuple[str, str]]:
    """The profile's label/value pairs, in order (`field_name_0`, `field_value_0`, ...)."""
    return [(text(form, f"field_name_{i}"), text(form, f"field_value_{i}")) for i in range(count)]
