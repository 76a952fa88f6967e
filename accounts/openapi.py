"""The OpenAPI schema tells the truth about errors and access (drf-spectacular's AutoSchema, extended).

Every operation documents its 4xx answers in the one error shape (core.api_errors), and its
description says which token scope it needs and who may call it, read from the view's own
declarations (required_scopes, permission classes), so the two cannot drift apart.
"""

from __future__ import annotations

import re

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from accounts.permissions import IsProgramAdmin, SessionOnly, required_scopes
from core.api_fields import NOT_BLANK, PYTHON_SPACES


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable; docs/api.md lists them.")
    message = serializers.CharField(help_text="For people; may change.")
    fields = serializers.DictField(child=serializers.CharField(), help_text="The fields at fault and why.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    "400": "The request is malformed or a field is invalid (`fields` names them).",
    "401": "No credentials, or a token that is invalid, expired, revoked or suspended.",
    "403": "Not allowed: a missing scope, role, second factor, membership or accepted terms.",
    "404": "No such object, or not one you may see.",
    "409": "The object's state does not allow this now (paused, already ended, a conflict).",
    "413": "The request body is larger than 2.5 MB.",
    "415": "The request body's content type is not JSON, a form or multipart.",
    "429": "A rate limit or quota was reached; `Retry-After` says when to try again where it applies.",
}
PUBLIC_ERRORS = ("400", "413", "415", "429")


# DRF refuses a NUL in any CharField (PostgreSQL cannot store one); the schema says so too.
NUL_FREE = "^[^\\x00]*$"
NOT_BLANK_NUL_FREE = f"^[^\\x00]*[^\\x00{PYTHON_SPACES}][^\\x00]*$"


# A date as the API reads one (ISO 8601, YYYY-MM-DD). In OpenAPI 3.1 "format" is only an annotation,
# so the pattern is what a client generator or a fuzzer holds to.
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# NOT_BLANK's pattern as drf-spectacular writes it (\x escapes become \u00).
NOT_BLANK_AS_WRITTEN = NOT_BLANK.regex.pattern.replace(r"\x", r"\u00")


class AutoSchema(openapi.AutoSchema):
    _direction = "response"

    def _map_basic_serializer(self, serializer, direction):
        self._direction = direction  # the NUL rule is about input; what the server says may quote anything
        schema = super()._map_basic_serializer(serializer, direction)
        rules = getattr(serializer, "schema_rules", ())  # core.api_fields.required_when
        if direction == "request" and rules:
            schema["allOf"] = list(rules)
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if self._direction != "request":
            return
        if isinstance(field, serializers.DateField) and "pattern" not in schema:
            schema["pattern"] = ISO_DATE
        if isinstance(field, serializers.CharField) and schema.get("type") == "string":
            if schema.get("pattern") == NOT_BLANK_AS_WRITTEN:
                schema["pattern"] = NOT_BLANK_NUL_FREE
            elif not {"pattern", "format", "enum"} & set(schema):
                schema["pattern"] = NUL_FREE

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        public = not self.get_auth()
        for code, description in ERRORS.items():
            if public and code not in PUBLIC_ERRORS:
                continue
            if code in ("413", "415") and self.method not in ("POST", "PUT", "PATCH"):
                continue
            responses.setdefault(code, self._get_response_for_code(OpenApiResponse(ErrorSerializer, description), code))
        return responses

    def get_description(self) -> str:
        lines = [super().get_description() or ""]
        scopes = required_scopes(self.view, self.method)
        permissions = {type(permission) for permission in self.view.get_permissions()}
        if IsProgramAdmin in permissions:
            lines.append(
                "Who: program admins whose session passed two-factor sign-in, or a token with the scope "
                "`staff:all` whose owner has two-factor set up."
            )
        # A permission class of another app says who passes it in its own ``who`` sentence.
        lines += [f"Who: {permission.who}" for permission in permissions if getattr(permission, "who", "")]
        if SessionOnly in permissions:
            lines.append("Who: a signed-in session only; API tokens cannot do this.")
        elif scopes:
            lines.append("Token scope: " + ", ".join(f"`{scope}`" for scope in scopes) + ".")
        return "\n\n".join(line for line in lines if line).strip()


# --- Postprocessing: what drf-spectacular cannot see from a view ---------------------------------------

PAGE_FIELDS = {"next", "previous", "results"}


def _is_page(schema: dict, components: dict) -> bool:
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    return set(components.get(name, {}).get("properties", {})) >= PAGE_FIELDS


def _name_enum_members(name: str, component: dict) -> None:
    """Client generators name enum members after their values; "1:1" or "" would become VALUE_0. Name
    them after the enum instead (``x-enum-varnames``): ASPECT_RATIO_1_1, NONE."""
    values = component.get("enum")
    if not values or all(isinstance(value, int) or (value and value[0].isalpha()) for value in values):
        return
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Enum")).upper()
    component["x-enum-varnames"] = [
        "NONE" if value in ("", None) else (
            str(value).upper() if str(value)[0].isalpha() else f"{prefix}_{re.sub('[^0-9A-Za-z]+', '_', str(value))}"
        )
        for value in values
    ]  # fmt: skip


def tell_the_truth(result, generator, request, public):
    """Every field a response component lists is always in the answer (DRF writes each declared field,
    null when it has no value), so all are ``required``; a list answered a page at a time takes the
    ``cursor`` of its ``next`` link and is named as a list."""
    components = result.get("components", {}).get("schemas", {})
    for name, component in components.items():
        _name_enum_members(name, component)
        if not name.endswith("Request") and component.get("type") == "object" and component.get("properties"):
            component["required"] = sorted(component["properties"])
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            answer = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            if method != "get" or not _is_page(answer.get("schema", {}), components):
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(parameter.get("name") == "cursor" for parameter in parameters):
                parameters.append({
                    "in": "query", "name": "cursor", "required": False,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9+/=_-]{1,400}$"},
                    "description": "Where the page starts: take it from the `next` or `previous` link.",
                })  # fmt: skip
            operation["operationId"] = (
                operation["operationId"].removesuffix("_retrieve").removesuffix("_list") + "_list"
            )
    return result
