"""OpenAPI generation: drf-spectacular with unique component names and documented error answers."""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser

ERROR_SCHEMA = {
    "type": "object",
    "description": "What was wrong. `detail` is about the request as a whole; any other key names an input "
    "field and lists what is wrong with it.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERROR = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer"},
    }
}


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

    def _get_response_bodies(self, direction: openapi.Direction = "response") -> dict:
        """Add the error answers this operation can give, so clients (and schema tests) can rely on them."""
        responses = super()._get_response_bodies(direction)
        self.registry.register_on_missing(ERROR)
        for code, description in self._error_codes().items():
            error = {"description": description, "content": {"application/json": {"schema": ERROR.ref}}}
            if code == "429":
                error["headers"] = RETRY_AFTER
            responses.setdefault(code, error)
        return responses

    def _error_codes(self) -> dict[str, str]:
        codes = {}
        if self.method != "GET" or self.get_override_parameters() or self._get_paginator() is not None:
            codes["400"] = (
                "The input is invalid (or a cursor not from a `next` link); the body says what is wrong with what."
            )
        codes["401"] = "The credentials are missing or invalid."
        codes["403"] = "You may not do this (someone else's photo, a private account's lists, a CSRF failure)."
        if "{" in self.path:
            codes["404"] = "Not found, or not visible to you: the two are never told apart."
        parses_files = any(issubclass(parser, MultiPartParser) for parser in self.view.parser_classes)
        if parses_files and self.method in ("POST", "PATCH", "PUT"):
            codes["413"] = "The upload is over the size or pixel cap."
            codes["415"] = "The file is not a JPEG, PNG, WebP or GIF image; the body names what it is."
        if self.view.throttle_classes:
            codes["429"] = "Too many requests; retry after the number of seconds in Retry-After."
        return codes
