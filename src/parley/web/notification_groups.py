"""Notifications as the page shows them: runs of the same act on the same thing, grouped.

"alice, bob and 3 others upvoted your parley" reads better than five rows. Only neighbours
are grouped, so the page stays in time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.domain.accounts.models import Account
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts.views import PostView

GROUPABLE = (NotificationType.UPVOTE, NotificationType.ECHO, NotificationType.FOLLOW)


@dataclass(slots=True)
class NotificationGroup:
    type: str
    newest: Notification
    accounts: list[Account] = field(default_factory=list)
    post: PostView | None = None
    unread: bool = False

    @property
    def others(self) -> int:
        return max(0, len(self.accounts) - 2)


def group_notifications(
    notifications: list[Notification],
    accounts: dict[int, Account],
    posts: dict[int, PostView],
    *,
    last_read_id: int,
) -> list[NotificationGroup]:
    groups: list[NotificationGroup] = []
    for item in notifications:
        actor = accounts.get(item.from_account_id)
        if actor is None:
            continue
        post = posts.get(item.post_id) if item.post_id is not None else None
        if item.post_id is not None and post is None:
            continue  # the post is gone or no longer visible
        previous = groups[-1] if groups else None
        if (
            previous is not None
            and item.type in GROUPABLE
            and previous.type == item.type
            and previous.newest.post_id == item.post_id
        ):
            if actor not in previous.accounts:
                previous.accounts.append(actor)
            previous.unread = previous.unread or item.id > last_read_id
            continue
        groups.append(
            NotificationGroup(
                type=item.type,
                newest=item,
                accounts=[actor],
                post=post,
                unread=item.id > last_read_id,
            )
        )
    return groups
