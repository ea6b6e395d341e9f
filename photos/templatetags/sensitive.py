from django import template

from photos.sensitive.selectors import photo_blurred_for

register = template.Library()


@register.filter
def blurred_for(photo, user) -> bool:
    """``{% if photo|blurred_for:user %}``: show the blurred thumbnail and a Show control."""
    return photo_blurred_for(photo, user)
