"""Commands on accounts: sign-up, sign-in, passwords, profile, roles, deletion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain import identity
from parley.domain.accounts import invites, throttle
from parley.domain.accounts.models import Account, PasswordReset, Role, User, WebSession
from parley.domain.accounts.names import check_email, check_username, normalize_username
from parley.domain.accounts.queries import find_user_by_login
from parley.domain.context import DomainContext
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from parley.domain.events import Event, record
from parley.domain.instance.service import RegistrationMode, get_instance_info, list_rules
from parley.domain.media.service import Limits, store_profile_image
from parley.domain.moderation.blocks import check_email_domain
from parley.domain.moderation.ip_blocks import check_ip_sign_up
from parley.domain.moderation.permissions import STAFF
from parley.domain.oauth.models import OAuthAccessToken
from parley.domain.posts.content import check_language
from parley.domain.posts.models import Visibility
from parley.domain.posts.text import render_member_text
from parley.infra.keys import generate_keypair
from parley.infra.storage import key_of_url, open_store
from parley.infra.tokens import digest, new_token
from parley.jobs.queue import enqueue

MAX_FIELDS = 4
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 255
MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
RESET_TTL = timedelta(hours=2)
BAD_CREDENTIALS = "Invalid e-mail address, username or password"
PENDING_APPROVAL = "Your account is waiting for a moderator's approval"
MAX_SIGN_UP_REASON = 1000


async def register(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    username: str,
    email: str,
    password: str,
    rules_accepted: bool,
    role: str = Role.MEMBER,
    by_admin: bool = False,
    reason: str = "",
    invite_code: str | None = None,
    ip: str | None = None,
) -> User:
    """Create a local account and its user, under the registration mode (admins, `by_admin`,
    bypass it): closed refuses everyone; invite-only needs a usable `invite_code`; approval
    needs a `reason` and leaves the user pending (a valid invite skips approval). The IP
    blocks covering `ip` may refuse the sign-up or make it wait for approval."""
    username = check_username(normalize_username(username), allow_reserved=by_admin)
    email = check_email(email)
    if role not in Role.ALL:
        raise Invalid("role", f"Role must be one of {', '.join(Role.ALL)}")
    invite = None
    pending = False
    reason = reason.strip()
    if not by_admin:
        info = await get_instance_info(session)
        if info.registration_mode == RegistrationMode.CLOSED:
            raise Forbidden("Registrations are closed on this server")
        if invite_code:
            invite = await invites.get_usable_invite(session, invite_code)
        elif info.registration_mode == RegistrationMode.INVITE:
            raise Forbidden("This server only accepts sign-ups with an invitation")
        pending = await check_ip_sign_up(session, ip)
        if info.registration_mode == RegistrationMode.APPROVAL and invite is None:
            pending = True
            if not reason:
                raise Invalid("reason", "Tell the moderators why you want to join")
        if len(reason) > MAX_SIGN_UP_REASON:
            raise Invalid("reason", f"The reason is at most {MAX_SIGN_UP_REASON} characters")
        if not rules_accepted and await list_rules(session):
            raise Invalid("agreement", "You must accept the server rules to sign up")
        await check_email_domain(session, email)
    elif not rules_accepted:
        rules_accepted = True
    taken = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.username_lower == username.lower(), Account.domain.is_(None))
    )
    if taken:
        raise Conflict("That username is already taken")
    if await session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise Conflict("That e-mail address is already registered")
    password_hash = await ctx.passwords.hash(password)
    keys = await generate_keypair()
    uri = identity.account_uri(ctx.base_url, username)
    account = Account(
        username=username,
        username_lower=username.lower(),
        uri=uri,
        url=identity.account_url(ctx.base_url, username),
        inbox_url=f"{uri}/inbox",
        outbox_url=f"{uri}/outbox",
        followers_url=f"{uri}/followers",
        shared_inbox_url=f"{ctx.base_url}/inbox",
        public_key_pem=keys.public_pem,
        public_key_id=f"{uri}#main-key",
        private_key_pem=keys.private_pem,
        fields=[],
        also_known_as=[],
    )
    session.add(account)
    await session.flush()
    user = User(
        account_id=account.id,
        email=email,
        password_hash=password_hash,
        role=role,
        rules_accepted_at=utcnow() if rules_accepted else None,
        recovery_codes=[],
        approved=not pending,
        sign_up_reason=reason,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        raise Conflict("That username or e-mail address is already taken") from exc
    if invite is not None:
        await invites.use_invite(session, invite=invite, user=user)
    if pending:
        await mail_user(
            session, user, "Your application was received",
            f"Thank you for signing up as @{username}. A moderator will review your "
            "application; you will get an e-mail when it is decided.\n",
        )  # fmt: skip
        await _tell_staff_of_sign_up(session, ctx, username, reason)
    return user


async def _tell_staff_of_sign_up(
    session: AsyncSession, ctx: DomainContext, username: str, reason: str
) -> None:
    """Moderators learn of a sign-up waiting for them by e-mail (as Mastodon's admins do)."""
    staff = await session.scalars(
        select(User).where(User.role.in_(STAFF), User.disabled.is_(False))
    )
    for member in staff:
        await mail_user(
            session, member, f"Sign-up waiting for approval: @{username}",
            f"@{username} signed up and waits for approval.\n\nTheir reason: "
            f"{reason or '(none given)'}\n\nDecide at {ctx.base_url}/moderation/pending\n",
        )  # fmt: skip


async def mail_user(session: AsyncSession, user: User, subject: str, body: str) -> None:
    """E-mail a member through the durable send_mail job (sent after the commit)."""
    await enqueue(session, "send_mail", {"to": user.email, "subject": subject, "body": body})


async def authenticate(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    login: str,
    password: str,
    allow_suspended: bool = False,
) -> User:
    """The user for these credentials; the same error for an unknown login and a wrong password.

    `allow_suspended`: the web UI lets a suspended member in, to read the decision and appeal
    it (and nothing else); every other door refuses them."""
    user = await find_user_by_login(session, login)
    key = throttle.sign_in_key(login, None if user is None else user.id)
    await throttle.check_sign_in(ctx, key)
    if user is None:
        # Hash anyway so response time does not reveal which logins exist.
        await ctx.passwords.verify_nothing(password)
        await throttle.note_failed_sign_in(ctx, key)
        raise Unauthenticated(BAD_CREDENTIALS)
    if not await ctx.passwords.verify(user.password_hash, password):
        user.failed_sign_ins += 1
        await throttle.note_failed_sign_in(ctx, key)
        raise Unauthenticated(BAD_CREDENTIALS)
    if user.disabled:
        raise Forbidden("This account is disabled")
    if not user.approved:
        raise Forbidden(PENDING_APPROVAL)
    account = await session.get(Account, user.account_id)
    if account is None or (account.suspended_at is not None and not allow_suspended):
        raise Forbidden("This account is suspended")
    if ctx.passwords.needs_rehash(user.password_hash):
        user.password_hash = await ctx.passwords.hash(password)
    user.failed_sign_ins = 0
    return user


async def start_web_session(
    session: AsyncSession, ctx: DomainContext, *, user: User, user_agent: str = ""
) -> str:
    """Record a signed-in browser; returns the token for its cookie (only the digest is stored)."""
    token = new_token()
    now = utcnow()
    session.add(
        WebSession(
            user_id=user.id,
            token_hash=digest(token),
            user_agent=user_agent[:300],
            expires_at=now + timedelta(days=ctx.settings.session_max_age_days),
        )
    )
    user.last_sign_in_at = now
    await session.flush()
    return token


def web_session_lookup(*also: ColumnElement[Any]) -> Select[Any]:
    """select(WebSession, User, Account, *also) for the session whose token's digest is bound
    as "token_hash". A caller that reads more per request (`also`, e.g. scalar subqueries on
    Account.id) builds it once and passes it to find_web_session_row: one statement."""
    return (
        select(WebSession, User, Account, *also)
        .join(User, User.id == WebSession.user_id)
        .join(Account, Account.id == User.account_id)
        .where(WebSession.token_hash == bindparam("token_hash"))
    )


_PLAIN_LOOKUP = web_session_lookup()


async def find_web_session_row(
    session: AsyncSession,
    token: str,
    lookup: Select[Any] = _PLAIN_LOOKUP,
    parameters: Mapping[str, Any] | None = None,
) -> Sequence[Any] | None:
    """The row of `lookup` (see web_session_lookup; `parameters` for its own bound values)
    for a signed-in browser's token, or None when the session is unknown or expired or its
    member disabled or not yet approved."""
    values = {**(parameters or {}), "token_hash": digest(token)}
    found: Sequence[Any] | None = (await session.execute(lookup, values)).first()
    if found is None:
        return None
    web_session, user = found[0], found[1]
    # A suspended member's session is returned: the web UI restricts it to the appeal page.
    if web_session.expires_at < utcnow() or user.disabled or not user.approved:
        return None
    return found


async def find_web_session(session: AsyncSession, token: str) -> tuple[User, Account] | None:
    found = await find_web_session_row(session, token)
    return None if found is None else (found[1], found[2])


async def end_web_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))


