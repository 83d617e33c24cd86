"""Accounts: sign-in with throttling, sessions that can be ended, invitations and passwords."""

import hashlib
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from recruitcare import audit
from recruitcare.auth.passwords import hash_password, needs_rehash, verify_password
from recruitcare.domain import throttle
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import User

_SET_PASSWORD_SALT = "recruitcare.set-password"


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is safe to show."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(
    email: str, password: str, *, now: datetime, rule: throttle.ThrottleRule
) -> User | None:
    """The user when the password is right and the account may sign in, else None.

    Every refusal looks the same to the caller, so a response cannot reveal whether the
    account exists, is inactive or is locked. The row is locked while failures are counted.
    """
    user = db.session.scalar(
        select(User).where(User.email == email.strip().lower()).with_for_update()
    )
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not user.active:
        return None
    if throttle.is_locked(user.locked_until, now):
        return None
    if not password_ok:
        state = throttle.after_failure(
            throttle.FailureState(
                user.failed_logins, user.first_failed_login_at, user.locked_until
            ),
            now,
            rule,
        )
        user.failed_logins = state.failures
        user.first_failed_login_at = state.first_failed_at
        if state.locked_until != user.locked_until:
            user.locked_until = state.locked_until
            audit.record(
                "user.locked", user, actor=None, now=now, until=state.locked_until.isoformat()
            )
        return None
    user.failed_logins, user.first_failed_login_at, user.locked_until = 0, None, None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def end_all_sessions(user: User) -> None:
    """Every session and remember cookie of this user stops working on its next request."""
    user.session_version += 1


def create_user(
    email: str,
    name: str,
    role: Role,
    *,
    password: str | None,
    now: datetime,
    actor: User | None = None,
) -> User:
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account for {email.strip().lower()} already exists.")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, actor=actor, now=now, role=role.value)
    return user


def set_password(user: User, password: str, *, now: datetime, actor: User | None) -> None:
    """Store a new password; every existing session of the user ends."""
    user.password_hash = hash_password(password)
    user.failed_logins, user.first_failed_login_at, user.locked_until = 0, None, None
    end_all_sessions(user)
    audit.record("user.password_set", user, actor=actor, now=now)


def change_role(user: User, role: Role, *, actor: User, now: datetime) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot change your own role.")
    if user.role is role:
        return
    audit.record(
        "user.role_changed", user, actor=actor, now=now, old=user.role.value, new=role.value
    )
    user.role = role
    end_all_sessions(user)


def set_active(user: User, active: bool, *, actor: User, now: datetime) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account.")
    if user.active is active:
        return
    user.active = active
    end_all_sessions(user)
    audit.record("user.activated" if active else "user.deactivated", user, actor=actor, now=now)


def _fingerprint(user: User) -> str:
    """Changes once the password is set, so a set-password link works only once."""
    state = f"{user.password_hash or ''}|{user.session_version}"
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def make_set_password_token(user: User, secret_key: str) -> str:
    serializer = URLSafeTimedSerializer(secret_key, salt=_SET_PASSWORD_SALT)
    return serializer.dumps([user.id, _fingerprint(user)])


def load_set_password_token(token: str, secret_key: str, max_age_seconds: int) -> User | None:
    """The user a set-password link is for, or None when it is altered, expired or used."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SET_PASSWORD_SALT)
    try:
        user_id, fingerprint = serializer.loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or _fingerprint(user) != fingerprint:
        return None
    return user
