"""Activities forwarded by a third server: trusted only after asking the origin.

Mastodon forwards a reply's Create, Update and Delete to the followers of the account it
replies to: the HTTP signature is the forwarder's, and only a linked-data signature
(RsaSignature2017) speaks for the author. Parley does not verify linked-data signatures
(URDNA2015 canonicalization over remote @context documents); like several implementations,
it re-fetches the object from its origin instead and uses what the origin serves:

- Create / Update: the object is fetched by its id (signed GET, id must equal the URL), must
  be attributed to the activity's actor, and replaces the forwarded copy.
- Delete: applied only when the origin answers 404 or 410 (or serves a Tombstone) for it.

The inbox accepts a forward only for these types and only when the object's id is on the
actor's host; anything else signed by someone other than its actor is refused with 401.
"""

from __future__ import annotations

from typing import Any

import httpx

from parley.activitypub.federation import Federation
from parley.activitypub.fetch import Gone, fetch_document
from parley.activitypub.notes import Rejected
from parley.activitypub.vocab import as_list, host_of, id_of, type_of

FORWARDABLE = frozenset({"Create", "Update", "Delete"})


def may_be_forwarded(activity: dict[str, Any]) -> bool:
    """Whether an activity signed by a third party is worth checking with its origin."""
    actor = id_of(activity.get("actor")) or ""
    obj = id_of(activity.get("object")) or ""
    return (
        type_of(activity) in FORWARDABLE
        and obj.startswith(("https://", "http://"))
        and host_of(obj) == host_of(actor)
    )


async def authenticate(
    fed: Federation, http: httpx.AsyncClient, activity: dict[str, Any]
) -> dict[str, Any]:
    """The activity as its origin vouches for it; Rejected when the origin does not."""
    actor = id_of(activity.get("actor")) or ""
    object_id = id_of(activity.get("object")) or ""
    if not may_be_forwarded(activity):
        raise Rejected("only Create, Update and Delete of the actor's own objects are forwarded")
    if type_of(activity) == "Delete":
        try:
            fetched = await fetch_document(fed, http, object_id)
        except Gone:
            return activity
        if type_of(fetched) == "Tombstone":
            return activity
        raise Rejected("forwarded Delete of an object its origin still serves")
    try:
        fetched = await fetch_document(fed, http, object_id)
    except Gone as exc:
        raise Rejected(f"forwarded object is gone at its origin: {exc}") from exc
    authors = as_list(fetched.get("attributedTo"))
    if not authors or id_of(authors[0]) != actor:
        raise Rejected("the origin attributes the forwarded object to someone else")
    return {**activity, "object": fetched}
