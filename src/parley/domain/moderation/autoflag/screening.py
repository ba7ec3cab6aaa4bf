"""Scoring a post when it is written or edited, and doing what each fired rule says.

Called by the services that write posts (local: parley.domain.posts.service, remote:
parley.domain.federation.remote_posts) after the post's rows exist and before it is fanned
out, so a held post never reaches a feed, a notification or another server. Every fired rule
labels the post; then the strictest action wins: hold, else report, else the label alone.
Nothing is ever deleted here: deleting is a moderator's decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.moderation.autoflag import lexicon
from parley.domain.moderation.autoflag.classifier import profanity_score
from parley.domain.moderation.autoflag.holds import hold_post
from parley.domain.moderation.autoflag.labels import add_label, auto_label, has_label
from parley.domain.moderation.autoflag.models import FlagAction, RuleKey
from parley.domain.moderation.autoflag.rules import RuleConfig, load_rules
from parley.domain.moderation.autoflag.spam import spam_signals
from parley.domain.moderation.models import ReportCategory
from parley.domain.posts.models import Post


@dataclass(frozen=True, slots=True)
class Flag:
    rule: str
    score: float
    action: str
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        found = self.details.get("matched") or self.details.get("reasons") or []
        return f"{self.rule} (score {self.score:g})" + (
            f": {'; '.join(str(f) for f in found)}" if found else ""
        )


def post_text(post: Post) -> str:
    return f"{post.spoiler_text}\n{post.text}".strip()


async def score_post(
    session: AsyncSession, *, post: Post, author: Account, rules: dict[str, RuleConfig]
) -> list[Flag]:
    """The rules that fire on `post` (disabled rules are not even scored)."""
    text = post_text(post)
    fired: list[Flag] = []
    rule = rules[RuleKey.THREAT]
    if rule.enabled and text:
        matches = lexicon.match_entries(await lexicon.active_entries(session), text)
        score = lexicon.threat_score(matches)
        if matches and score >= rule.threshold:
            matched = [m.text for m in matches]
            fired.append(Flag(rule.key, score, rule.action, {"matched": matched}))
    rule = rules[RuleKey.PROFANITY]
    if rule.enabled and text:
        score = round(await profanity_score(text), 4)
        if score >= rule.threshold:
            fired.append(Flag(rule.key, score, rule.action))
    rule = rules[RuleKey.SPAM]
    if rule.enabled:
        signals = await spam_signals(session, post=post, author=author, params=rule.params)
        if signals.score >= rule.threshold:
            fired.append(Flag(rule.key, signals.score, rule.action, {"reasons": signals.reasons}))
    return fired


async def screen_post(
    session: AsyncSession, *, post: Post, author: Account, edited: bool = False
) -> bool:
    """Score a new or edited post and act on what fires; True if the post is (still) held,
    in which case the caller must not fan it out, notify or announce it."""
    if post.echo_of_id is not None:
        return post.held
    fired = await score_post(session, post=post, author=author, rules=await load_rules(session))
    new: list[Flag] = []
    for flag in fired:
        label = auto_label(flag.rule)
        # An edit that fires a rule the post already carries adds no label (nor report).
        if edited and await has_label(session, post.id, label):
            continue
        new.append(flag)
        await add_label(
            session, post_id=post.id, label=label, score=flag.score, note=flag.summary(),
            details={**flag.details, "action": flag.action, "edited": edited},
        )  # fmt: skip
    holding = [f.rule for f in fired if f.action == FlagAction.HOLD]
    if holding:
        await hold_post(session, post=post, rules=holding, was_published=edited and not post.held)
        return True
    reporting = [f for f in new if f.action == FlagAction.REPORT]
    if reporting:
        # Imported here: the moderation service deletes posts through the posts service,
        # which screens posts through this module.
        from parley.domain.moderation import service as moderation_service

        await moderation_service.file_report(
            session,
            reporter=None,
            target_account_id=author.id,
            post_ids=[post.id],
            category=(
                ReportCategory.SPAM
                if {f.rule for f in reporting} == {RuleKey.SPAM}
                else ReportCategory.OTHER
            ),
            comment=("Automated flag: " + " | ".join(f.summary() for f in reporting))[
                : moderation_service.MAX_COMMENT
            ],
        )
    return post.held
