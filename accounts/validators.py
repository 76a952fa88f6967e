"""Names other people read: a display name, a public credit. An email address is never one of them."""

import re

from django.core.exceptions import ValidationError

# Anything shaped like an address (local part, @, a dotted domain), also inside longer text.
EMAIL_SHAPED = re.compile(r"[^\s@]+\s*@\s*[^\s@]+\.[^\s@]+")

NOT_AN_EMAIL = "Choose a name, not an email address: other people read it, and your address stays private."


def looks_like_email(value: str) -> bool:
    return bool(EMAIL_SHAPED.search(value or ""))


def validate_public_name(value: str) -> None:
    """For Django forms and DRF serializers alike."""
    if looks_like_email(value):
        raise ValidationError(NOT_AN_EMAIL, code="email_address")
