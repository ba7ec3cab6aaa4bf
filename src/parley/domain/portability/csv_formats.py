"""Mastodon's CSV formats for follows, blocks, mutes, lists and bookmarks (pure functions).

Exports are written exactly as Mastodon writes them (so Mastodon, and every server that
reads Mastodon's files, takes them); imports accept Mastodon's files with or without their
header row, as Mastodon does, but every row is checked before anything is imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from parley.domain.errors import Invalid


class Kind:
    FOLLOWING = "following"
    BLOCKING = "blocking"
    MUTING = "muting"
    LISTS = "lists"
    BOOKMARKS = "bookmarks"
    ALL = (FOLLOWING, BLOCKING, MUTING, LISTS, BOOKMARKS)


# Mastodon's Form::Import::EXPECTED_HEADERS_BY_TYPE.
EXPECTED_HEADERS = {
    Kind.FOLLOWING: ["Account address", "Show boosts", "Notify on new posts", "Languages"],
    Kind.BLOCKING: ["Account address"],
    Kind.MUTING: ["Account address", "Hide notifications"],
    Kind.LISTS: ["List name", "Account address"],
    Kind.BOOKMARKS: ["#uri"],
}
# What a file without a header row is read as (Mastodon's default_csv_headers).
DEFAULT_HEADERS = {
    Kind.FOLLOWING: ["Account address"],
    Kind.BLOCKING: ["Account address"],
    Kind.MUTING: ["Account address"],
    Kind.LISTS: ["List name", "Account address"],
    Kind.BOOKMARKS: ["#uri"],
}
KNOWN_FIRST_HEADERS = frozenset(headers[0] for headers in EXPECTED_HEADERS.values())
# Mastodon's export file names.
FILE_NAMES = {
    Kind.FOLLOWING: "following_accounts.csv",
    Kind.BLOCKING: "blocked_accounts.csv",
    Kind.MUTING: "muted_accounts.csv",
    Kind.LISTS: "lists.csv",
    Kind.BOOKMARKS: "bookmarks.csv",
}
# Mastodon's limits on an upload.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000

_ADDRESS = re.compile(r"^[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?$")
_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f", ""}


@dataclass(slots=True)
class Row:
    """One line of an import, already checked. `acct` has no leading @."""

    acct: str = ""
    uri: str = ""
    list_name: str = ""
    show_echoes: bool = True
    notify: bool = False
    hide_notifications: bool = True
    languages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "acct": self.acct,
            "uri": self.uri,
            "list_name": self.list_name,
            "show_echoes": self.show_echoes,
            "notify": self.notify,
            "hide_notifications": self.hide_notifications,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Row:
        return cls(
            acct=str(data.get("acct", "")),
            uri=str(data.get("uri", "")),
            list_name=str(data.get("list_name", "")),
            show_echoes=bool(data.get("show_echoes", True)),
            notify=bool(data.get("notify", False)),
            hide_notifications=bool(data.get("hide_notifications", True)),
        )


def _boolean(value: str | None, *, default: bool, line: int, header: str) -> bool:
    if value is None:
        return default
    cleaned = value.strip().lower()
    if cleaned == "":
        return default
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise Invalid("file", f"Line {line}: '{header}' must be true or false, not {value[:40]!r}")


def _address(value: str | None, *, line: int) -> str:
    acct = (value or "").strip().removeprefix("@")
    if not _ADDRESS.match(acct):
        shown = (value or "")[:80]
        raise Invalid("file", f"Line {line}: {shown!r} is not an account address (name@server)")
    return acct


def parse_import(kind: str, data: bytes) -> list[Row]:
    """The rows of an uploaded CSV of `kind`; Invalid("file") names the first problem."""
    if kind not in Kind.ALL:
        raise Invalid("type", "Choose what the file contains")
    if len(data) > MAX_BYTES:
        raise Invalid("file", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("file", "The file is not UTF-8 text (is it a CSV export?)") from exc
    if "\x00" in text:
        raise Invalid("file", "The file is not a CSV export")
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        lines = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise Invalid("file", f"The file is not valid CSV: {exc}") from exc
    if not lines:
        raise Invalid("file", "The file is empty")
    first = [cell.strip() for cell in lines[0]]
    if first[0] in KNOWN_FIRST_HEADERS:
        headers, body, offset = first, lines[1:], 2
    else:
        headers, body, offset = DEFAULT_HEADERS[kind], lines, 1
    if not all(h in headers for h in DEFAULT_HEADERS[kind]):
        raise Invalid("file", f"This file does not look like a {kind} export (its header is wrong)")
    if len(body) > MAX_ROWS:
        raise Invalid("file", f"The file has more than {MAX_ROWS} rows")
    wanted = EXPECTED_HEADERS[kind]
    rows = []
    for number, cells in enumerate(body, start=offset):
        # Columns beyond the header are ignored, as Mastodon does.
        values = dict(zip(headers, cells, strict=False))
        try:
            rows.append(_row(kind, {h: values.get(h) for h in wanted}, line=number))
        except Invalid as exc:
            if number == 1:  # no header we know, and the first line is no data either
                raise Invalid(
                    "file", f"This file does not look like a {kind} export ({exc.message})"
                ) from exc
            raise
    return rows


def _row(kind: str, values: dict[str, str | None], *, line: int) -> Row:
    if kind == Kind.BOOKMARKS:
        uri = (values["#uri"] or "").strip()
        if not uri.startswith(("https://", "http://")) or " " in uri or len(uri) > 2000:
            raise Invalid("file", f"Line {line}: {uri[:80]!r} is not the address of a post")
        return Row(uri=uri)
    row = Row(acct=_address(values["Account address"], line=line))
    if kind == Kind.FOLLOWING:
        row.show_echoes = _boolean(
            values["Show boosts"], default=True, line=line, header="Show boosts"
        )
        row.notify = _boolean(
            values["Notify on new posts"], default=False, line=line, header="Notify on new posts"
        )
    elif kind == Kind.MUTING:
        row.hide_notifications = _boolean(
            values["Hide notifications"], default=True, line=line, header="Hide notifications"
        )
    elif kind == Kind.LISTS:
        name = (values["List name"] or "").strip()
        if not name or len(name) > 100:
            raise Invalid("file", f"Line {line}: a list name must be 1 to 100 characters")
        row.list_name = name
    return row


def _flag(value: bool) -> str:
    return "true" if value else "false"


def render_rows(kind: str, rows: Iterable[tuple[object, ...]], *, header: bool) -> str:
    """CSV text for export rows, with Mastodon's header row when `header` and the kind has
    one (Mastodon writes headers for follows and mutes only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header and kind in (Kind.FOLLOWING, Kind.MUTING):
        writer.writerow(EXPECTED_HEADERS[kind])
    for row in rows:
        writer.writerow(_flag(v) if isinstance(v, bool) else ("" if v is None else v) for v in row)
    return out.getvalue()
