"""Second-factor codes: anything that is not six ASCII digits is simply wrong, never an error."""

from __future__ import annotations

import pyotp
import pytest

from parley.domain.accounts import twofactor
from parley.domain.accounts.models import User


@pytest.mark.parametrize(
    "code",
    ["\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11\uff12\uff13\uff14\uff15\uff16", "", "é" * 6],
)
def test_codes_that_are_not_ascii_digits_are_wrong(code: str) -> None:
    user = User(totp_secret=pyotp.random_base32(), recovery_codes=[])
    assert twofactor.verify_second_factor(user, code) is False


def test_the_current_code_is_right() -> None:
    secret = pyotp.random_base32()
    user = User(totp_secret=secret, recovery_codes=[])
    assert twofactor.verify_second_factor(user, pyotp.TOTP(secret).now()) is True
