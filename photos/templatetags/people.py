"""Template tags about people: the suggestions a new person's empty feed shows."""

from django import template

from photos.people.selectors import people_suggested, suggested_photos

register = template.Library()


@register.simple_tag
def suggestions_for(user) -> dict:
    """Return ``{"people": [...], "photos": [...]}`` to start following from.

    A tag, so any page's empty state can show them with one include, without its view knowing.
    """
    if not user.is_authenticated:
        return {"people": [], "photos": []}
    return {"people": people_suggested(user), "photos": list(suggested_photos(user))}