async def end_all_sign_ins(session: AsyncSession, *, user: User) -> None:
    """Sign the member out everywhere: every browser session and every app's token."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    await session.execute(
        update(OAuthAccessToken)
        .where(
            OAuthAccessToken.account_id == user.account_id,
            OAuthAccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    # Pages kept for its sessions must go with them (this may run outside any request of
    # the member's: `parley admin reset-password`).
    await record(session, Event.SIGNED_OUT, account_id=user.account_id)


async def change_password(
    session: AsyncSession, ctx: DomainContext, *, user: User, current: str, new: str
) -> None:
    if not await ctx.passwords.verify(user.password_hash, current):
        raise Invalid("current_password", "Current password is not correct")
    user.password_hash = await ctx.passwords.hash(new)
    await end_all_sign_ins(session, user=user)


async def request_password_reset(session: AsyncSession, ctx: DomainContext, *, email: str) -> None:
    """E-mail a reset link if the address is registered; says nothing either way."""
    user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or user.disabled:
        return
    token = new_token()
    session.add(
        PasswordReset(user_id=user.id, token_hash=digest(token), expires_at=utcnow() + RESET_TTL)
    )
    link = f"{ctx.base_url}/auth/reset/{token}"
    await mail_user(
        session, user, "Reset your Parley password",
        "Someone asked to reset the password of your account.\n\n"
        f"To choose a new password, open this link within two hours:\n{link}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n",
    )  # fmt: skip


async def reset_password(
    session: AsyncSession, ctx: DomainContext, *, token: str, new_password: str
) -> User:
    reset = await session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == digest(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise Invalid("token", "This reset link is invalid or has expired; ask for a new one")
    user = await session.get(User, reset.user_id)
    if user is None:
        raise NotFound("Record not found")
    user.password_hash = await ctx.passwords.hash(new_password)
    reset.used_at = utcnow()
    user.failed_sign_ins = 0
    await end_all_sign_ins(session, user=user)
    return user


def clean_fields(raw: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Validate profile fields: at most four, each name and value bounded; blanks dropped."""
    cleaned = [(n.strip(), v.strip()) for n, v in raw if n.strip() or v.strip()]
    if len(cleaned) > MAX_FIELDS:
        raise Invalid("fields", f"At most {MAX_FIELDS} profile fields")
    for name, value in cleaned:
        if not name:
            raise Invalid("fields", "Each profile field needs a label")
        if len(name) > MAX_FIELD_NAME or len(value) > MAX_FIELD_VALUE:
            raise Invalid(
                "fields", f"Field labels and values are at most {MAX_FIELD_VALUE} characters"
            )
    return cleaned


