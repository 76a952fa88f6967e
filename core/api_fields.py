"""Serializer fields and validators whose OpenAPI schema says exactly what the server accepts.

True is not the number 1; a string of spaces is blank. Python's idea of a space (str.strip) is spelled
out, because a regular expression's \\s differs between Python and the JSON Schema's ECMAScript.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

PYTHON_SPACES = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
# A string with something other than spaces (the schema's pattern for it too).
NOT_BLANK = RegexValidator(f"[^{PYTHON_SPACES}]", "Write something other than spaces.")
# C0 and C1 control characters and DEL, as generations.prompts refuses them (tab and line breaks are text).
CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
NO_CONTROLS = RegexValidator(f"^[^{CONTROLS}]*$", "Remove control characters.")


class _RefusesBooleans:
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(_RefusesBooleans, serializers.FloatField):
    pass


class _StringsOnly:
    """DRF's text fields turn a number into its digits; a JSON number is not a string here."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Send a string here.", code="invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringsOnly, serializers.CharField):
    pass


class StrictSlugField(_StringsOnly, serializers.SlugField):
    pass


class StrictEmailField(_StringsOnly, serializers.EmailField):
    pass


class StrictDateField(_StringsOnly, serializers.DateField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """true or false; DRF would also take "yes", "on", 1 and 0."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(_RefusesBooleans, serializers.IntegerField):
    pass


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 2000,
        # No control character anywhere, and at least one that is not a space.
        "pattern": f"^[^{CONTROLS}]*[^{CONTROLS}{PYTHON_SPACES}][^{CONTROLS}]*$",
    }
)
class PromptField(StrictCharField):
    """A prompt: up to 2,000 characters, no control characters, not blank (checked without backtracking)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=2000, trim_whitespace=False, validators=[NO_CONTROLS, NOT_BLANK], **kwargs)


@extend_schema_field({"type": "string", "maxLength": 2000, "pattern": f"^[^{CONTROLS}]*$"})
class NegativePromptField(StrictCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=2000, trim_whitespace=False, allow_blank=True, validators=[NO_CONTROLS], **kwargs)
