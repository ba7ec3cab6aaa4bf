"""Automated flags: the rules and their actions, the threat lexicon, the labels on posts and
the posts held for review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class RuleKey:
    PROFANITY = "profanity"  # the alt-profanity-check classifier
    THREAT = "threat"  # the threat lexicon
    SPAM = "spam"  # the spam heuristics
    ALL = (PROFANITY, THREAT, SPAM)


class FlagAction:
    HOLD = "hold"  # stored, seen by its author only until a moderator approves it
    REPORT = "report"  # published, and a report by the system goes to the queue
    LABEL = "label"  # published, and labelled for moderators
    OFF = "off"  # not scored
    ALL = (HOLD, REPORT, LABEL, OFF)


class LabelSource:
    SYSTEM = "system"
    MODERATOR = "moderator"


class AutoflagRule(Base):
    """An admin's choice for one rule; a rule without a row uses the defaults in
    parley.domain.moderation.autoflag.rules."""

    __tablename__ = "autoflag_rules"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[float] = mapped_column(Float)
    # Rule-specific settings (the spam heuristics' limits).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LexiconEntry(IdMixin, Base):
    """One phrase or regular expression of the threat lexicon, with its weight."""

    __tablename__ = "threat_lexicon"

    pattern: Mapped[str] = mapped_column(String(300))
    is_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LexiconState(Base):
    """One row once an admin has edited the lexicon: from then on the table is the whole
    lexicon (even when emptied), and the shipped defaults no longer apply."""

    __tablename__ = "threat_lexicon_state"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customized_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostLabel(IdMixin, Base):
    """A label on a post: an automated flag (`auto:<rule>`) or a moderator's decision
    (`mod:<action>`, `approved`, `rejected`). No foreign key: a label outlives its post, so
    the record of what was decided stays."""

    __tablename__ = "post_labels"
    __table_args__ = (Index("ix_post_labels_post_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default=LabelSource.SYSTEM)
    account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the moderator
    score: Mapped[float | None] = mapped_column(Float, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostHold(Base):
    """A post waiting for a moderator (Post.held is set while this row exists)."""

    __tablename__ = "post_holds"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    # The rules that held it, e.g. ["threat"].
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Held by an edit of a post others had already seen: approval sends the edit, not a new post.
    was_published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
