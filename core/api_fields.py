"""Serializer fields and validators whose OpenAPI schema says exactly what the server accepts.

True is not the number 1; a string of spaces is blank. Python's idea of a space (str.strip) is spelled
out, because a regular expression's \\s differs between Python and the JSON Schema's ECMAScript.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

PYTHON_SPACES = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
# A string with something other than spaces (the schema's pattern for it too).
NOT_BLANK = RegexValidator(f"[^{PYTHON_SPACES}]", "Write something other than spaces.")
# C0 and C1 control characters and DEL, as generations.prompts refuses them (tab and line breaks are text).
CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
NO_CONTROLS = RegexValidator(f"^[^{CONTROLS}]*$", "Remove control characters.")


def required_when(field: str, values: list[str], *required: str, text: bool = True) -> dict:
    """A rule the schema can state (JSON Schema's if/then, OpenAPI 3.1) for a serializer's ``schema_rules``:
    when ``field`` is one of ``values``, each of ``required`` must be sent (and, being ``text``, hold more
    than spaces). The serializer or service still checks it; the schema tells clients before they send."""
    not_blank = {"minLength": 1, "pattern": f"[^{PYTHON_SPACES}]".replace("\\x", "\\u00")}
    return {
        "if": {"properties": {field: {"enum": list(values)}}, "required": [field]},
        "then": {"required": list(required), **({"properties": dict.fromkeys(required, not_blank)} if text else {})},
    }


class QuerySerializer(serializers.Serializer):
    """Reads a query string, where every value is text: its numbers come as digits."""

    reads_text = True


def _from_text(field) -> bool:
    """Whether the field's serializer reads form or query data, where every value is text; a JSON body
    has numbers of its own."""
    root = field.root
    return getattr(root, "reads_text", False) or isinstance(getattr(root, "initial_data", None), QueryDict)


class _NumbersOnly:
    """A JSON number, as the schema says: not true (DRF reads it as 1), not digits in a string (DRF would
    read "1"). Form and query data are all text and are read as numbers as before."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and not _from_text(self)):
            raise serializers.ValidationError("Send a number here, not a string or true/false.", code="invalid")
        return super().to_internal_value(data)


class StrictFloatField(_NumbersOnly, serializers.FloatField):
    pass


class _StringsOnly:
    """DRF's text fields turn a number into its digits; a JSON number is not a string here. The length
    limit applies to the string as sent, as the schema's maxLength does (DRF would count it after
    trimming spaces, so 201 characters with a leading tab passed a limit of 200)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Send a string here.", code="invalid")
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)
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


class StrictIntegerField(_NumbersOnly, serializers.IntegerField):
    """An integer as JSON writes one: 5, not 5.0 or 1e3 (DRF would take both, the schema says "integer")."""

    def to_internal_value(self, data):
        if isinstance(data, float) and not _from_text(self):
            raise serializers.ValidationError("Send a whole number, written without a decimal point or exponent.")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice among numbers takes a JSON number (the schema's enum), not its digits in a string; a
    choice among words takes only a string."""

    def to_internal_value(self, data):
        numeric = self.choices and all(isinstance(key, int) for key in self.choices)
        if isinstance(data, bool) or (
            not _from_text(self) and (isinstance(data, str) if numeric else not isinstance(data, str))
        ):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


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
