"""Two-factor sign-in: TOTP (RFC 6238) with one-time recovery codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pyotp

from parley.domain.accounts.models import User
from parley.domain.errors import Invalid
from parley.infra.tokens import digest

RECOVERY_CODES = 10
ISSUER = "Parley"


def begin_setup(user: User, *, account_label: str) -> str:
    """Start enabling TOTP: store a pending secret and return its otpauth:// URI for the QR code."""
    secret = pyotp.random_base32()
    user.totp_pending_secret = secret
    return str(pyotp.TOTP(secret).provisioning_uri(name=account_label, issuer_name=ISSUER))


def confirm_setup(user: User, code: str) -> list[str]:
    """Enable TOTP once the member proves the app works; returns recovery codes, shown once."""
    secret = user.totp_pending_secret
    if secret is None:
        raise Invalid("code", "Start two-factor setup first")
    step = _matching_step(secret, code)
    if step is None:
        raise Invalid("code", "That code is not correct; check your authenticator app's clock")
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_last_step = step
    user.recovery_codes = [digest(c) for c in codes]
    return codes


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_last_step = None
    user.recovery_codes = []


def _matching_step(secret: str, code: str) -> int | None:
    code = code.strip().replace(" ", "")
    # isascii: str.isdigit also accepts other scripts' digits, which compare_digest refuses.
    if not code.isascii() or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(totp.timecode(datetime.now(UTC)))
    for step in (now_step - 1, now_step, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_second_factor(user: User, code: str) -> bool:
    """Check a TOTP code (each time step used once) or consume a recovery code."""
    if user.totp_secret is None:
        return True
    step = _matching_step(user.totp_secret, code)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        return True
    hashed = digest(code.strip().lower())
    if hashed in user.recovery_codes:
        user.recovery_codes = [c for c in user.recovery_codes if c != hashed]
        return True
    return False
