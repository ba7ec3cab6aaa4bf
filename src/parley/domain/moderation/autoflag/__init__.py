"""Automated flags: every local and remote post is scored when written or edited by the
shipped profanity classifier, the admin-edited threat lexicon and the spam heuristics; each
rule holds the post for review, reports it, or only labels it (see docs/moderation.md).

Modules: models (tables), rules (the rules and the admin's commands), lexicon, classifier,
spam (the scorers), screening (scoring a post and acting), labels, holds (the held queue),
decisions (approve or reject a held post).
"""
