"""Password hashing and the configured password policy (one place for both).

Hashes come from werkzeug.security (scrypt by default; `PASSWORD_HASH_METHOD` may name another
of its methods, which the tests use to stay fast). Passwords are NFKC-normalized before hashing,
like the policy checks them, so a password typed with a Japanese IME in full-width characters
is the same password as its half-width form.
"""

from __future__ import annotations

import secrets
import string
import unicodedata
from collections.abc import Mapping
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from fitgap.domain.password_policy import PasswordPolicy

MAX_PASSWORD_LENGTH = 256  # longer input is refused before any hashing work
_DUMMY_HASHES: dict[str, str] = {}


def policy_from_config(config: Mapping[str, Any]) -> PasswordPolicy:
    """The password policy of the app's settings."""
    max_age = config.get("PASSWORD_MAX_AGE_DAYS")
    return PasswordPolicy(
        min_length=int(config["PASSWORD_MIN_LENGTH"]),
        min_kinds=int(config["PASSWORD_MIN_KINDS"]),
        max_age_days=int(max_age) if max_age else None,
    )


def _normalized(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str, method: str) -> str:
    """A salted hash of the password with the configured method."""
    return generate_password_hash(_normalized(password), method=method)


def check_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    return check_password_hash(stored_hash, _normalized(password))


def check_dummy(password: str, method: str) -> None:
    """Spend the time of one password check on nothing, for sign-ins of unknown or refused
    accounts: the answer then takes as long whether the login id exists or not."""
    dummy = _DUMMY_HASHES.get(method)
    if dummy is None:
        dummy = _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method)
    check_password_hash(dummy, _normalized(password[:MAX_PASSWORD_LENGTH]))


def generate_password(policy: PasswordPolicy) -> str:
    """A random password that satisfies the policy and is easy to type from a printout
    (no 0/O, 1/l/I): groups of four separated by hyphens."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    length = max(policy.min_length, 16)
    while True:
        raw = "".join(secrets.choice(alphabet) for _ in range(length))
        text = "-".join(raw[k : k + 4] for k in range(0, length, 4))
        if not policy.problems(text):
            return text
