"""Every table of the domain, imported in one place for migrations and tests."""

from parley.domain.accounts import models as accounts
from parley.domain.conversations import models as conversations
from parley.domain.federation import models as federation
from parley.domain.filters import models as filters
from parley.domain.instance import models as instance
from parley.domain.interactions import models as interactions
from parley.domain.media import models as media
from parley.domain.moderation import models as moderation
from parley.domain.moderation.autoflag import models as autoflag
from parley.domain.notifications import models as notifications
from parley.domain.oauth import models as oauth
from parley.domain.portability import models as portability
from parley.domain.posts import models as posts
from parley.domain.relationships import models as relationships
from parley.domain.scheduled import models as scheduled
from parley.domain.tags import models as tags
from parley.domain.timelines import models as timelines
from parley.jobs import models as jobs

__all__ = [
    "accounts",
    "autoflag",
    "conversations",
    "federation",
    "filters",
    "instance",
    "interactions",
    "jobs",
    "media",
    "moderation",
    "notifications",
    "oauth",
    "portability",
    "posts",
    "relationships",
    "scheduled",
    "tags",
    "timelines",
]
