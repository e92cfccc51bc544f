"""Password hashing with Argon2id (memory-hard)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# A real hash verified when the user does not exist, so a login for an unknown name
# costs the same time as a wrong password: made at start-up, and again if the hasher
# in use is replaced (a hash costs what its own parameters say).
_dummy = (_hasher, _hasher.hash("depot-timing-equaliser"))

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; constant work whether or not a hash exists."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    global _dummy
    if _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("depot-timing-equaliser"))
    return _dummy[1]


def check_strength(password: str) -> str | None:
    """A message saying what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    return None
