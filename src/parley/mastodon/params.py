"""Request parameters as Mastodon (Rails) reads them: query string, form, multipart or JSON.

Form keys use Rails' bracket syntax (`poll[options][]`, `fields_attributes[0][name]`); they
are unfolded into the same nested shape a JSON body has, so handlers read both one way.
Wrong types are an Invalid (422), an unreadable body a 400.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request

from parley.db.ids import is_id_text
from parley.domain.errors import Invalid, NotFound
from parley.mastodon.errors import ApiError

_KEY_PART = re.compile(r"\[([^\]]*)\]")
FALSE_WORDS = frozenset({"0", "f", "false", "off", "no", "n"})
MAX_BODY = 1_000_000


def unfold(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Rails-style nesting: `a[b][]=1&a[b][]=2` -> {"a": {"b": ["1", "2"]}}."""
    root: dict[str, Any] = {}
    for raw_key, value in items:
        head, _, rest = raw_key.partition("[")
        parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            if part == "":  # `[]`: append to a list
                if not isinstance(node, list):
                    break
                if last:
                    node.append(value)
                else:
                    node.append({})
                    node = node[-1]
                continue
            if not isinstance(node, dict):
                break
            if last:
                node[part] = value
            else:
                default: Any = [] if following == "" else {}
                if not isinstance(node.get(part), list | dict):
                    node[part] = default
                node = node[part]
    return root


class Params:
    """Typed access to one request's parameters."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    async def read(cls, request: Request) -> Params:
        merged = unfold(request.query_params.multi_items())
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            merged.update(await _body(request))
        return cls(merged)

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise Invalid(name, f"{name} must be a string")

    def required_string(self, name: str, message: str) -> str:
        value = self.string(name)
        if value is None or not value.strip():
            raise Invalid(name, message)
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() not in FALSE_WORDS
        raise Invalid(name, f"{name} must be a boolean")

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise Invalid(name, f"{name} must be a number")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
            return int(value)
        raise Invalid(name, f"{name} must be a number")

    def array(self, name: str) -> list[Any]:
        """An array parameter (`name[]=` in forms, a JSON array); a lone value is a list of one."""
        value = self.data.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict):  # `name[0]=a&name[1]=b`
            return [value[k] for k in sorted(value, key=lambda k: (len(k), k))]
        return [value]

    def strings(self, name: str) -> list[str]:
        found = []
        for item in self.array(name):
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise Invalid(name, f"{name} must be a list of strings")
            found.append(str(item))
        return found

    def ids(self, name: str, *, limit: int) -> list[int]:
        """The first `limit` distinct IDs of an array (`id[]`), in order; values that cannot
        be an ID name nothing and are ignored (as Mastodon finds no record for them)."""
        found: dict[int, None] = {}
        for value in self.strings(name):
            try:
                found[parse_id(value, name)] = None
            except NotFound:
                continue
        return list(found)[:limit]

    def sub(self, name: str) -> Params | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise Invalid(name, f"{name} must be an object")
        return Params(value)


async def _body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(413, "Request entity too large")
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "Error occurred while parsing request parameters.") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "Error occurred while parsing request parameters.")
        return data
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return unfold((k, v) for k, v in form.multi_items() if isinstance(v, str))
    return {}


def parse_id(value: str | None, name: str = "id") -> int:
    """An ID from the path or a parameter; anything that is not one cannot exist: 404."""
    if value is None or not is_id_text(value) or len(value) > 19:
        raise NotFound("Record not found")
    number = int(value)
    if number >= 2**63:
        raise NotFound("Record not found")
    return number
