"""Password hashing with Argon2id (memory-hard)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()
# A real hash verified when the user does not exist, so a login for an unknown
# name costs the same time as a wrong password (made by the hasher in use).
_dummy_hash = _hasher.hash("depot-timing-equaliser")

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; constant work whether or not a hash exists."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash new passwords with ``hasher`` from now on (its costs); returns the one it replaces.

    Existing hashes keep verifying: each carries its own parameters. The unknown-user
    hash is made again, so an unknown name still costs what a wrong password costs.
    """
    global _hasher, _dummy_hash
    previous, _hasher = _hasher, hasher
    _dummy_hash = hasher.hash("depot-timing-equaliser")
    return previous


def check_strength(password: str) -> str | None:
    """A message saying what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return _("The password must have at least %(n)s characters.", n=MIN_LENGTH)
    return None
