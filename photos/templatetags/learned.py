from django import template

from photos.learned.selectors import learned_tags_of

register = template.Library()


@register.simple_tag
def learned_tags_for(user) -> list:
    """``{% learned_tags_for user as learned_tags %}``: the person's learned tags, for "Add to a learned tag"."""
    return list(learned_tags_of(user)) if user.is_authenticated else []
