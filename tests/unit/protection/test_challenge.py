"""The proof-of-work: sealing, answers, passes."""

from __future__ import annotations

import hashlib
from itertools import count

from hypothesis import given
from hypothesis import strategies as st

from parley.edge import challenge

SECRET = "s3cret"


def solve(token: str, bits: int) -> str:
    return next(str(n) for n in count() if challenge.solves(token, str(n), bits))


@given(st.binary(min_size=32, max_size=32))
def test_leading_zero_bits_counts_from_the_first_byte(data: bytes) -> None:
    bits = "".join(f"{b:08b}" for b in data)
    assert challenge.leading_zero_bits(data) == len(bits) - len(bits.lstrip("0"))


def test_an_answer_is_checked_against_signature_client_and_difficulty() -> None:
    token = challenge.new_challenge(SECRET, "198.51.100.1", 8)
    answer = solve(token, 8)
    digest = hashlib.sha256(f"{token}:{answer}".encode()).digest()
    assert challenge.leading_zero_bits(digest) >= 8
    assert challenge.check_answer(SECRET, "198.51.100.1", token, answer)
    assert not challenge.check_answer(SECRET, "198.51.100.2", token, answer)  # another client
    assert not challenge.check_answer("other-secret", "198.51.100.1", token, answer)
    assert not challenge.check_answer(SECRET, "198.51.100.1", token, "x" + answer)


def test_seals_expire_and_resist_tampering() -> None:
    sealed = challenge.seal(SECRET, ["pass", "a"], ttl=60, now=1000.0)
    assert challenge.open_seal(SECRET, sealed, now=1059.0) == ["pass", "a"]
    assert challenge.open_seal(SECRET, sealed, now=1061.0) is None
    assert challenge.open_seal(SECRET, sealed.replace("pass", "pasS"), now=1000.0) is None
    assert challenge.open_seal(SECRET, "", now=1000.0) is None
    assert challenge.open_seal(SECRET, "~~~", now=1000.0) is None


def test_a_pass_is_for_one_client() -> None:
    cookie = challenge.new_pass(SECRET, "198.51.100.1", hours=1)
    assert challenge.valid_pass(SECRET, "198.51.100.1", cookie)
    assert not challenge.valid_pass(SECRET, "198.51.100.2", cookie)
    # A challenge is not a pass.
    token = challenge.new_challenge(SECRET, "198.51.100.1", 1)
    assert not challenge.valid_pass(SECRET, "198.51.100.1", token)
