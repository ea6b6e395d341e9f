"""Template context every page gets."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from photos.notifications.selectors import unread_notification_count


def notifications(request: HttpRequest) -> dict:
    """Give the header its unread badge: one query, made only when a page shows the badge."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user))}
