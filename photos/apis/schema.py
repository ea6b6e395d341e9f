"""OpenAPI generation: drf-spectacular with component names that stay unique."""

from drf_spectacular import openapi
from rest_framework import serializers


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer: serializers.Serializer, direction: openapi.Direction) -> str:
        """Prefix a serializer nested in an API class with that class's name.

        Every API class nests its own ``InputSerializer``/``OutputSerializer``; named by the class
        alone they would collide, and the schema would describe one operation's body for another.
        """
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            owner = qualname.split(".")[0].removesuffix("Api")
            name = f"{owner}{name}"
        return name
