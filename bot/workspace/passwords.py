"""Password hashing with Argon2id (argon2-cffi): the OWASP-recommended algorithm, salted and
tuned by a maintained library, so the workspace never stores or compares a password itself."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()

# Verified when the account name is unknown, so that a wrong name costs the same time as a
# wrong password and the answer's timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class WeakPassword(ValueError):
    """A password too short to resist guessing; the message says the rule."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