async def update_profile(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    account: Account,
    display_name: str | None = None,
    note: str | None = None,
    fields: list[tuple[str, str]] | None = None,
    locked: bool | None = None,
    discoverable: bool | None = None,
    bot: bool | None = None,
) -> Account:
    changes: dict[str, Any] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > MAX_DISPLAY_NAME:
            raise Invalid("display_name", f"Display name is at most {MAX_DISPLAY_NAME} characters")
        changes["display_name"] = display_name
    if note is not None:
        if len(note) > MAX_NOTE:
            raise Invalid("note", f"Bio is at most {MAX_NOTE} characters")
        changes["note"] = note
        changes["note_html"] = (await render_member_text(session, ctx, note)).html
    if fields is not None:
        rendered = []
        for name, value in clean_fields(fields):
            value_html = (await render_member_text(session, ctx, value)).html
            rendered.append({"name": name, "value": value, "value_html": value_html})
        changes["fields"] = rendered
    for key, flag in (("locked", locked), ("discoverable", discoverable), ("bot", bot)):
        if flag is not None:
            changes[key] = flag
    for key, value in changes.items():
        setattr(account, key, value)
    account.updated_at = utcnow()
    await session.flush()
    await record(session, Event.PROFILE_UPDATED, account_id=account.id)
    return account


