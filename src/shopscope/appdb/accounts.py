"""Users, browser sessions and API tokens.

Every function takes an open SQLAlchemy :class:`~sqlalchemy.orm.Session` (see
:meth:`shopscope.appdb.AppDB.session`) so a caller can group changes with their audit entry.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shopscope.appdb.models import ApiToken, RoleRow, User, UserSession, utcnow
from shopscope.appdb.passwords import hash_password, needs_rehash, verify_password
from shopscope.errors import InvalidInputError, NotFoundError

__all__ = [
    "IssuedToken",
    "authenticate",
    "create_session",
    "create_token",
    "create_user",
    "delete_session",
    "digest",
    "find_session",
    "find_token",
    "get_user",
    "list_tokens",
    "list_users",
    "revoke_token",
    "set_password",
    "set_role",
]

TOUCH_INTERVAL = timedelta(seconds=60)
"""A session's ``last_seen_at`` and a token's ``last_used_at`` are written at most this often:
a write per request would cost every signed-in request a database write (about 8 ms on SQLite)
for a timestamp whose only uses (idle timeout, "last used") need minutes, not milliseconds."""

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
TOKEN_PREFIX = "ss_"


def digest(secret: str) -> str:
    """SHA-256 hex digest of a random secret (session or API token)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_role(s: Session, role_key: str) -> None:
    if s.get(RoleRow, role_key) is None:
        known = ", ".join(s.scalars(select(RoleRow.key).order_by(RoleRow.key)))
        raise InvalidInputError(f"Unknown role {role_key!r}. Roles: {known}.")


def get_user(s: Session, username: str) -> User:
    """The user called ``username``; :class:`NotFoundError` when there is none."""
    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"No user {username!r}; list users with `shopscope user list`.")
    return user


def create_user(
    s: Session, username: str, password: str, role_key: str, *, display_name: str = ""
) -> User:
    """Add a user; usernames are lower-case letters, digits, ``_ . -`` (2-64 characters)."""
    if not _USERNAME.match(username):
        raise InvalidInputError(
            f"Username {username!r} is not allowed: use 2-64 lower-case letters, digits, '_', "
            "'.' or '-', starting with a letter or digit."
        )
    _check_role(s, role_key)
    if s.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInputError(
            f"User {username!r} exists; change it with `shopscope user set-role` or "
            "`shopscope user reset-password`."
        )
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role_key=role_key,
    )
    s.add(user)
    s.flush()
    return user


def list_users(s: Session) -> Sequence[User]:
    """Every user, by username."""
    return s.scalars(select(User).order_by(User.username)).all()


def set_role(s: Session, username: str, role_key: str) -> User:
    """Give ``username`` the role ``role_key`` and end their sessions (permissions changed)."""
    _check_role(s, role_key)
    user = get_user(s, username)
    user.role_key = role_key
    s.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return user


def set_password(s: Session, username: str, password: str) -> User:
    """Replace the password of ``username`` and end all their sessions."""
    user = get_user(s, username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    s.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return user


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (same work either way)."""
    user = s.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user is not None else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def create_session(
    s: Session, user: User, *, lifetime: timedelta, ip: str = "", user_agent: str = ""
) -> tuple[str, UserSession]:
    """Start a session; returns the cookie token (shown once) and the stored row."""
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + lifetime,
        ip=ip[:64],
        user_agent=user_agent[:256],
    )
    s.add(row)
    s.flush()
    return token, row


def find_session(s: Session, token: str, *, idle: timedelta) -> UserSession | None:
    """The live session of a cookie token; expired or idle sessions are deleted and give None."""
    row = s.scalar(select(UserSession).where(UserSession.token_hash == digest(token)))
    if row is None:
        return None
    now = utcnow()
    if row.expires_at <= now or row.last_seen_at + idle <= now or not row.user.active:
        s.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


def delete_session(s: Session, token: str) -> None:
    """End the session of a cookie token (no error when it is already gone)."""
    s.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: ``secret`` is shown once and never stored."""

    id: int
    name: str
    secret: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


def create_token(
    s: Session,
    user: User,
    name: str,
    scopes: Sequence[str],
    *,
    allowed: Sequence[str],
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """Issue a token limited to ``scopes``, each of which must be in ``allowed``."""
    if not scopes:
        raise InvalidInputError(
            f"Give the token at least one scope; allowed: {', '.join(allowed)}."
        )
    extra = sorted(set(scopes) - set(allowed))
    if extra:
        raise InvalidInputError(
            f"Scope(s) {', '.join(extra)} are not permitted for {user.username} "
            f"(role {user.role_key}); allowed: {', '.join(sorted(allowed))}."
        )
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInputError("Name the token (1-128 characters), e.g. 'event collector'.")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        prefix=prefix,
        token_hash=digest(secret),
        user_id=user.id,
        name=name,
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + lifetime if lifetime is not None else None,
        revoked=False,
    )
    s.add(row)
    s.flush()
    return IssuedToken(row.id, name, secret, tuple(row.scopes), row.expires_at)


def find_token(s: Session, secret: str) -> tuple[ApiToken, User] | None:
    """The live token and its user for a presented secret, else None."""
    parts = secret.split("_")
    if len(parts) < 3 or not secret.startswith(TOKEN_PREFIX):
        return None
    row = s.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    if row is None or row.revoked or not secrets.compare_digest(row.token_hash, digest(secret)):
        return None
    now = utcnow()
    if row.expires_at is not None and row.expires_at <= now:
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        row.last_used_at = now
    return row, user


def list_tokens(s: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens (without secrets), newest first."""
    return s.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()


def revoke_token(s: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens."""
    row = s.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFoundError(f"No API token {token_id} of {user.username}.")
    row.revoked = True
    return row
