"""Personal API token format: recognisable, checksummed, hashed at rest.

    vnsg_<30 random base62 characters><6 base62 characters of CRC32>

30 base62 characters carry about 178 bits from the operating system's CSPRNG.
The prefix and checksum follow GitHub's token format, so a secret scanner can
tell a real Vernissage token from random text offline, without asking us.
Only the SHA-256 of a token is stored; its first characters are kept to show
people which token is which.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
import zlib

PREFIX = "vnsg_"
_ALPHABET = string.digits + string.ascii_letters  # base62
_RANDOM_LENGTH = 30
_CHECKSUM_LENGTH = 6
TOKEN_PATTERN = re.compile(rf"^{PREFIX}[0-9A-Za-z]{{{_RANDOM_LENGTH + _CHECKSUM_LENGTH}}}$")
VISIBLE_PREFIX_LENGTH = len(PREFIX) + 4


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), _CHECKSUM_LENGTH)


def new_token() -> str:
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))
    return f"{PREFIX}{random_part}{_checksum(random_part)}"


def is_well_formed(token: str) -> bool:
    """Prefix, length, alphabet and checksum are right: a cheap offline check before any lookup."""
    if not TOKEN_PATTERN.match(token):
        return False
    body = token[len(PREFIX) :]
    random_part, checksum = body[:_RANDOM_LENGTH], body[_RANDOM_LENGTH:]
    return secrets.compare_digest(_checksum(random_part), checksum)


def hash_secret(secret: str) -> str:
    """SHA-256 hex: tokens and invitation secrets are long random strings, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def visible_prefix(token: str) -> str:
    return token[:VISIBLE_PREFIX_LENGTH]


def new_invitation_secret() -> str:
    return secrets.token_urlsafe(32)


WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_webhook_secret() -> str:
    """A key for signing webhooks (HMAC-SHA256), as Standard Webhooks writes one: ``whsec_`` and 256
    random bits in base64. Kept as it is, since signing needs it."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
