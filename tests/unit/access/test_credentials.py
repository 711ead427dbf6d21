"""Secrets handed out once and kept only as hashes: their shape, their hash, their display prefix."""

import base64
import hashlib
import hmac
import re

import pytest

from settle.access.credentials import (
    derived_secret,
    display_prefix,
    hash_secret,
    looks_like_api_token,
    new_api_token,
    new_id,
    new_secret,
)


def test_an_api_token_is_stl_and_forty_url_safe_characters() -> None:
    token = new_api_token()

    assert re.fullmatch(r"stl_[A-Za-z0-9_-]{40}", token)
    assert looks_like_api_token(token)


def test_every_secret_is_new() -> None:
    assert len({new_api_token() for _ in range(100)}) == 100
    assert len({new_secret() for _ in range(100)}) == 100


def test_a_session_secret_has_forty_url_safe_characters() -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]{40}", new_secret())


@pytest.mark.parametrize(
    "text",
    ["", "stl_", "stl_" + "a" * 39, "stl_" + "a" * 41, "xyz_" + "a" * 40, "stl_" + "a" * 39 + "!", "Bearer stl_x"],
)
def test_text_without_a_tokens_shape_is_not_taken_for_one(text: str) -> None:
    assert not looks_like_api_token(text)


def test_the_hash_is_the_sha256_digest_in_base64url_without_padding() -> None:
    secret = "stl_" + "A" * 40
    expected = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).rstrip(b"=").decode()

    assert hash_secret(secret) == expected
    assert len(hash_secret(secret)) == 43
    assert hash_secret(secret) != hash_secret(secret.lower())


def test_the_display_prefix_shows_four_random_characters_and_not_the_secret() -> None:
    token = new_api_token()

    assert display_prefix(token) == token[:8]
    assert display_prefix(token).startswith("stl_")
    assert len(token) - len(display_prefix(token)) == 36


def test_ids_are_lowercase_base32_and_never_start_with_a_dash() -> None:
    ids = [new_id() for _ in range(200)]

    assert all(re.fullmatch(r"[a-z2-7]{24}", value) for value in ids)
    assert len(set(ids)) == 200


def test_a_derived_secret_is_the_base64url_hmac_of_purpose_and_reference_and_nothing_else() -> None:
    """The formula the reset links (and the verification links) share: pinned, so the two stay one."""
    made = derived_secret("the key", "password-reset", "abc234")
    expected = hmac.new(b"the key", b"password-reset:abc234", hashlib.sha256).digest()
    assert made == base64.urlsafe_b64encode(expected).decode().rstrip("=")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", made)
    assert made == derived_secret("the key", "password-reset", "abc234")  # made again at send time, the same
    others = {derived_secret("other key", "password-reset", "abc234"), derived_secret("the key", "verify", "abc234")}
    assert made not in others and derived_secret("the key", "password-reset", "abc235") != made
