"""Password hashing with argon2id; the cost comes from config so tests can lower it."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

_EXTENSION_KEY = "recruitcare.password_hasher"


def init_app(app: Flask) -> None:
    hasher = PasswordHasher(
        time_cost=app.config["PASSWORD_HASH_TIME_COST"],
        memory_cost=app.config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
    )
    # A hash to verify against when the account does not exist, so both cases take as long.
    app.extensions[_EXTENSION_KEY] = (hasher, hasher.hash("no such account, same cost"))


def _hasher() -> tuple[PasswordHasher, str]:
    return current_app.extensions[_EXTENSION_KEY]


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, decoy = _hasher()
    try:
        return hasher.verify(password_hash or decoy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher()[0].check_needs_rehash(password_hash)
