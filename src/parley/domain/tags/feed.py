"""Who gets a post in their home because they follow one of its hashtags."""

from __future__ import annotations

from sqlalchemy import Select, select

from parley.domain.posts.models import Post, PostTag, Visibility
from parley.domain.tags.models import TagFollow


def tag_followers(post: Post) -> Select[int] | None:
    """Followers of the post's tags, as one more audience for fan_out_post's INSERT ... SELECT.

    Only original public posts, as Mastodon: unlisted posts stay out of strangers' feeds, and
    echoes are not re-delivered for their tags. Tag follows are local only, so no account
    join is needed. Blocks and mutes are applied when the home is read.
    """
    if post.visibility != Visibility.PUBLIC or post.echo_of_id is not None:
        return None
    return (
        select(TagFollow.account_id.label("account_id"))
        .join(PostTag, PostTag.tag_id == TagFollow.tag_id)
        .where(PostTag.post_id == post.id)
    )
