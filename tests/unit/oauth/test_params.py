from __future__ import annotations

from parley.mastodon.params import Params, unfold


def test_rails_brackets_unfold_into_nested_values() -> None:
    data = unfold(
        [
            ("status", "hi"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[expires_in]", "300"),
            ("fields_attributes[0][name]", "web"),
            ("fields_attributes[0][value]", "x"),
            ("fields_attributes[1][name]", "pgp"),
            ("media_ids[]", "1"),
        ]
    )
    assert data == {
        "status": "hi",
        "poll": {"options": ["a", "b"], "expires_in": "300"},
        "fields_attributes": {"0": {"name": "web", "value": "x"}, "1": {"name": "pgp"}},
        "media_ids": ["1"],
    }
    params = Params(data)
    assert [f["name"] for f in params.array("fields_attributes")] == ["web", "pgp"]


def test_booleans_read_as_rails_reads_them() -> None:
    params = Params({"a": "false", "b": "0", "c": "true", "d": True, "e": "", "f": "1"})
    assert [params.boolean(k) for k in "abcdef"] == [False, False, True, True, None, True]
