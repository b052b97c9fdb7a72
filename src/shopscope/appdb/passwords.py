"""Password hashing with argon2id, OWASP's parameters (19 MiB memory, 2 passes, 1 lane).

Hashes made with other parameters verify, and :func:`needs_rehash` tells the caller to store a
fresh hash after a successful login, so changing the parameters upgrades users as they sign in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shopscope.errors import InvalidInputError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "check_password_policy",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# verified against when the user does not exist, so a wrong username costs as much time as a
# wrong password (no user enumeration by timing)
_DUMMY = _HASHER.hash("shopscope-dummy-password")


def check_password_policy(password: str) -> None:
    """Raise :class:`InvalidInputError` for a password shorter than 10 characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"The password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH} "
            "(a passphrase of a few words is easiest)."
        )
    if len(password) > 1024:
        raise InvalidInputError("The password is longer than 1024 characters; use a shorter one.")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (checks the length policy first)."""
    check_password_policy(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; constant work when there is no hash."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with other parameters than the current ones."""
    try:
        return bool(_HASHER.check_needs_rehash(stored_hash))
    except InvalidHashError:
        return True
