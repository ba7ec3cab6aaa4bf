"""The instance documents (v1 and v2), rules, custom emojis.

Only what Parley has is advertised: no VAPID key, video types only with ffmpeg, no translation; apps
switch those features off instead of failing on them. The streaming URL is the instance's
own origin (ws:// or wss://): the same processes serve /api/v1/streaming.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley import __version__ as parley_version
from parley.config import Settings
from parley.domain.accounts import service as account_rules
from parley.domain.accounts.queries import count_local_accounts
from parley.domain.errors import NotFound
from parley.domain.instance.service import InstanceInfo, RegistrationMode, get_instance_info
from parley.domain.instance.service import list_rules as domain_rules
from parley.domain.interactions.service import MAX_PINS
from parley.domain.media.models import MAX_DESCRIPTION
from parley.domain.media.processing import IMAGE_TYPES, MAX_PIXELS, VIDEO_TYPES, have_ffmpeg
from parley.domain.media.service import MAX_ATTACHMENTS
from parley.domain.moderation.blocks import list_domain_blocks
from parley.domain.moderation.models import DomainBlock
from parley.mastodon import entities
from parley.mastodon.auth import runtime_of
from parley.mastodon.responses import json_response

# The Mastodon release whose client API Parley follows; apps gate features on it.
COMPATIBLE_VERSION = "4.3.0"
API_VERSION = 2  # what Mastodon 4.3 reports in api_versions
# Where the running code is published (AGPL); the instance links to its own about page.
SOURCE_PATH = "/about"


# What apps show instead of a sign-up form (Mastodon's closed-registrations message, HTML).
REGISTRATION_MESSAGES = {
    RegistrationMode.INVITE: "<p>Sign-ups are by invitation only: ask a member for a link.</p>",
    RegistrationMode.CLOSED: "<p>Sign-ups are closed on this server for now.</p>",
}


def _version() -> str:
    return f"{COMPATIBLE_VERSION} (compatible; Parley {parley_version})"


def _polls(info: InstanceInfo) -> dict[str, int]:
    return {
        "max_options": info.max_poll_options,
        "max_characters_per_option": info.max_poll_option_chars,
        "min_expiration": info.min_poll_expiry_seconds,
        "max_expiration": info.max_poll_expiry_seconds,
    }


def _media(settings: Settings) -> dict[str, Any]:
    return {
        "supported_mime_types": [*IMAGE_TYPES, *(VIDEO_TYPES if have_ffmpeg() else ())],
        "image_size_limit": settings.media_max_image_bytes,
        "image_matrix_limit": MAX_PIXELS,
        "video_size_limit": settings.media_max_video_bytes if have_ffmpeg() else 0,
        "video_frame_rate_limit": 120,
        "video_matrix_limit": 1920 * 1920,
    }


def streaming_url(base_url: str) -> str:
    return "ws" + base_url.removeprefix("http")


async def _load(request: Request) -> tuple[InstanceInfo, list[entities.Entity], int]:
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        info = await get_instance_info(
            session, max_post_chars_default=runtime.settings.max_post_chars_default
        )
        rules = [entities.rule(r) for r in await domain_rules(session)]
        users = await count_local_accounts(session)
    return info, rules, users


def _statuses(info: InstanceInfo) -> dict[str, int]:
    return {
        "max_characters": info.max_post_chars,
        "max_media_attachments": MAX_ATTACHMENTS,
        "characters_reserved_per_url": 23,
    }


async def instance_v2(request: Request) -> Response:
    info, rules, users = await _load(request)
    settings = runtime_of(request).settings
    base = settings.base_url
    document: dict[str, Any] = {
        "domain": settings.domain,
        "title": info.name,
        "version": _version(),
        "source_url": f"{base}{SOURCE_PATH}",
        "description": info.description,
        "usage": {"users": {"active_month": users}},
        "thumbnail": {"url": f"{base}{entities.MISSING_HEADER}"},
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": streaming_url(base), "about": f"{base}/about"},
            "accounts": {
                "max_featured_tags": 0,
                "max_pinned_statuses": MAX_PINS,
                "max_display_name_length": account_rules.MAX_DISPLAY_NAME,
                "max_note_length": account_rules.MAX_NOTE,
                "max_profile_fields": info.max_profile_fields,
                "profile_field_name_limit": account_rules.MAX_FIELD_NAME,
                "profile_field_value_limit": account_rules.MAX_FIELD_VALUE,
            },
            "statuses": _statuses(info),
            "media_attachments": {**_media(settings), "description_limit": MAX_DESCRIPTION},
            "polls": _polls(info),
            "translation": {"enabled": False},
        },
        "registrations": {
            "enabled": info.registration_mode in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
            "approval_required": info.registration_mode == RegistrationMode.APPROVAL,
            "message": REGISTRATION_MESSAGES.get(info.registration_mode),
            "url": None,
        },
        "api_versions": {"mastodon": API_VERSION},
        "contact": {"email": info.contact_email, "account": None},
        "rules": rules,
    }
    return json_response(document)


async def instance_v1(request: Request) -> Response:
    info, rules, users = await _load(request)
    settings = runtime_of(request).settings
    document: dict[str, Any] = {
        "uri": settings.domain,
        "title": info.name,
        "short_description": info.description,
        "description": info.description,
        "email": info.contact_email,
        "version": _version(),
        "urls": {"streaming_api": streaming_url(settings.base_url)},
        # Posts and peer domains are not counted yet; users are.
        "stats": {"user_count": users, "status_count": 0, "domain_count": 0},
        "thumbnail": None,
        "languages": ["en"],
        "registrations": info.registration_mode
        in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
        "approval_required": info.registration_mode == RegistrationMode.APPROVAL,
        # Members may create invitation links unless sign-ups are closed.
        "invites_enabled": info.registration_mode != RegistrationMode.CLOSED,
        "configuration": {
            "accounts": {"max_featured_tags": 0},
            "statuses": _statuses(info),
            "media_attachments": _media(settings),
            "polls": _polls(info),
        },
        "contact_account": None,
        "rules": rules,
    }
    return json_response(document)


async def instance_rules(request: Request) -> Response:
    _info, rules, _users = await _load(request)
    return json_response(rules)


async def custom_emojis(_request: Request) -> Response:
    # Honest and complete: Parley has no custom emojis.
    return json_response([])


# Mastodon's names for the severities it lists (Parley's "limit" is its "silence").
PUBLIC_SEVERITY = {"limit": "silence", "suspend": "suspend"}


def _shown_domain(block: DomainBlock) -> str:
    """The domain as the public moderation page shows it (obfuscated when asked)."""
    domain = block.domain
    if not block.obfuscate or len(domain) <= 4:
        return domain
    return domain[:2] + "*" * (len(domain) - 4) + domain[-2:]


async def instance_domain_blocks(request: Request) -> Response:
    """The blocked domains, when the admin makes them public (the web's moderation page shows
    the same list); otherwise 404, as Mastodon answers with the list hidden."""
    async with runtime_of(request).db.reader() as session:
        info = await get_instance_info(session)
        if not info.show_domain_blocks:
            raise NotFound("Record not found")
        blocked = await list_domain_blocks(session)
    return json_response(
        [
            {
                "domain": _shown_domain(b),
                "digest": hashlib.sha256(b.domain.encode()).hexdigest(),
                "severity": PUBLIC_SEVERITY[b.severity],
                "comment": b.public_comment or None,
            }
            for b in blocked
            # As Mastodon's list: a block that limits nothing is not shown.
            if b.severity in PUBLIC_SEVERITY
        ]
    )


async def translation_languages(_request: Request) -> Response:
    # Mastodon's answer with no translation service configured (not advertised either).
    return json_response({})


routes = [
    Route("/api/v1/instance", instance_v1, methods=["GET"]),
    Route("/api/v1/instance/translation_languages", translation_languages, methods=["GET"]),
    Route("/api/v1/instance/domain_blocks", instance_domain_blocks, methods=["GET"]),
    Route("/api/v2/instance", instance_v2, methods=["GET"]),
    Route("/api/v1/instance/rules", instance_rules, methods=["GET"]),
    Route("/api/v1/custom_emojis", custom_emojis, methods=["GET"]),
]
