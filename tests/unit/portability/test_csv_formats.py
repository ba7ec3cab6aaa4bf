"""Reading and writing Mastodon's CSV files (no database)."""

from __future__ import annotations

import pytest

from parley.domain.errors import Invalid
from parley.domain.portability.csv_formats import MAX_ROWS, Kind, parse_import, render_rows


def test_a_following_file_with_mastodons_header_keeps_its_settings() -> None:
    rows = parse_import(
        Kind.FOLLOWING,
        b"\xef\xbb\xbfAccount address,Show boosts,Notify on new posts,Languages\r\n"
        b'@Bob@Example.social,false,true,"en, fr"\r\n\r\nann@b.example,,,\r\n',
    )
    assert [(r.acct, r.show_echoes, r.notify) for r in rows] == [
        ("Bob@Example.social", False, True),
        ("ann@b.example", True, False),
    ]


def test_a_headerless_file_is_read_as_addresses() -> None:
    rows = parse_import(Kind.BLOCKING, b"bob@example.social\nann@b.example:8443\n")
    assert [r.acct for r in rows] == ["bob@example.social", "ann@b.example:8443"]


def test_lists_and_bookmarks_have_their_own_columns() -> None:
    [row] = parse_import(Kind.LISTS, b"Close friends,bob@example.social\n")
    assert (row.list_name, row.acct) == ("Close friends", "bob@example.social")
    [mark] = parse_import(Kind.BOOKMARKS, b"https://example.social/users/bob/statuses/1\n")
    assert mark.uri == "https://example.social/users/bob/statuses/1"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (Kind.MUTING, b"Account address,Hide notifications\nbob@example.social,perhaps\n"),
        (Kind.LISTS, b"List name,Account address\n,bob@example.social\n"),
        (Kind.FOLLOWING, b"bob\n"),
        (Kind.BOOKMARKS, b"javascript:alert(1)\n"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(kind: str, body: bytes) -> None:
    with pytest.raises(Invalid) as caught:
        parse_import(kind, body)
    assert caught.value.field == "file"


def test_too_many_rows_are_refused() -> None:
    with pytest.raises(Invalid, match="more than"):
        parse_import(Kind.BLOCKING, b"bob@example.social\n" * (MAX_ROWS + 1))


def test_exports_write_headers_only_where_mastodon_does() -> None:
    assert render_rows(Kind.FOLLOWING, [("a@b.c", True, False, "")], header=True) == (
        "Account address,Show boosts,Notify on new posts,Languages\na@b.c,true,false,\n"
    )
    assert render_rows(Kind.BLOCKING, [("a@b.c",)], header=True) == "a@b.c\n"
    assert render_rows(Kind.LISTS, [('Say "hi", all', "a@b.c")], header=True) == (
        '"Say ""hi"", all",a@b.c\n'
    )
