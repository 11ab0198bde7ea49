"""Serializer fields that refuse a value of the wrong JSON type.

DRF's fields coerce: a CharField takes 42 as "42", an IntegerField takes
"1.0" as 1, and a PrimaryKeyRelatedField hands 1.5 to the ORM, which finds pk 1. A
client that sends the wrong type has a bug; it gets a 400 naming the field,
never a guess (or, for a token, a 401 that sends it looking elsewhere).
Strings remain what HTML forms (the browsable API) send for every field.
"""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

WHOLE_NUMBER = re.compile(r"\s*[+-]?\d+\s*")


def is_whole_number(data) -> bool:
    """Return whether `data` is an integer in JSON or a form's text."""
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return True
    if isinstance(data, float):
        # JSON has one number type: 1.0 is the integer 1 (as JSON Schema,
        # and so the OpenAPI schema, says), 1.5 is not an integer at all.
        return data.is_integer()
    return isinstance(data, str) and WHOLE_NUMBER.fullmatch(data) is not None


class StringOnlyMixin:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class CharField(StringOnlyMixin, serializers.CharField):
    default_error_messages = {"not_a_string": _("Give this as a string.")}


class EmailField(StringOnlyMixin, serializers.EmailField):
    default_error_messages = {"not_a_string": _("Give the email address as a string.")}


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if not is_whole_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """Look up integer primary keys given as whole numbers only."""

    def to_internal_value(self, data):
        if not is_whole_number(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
