"""Template tags for accessible photos: the alt text every ``<img>`` of a photo carries."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def photo_alt(photo) -> str:
    """Return what a screen reader says for a photo: its alt text, else who posted it (never the caption,
    whose hashtags and mentions are noise read aloud)."""
    return photo.alt_text or f"Photo by {photo.owner.name}"


@register.simple_tag
def photo_alt_attrs(photo) -> str:
    """Return the ``alt`` attribute of a photo's ``<img>``, marked ``data-alt-source="auto"`` when machine-written."""
    if photo.alt_text and photo.alt_text_source == "auto":
        return format_html('alt="{}" data-alt-source="auto"', photo_alt(photo))
    return format_html('alt="{}"', photo_alt(photo))