PROFILE_IMAGES = ("avatar", "header")


async def set_profile_image(
    session: AsyncSession, ctx: DomainContext, *, account: Account, slot: str, data: bytes | None
) -> Account:
    """Set (or with None remove) the avatar or header; the picture it replaces is deleted."""
    if slot not in PROFILE_IMAGES:
        raise Invalid(slot, "No such profile picture")
    store = open_store(ctx.settings)
    url = None
    if data is not None:
        key = await store_profile_image(
            store,
            Limits.from_settings(ctx.settings),
            account_id=account.id,
            data=data,
            slot=slot,
        )
        url = store.url(key)
    old = getattr(account, f"{slot}_url")
    setattr(account, f"{slot}_url", url)
    account.updated_at = utcnow()
    await session.flush()
    await record(session, Event.PROFILE_UPDATED, account_id=account.id)
    old_key = key_of_url(store, old)
    if old_key is not None:
        await store.delete(old_key)
    return account


async def set_media_preferences(
    session: AsyncSession, *, user: User, require_media_description: bool
) -> User:
    user.require_media_description = require_media_description
    await session.flush()
    return user


async def set_posting_defaults(
    session: AsyncSession,
    *,
    user: User,
    visibility: str | None = None,
    language: str | None = None,
) -> User:
    """Who new posts reach and their language, when a post does not say (Mastodon's
    `source[privacy]` and `source[language]`); None leaves a setting as it is, "" clears the
    language. Checked whole before anything changes."""
    if visibility is not None and visibility not in Visibility.ALL:
        raise Invalid("visibility", f"Choose one of {', '.join(Visibility.ALL)}")
    checked = check_language(language) if language else None
    if visibility is not None:
        user.default_visibility = visibility
    if language is not None:
        user.default_language = checked
    await session.flush()
    return user


MEDIA_DISPLAY = ("default", "show_all", "hide_all")  # Mastodon's reading:expand:media


async def set_reading_preferences(
    session: AsyncSession,
    *,
    user: User,
    media_display: str | None = None,
    default_sensitive: bool | None = None,
) -> User:
    """How media show (default: sensitive ones hidden; show_all; hide_all) and whether new
    posts' media are marked sensitive by default; None leaves a setting as it is."""
    if media_display is not None:
        if media_display not in MEDIA_DISPLAY:
            raise Invalid("media_display", f"Choose one of {', '.join(MEDIA_DISPLAY)}")
        user.media_display = media_display
    if default_sensitive is not None:
        user.default_sensitive = default_sensitive
    await session.flush()
    return user


async def set_role(session: AsyncSession, *, user: User, role: str) -> User:
    if role not in Role.ALL:
        raise Invalid("role", f"Role must be one of {', '.join(Role.ALL)}")
    user.role = role
    await session.flush()
    await record(session, Event.ROLE_CHANGED, account_id=user.account_id)
    return user
