"""Template filters for people's text: captions and comments with their #hashtags and @mentions as links."""

import re

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from photos.notifications.mentions import MENTION_RE
from photos.services import HASHTAG_MAX_LENGTH, HASHTAG_RE, hashtag_normalise

register = template.Library()

# One pass over the raw text finds both, so neither link is ever made inside the other.
TOKEN_RE = re.compile(f"{HASHTAG_RE.pattern}|{MENTION_RE.pattern}")


def _link(match: re.Match) -> str:
    hashtag, name = match.group(1), match.group(2)
    if hashtag is not None:
        tag = hashtag_normalise(hashtag)
        if len(tag) > HASHTAG_MAX_LENGTH:  # not a tag (see hashtags_in): plain text
            return escape(match.group(0))
        return f'<a class="hashtag" href="{escape(reverse("tag_detail", args=[tag]))}">#{escape(hashtag)}</a>'
    return f'<a class="mention" href="{escape(reverse("profile", args=[name]))}">@{escape(name)}</a>'


@register.filter(is_safe=True)
def linkify(text: str) -> SafeString:
    """Return ``text`` escaped, with #hashtags linked to their tag page and @mentions to the profile."""
    text = str(text or "")
    parts, end = [], 0
    for match in TOKEN_RE.finditer(text):
        parts += [escape(text[end : match.start()]), _link(match)]
        end = match.end()
    parts.append(escape(text[end:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
