"""Photo cards as the API writes them, read straight off the loaded rows.

DRF builds a card field by field: a copied field object per declared field, a lookup and a
conversion per value, a nested serializer per owner and per tag. For a page of 24 cards that was
about a third of the request's CPU (bench/request_cpu.py). These functions write the very same
dicts (tests/photos/apis/test_cards.py compares them with DRF's output) directly; the serializers
in photos/apis/serializers.py still declare the fields, for the OpenAPI schema, and call these.
"""

from typing import Any

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.utils.encoding import filepath_to_uri
from rest_framework import serializers

from photos.models import Photo, PhotoTag, User
from photos.tag_rows import TagRow, tags_of

_DATETIME = serializers.DateTimeField()  # DRF's own ISO 8601 writing (UTC as "Z")
_EXPLANATIONS = PhotoTag._meta.get_field("explanation").storage


def file_url(value: FieldFile, request) -> str | None:
    """Return the absolute URL of a stored file as DRF's FileField writes it, or None without one."""
    if not value:
        return None
    return stored_url(value.storage, value.name, request)


def stored_url(storage, name: str, request) -> str:
    """Return ``request.build_absolute_uri(storage.url(name))``, the local storage's prefix made once a request.

    A page has about a hundred of these (images, thumbnails, avatars, heat maps); the local
    storage's URL is its base URL and the quoted name, so the absolute base is made once.
    """
    if request is None:
        return storage.url(name)
    if not isinstance(storage, FileSystemStorage):
        return request.build_absolute_uri(storage.url(name))  # object storage: its own (signed) URLs
    prefixes = request.__dict__.setdefault("_stored_url_prefixes", {})
    prefix = prefixes.get(storage.base_url)
    if prefix is None:
        prefix = prefixes[storage.base_url] = request.build_absolute_uri(storage.base_url)
    return prefix + filepath_to_uri(name).lstrip("/")


def datetime_text(value) -> str | None:
    return _DATETIME.to_representation(value)


def user_summary(user: User, request) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "avatar": file_url(user.avatar, request),
    }


def tag_card(tag: TagRow, request) -> dict[str, Any]:
    explanation = stored_url(_EXPLANATIONS, tag.explanation, request) if tag.explanation else None
    return {
        "name": tag.name,
        "categories": [str(category) for category in tag.categories],
        "confidence": float(tag.confidence),
        "source": tag.source,
        "classes": [{"name": str(seen["name"]), "score": float(seen["score"])} for seen in tag.classes],
        "rule": tag.rule,
        "model_version": tag.model_version,
        "taxonomy_version": tag.taxonomy_version,
        "explanation": explanation,
    }


def photo_card(photo: Photo, request) -> dict[str, Any]:
    """Return what PhotoSerializer writes for ``photo`` (loaded by selectors.photo_list, or just created).

    Its tags are its ``tag_rows`` when photos.tag_rows loaded them, else its prefetched ``photo_tags``.
    """
    return {
        "id": photo.id,
        "owner": user_summary(photo.owner, request),
        "caption": photo.caption,
        "alt_text": photo.alt_text,
        "alt_text_source": photo.alt_text_source,
        "visibility": photo.visibility,
        "image": file_url(photo.image, request),
        "thumbnail": file_url(photo.thumbnail, request),
        "width": photo.width,
        "height": photo.height,
        "created_at": datetime_text(photo.created_at),
        "status": photo.status,
        "status_reason": photo.status_reason,
        "like_count": photo.like_count,
        # Photos read through selectors.photo_list know what this viewer is shown; a photo just
        # created has no comments anyone could be hidden from.
        "comment_count": getattr(photo, "visible_comment_count", photo.comment_count),
        "liked": bool(photo.liked),
        "tags": [tag_card(tag, request) for tag in tags_of(photo)],
        "sensitive": photo.is_sensitive,
        "blurred_thumbnail": file_url(photo.blurred_thumbnail, request),
    }
