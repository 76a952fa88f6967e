"""Serializer fields that take JSON types at their word: true is not the number 1."""

from __future__ import annotations

from rest_framework import serializers


class _RefusesBooleans:
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(_RefusesBooleans, serializers.FloatField):
    pass


class StrictIntegerField(_RefusesBooleans, serializers.IntegerField):
    pass
