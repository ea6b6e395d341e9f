"""Writes of Explore's signals: recording that someone opened a photo, and forgetting a history."""

from datetime import timedelta

from django.core.cache import cache

from photos.explore.selectors import ranking_cache_key
from photos.models import Photo, PhotoView, User

VIEW_DEDUPE_WINDOW = timedelta(minutes=30)


def photo_view_record(*, user: User, photo: Photo) -> PhotoView | None:
    """Record that ``user`` opened someone else's photo; repeated opens in a short window count once.

    The window is a cache key added only if absent (Redis SET NX EX), so the request path makes
    one cache round trip and, for a new view, one INSERT: no read of the views table.
    """
    if not user.is_authenticated or user.pk == photo.owner_id or user.history_paused:
        return None
    window = int(VIEW_DEDUPE_WINDOW.total_seconds())
    if not cache.add(_view_dedupe_key(user.pk, photo.pk), 1, timeout=window):
        return None
    # The photos with a live dedupe key, so that clearing the history can delete them: the cache
    # API has no "delete by pattern" that works on Redis and locmem alike. Two views at the same
    # instant may drop one id from the set; that key then outlives a clear by 30 minutes at most.
    index_key = _view_dedupe_index_key(user.pk)
    cache.set(index_key, cache.get(index_key, set()) | {photo.pk}, timeout=window)
    # Explore's kept ranking stays (the grid and its pages do not reshuffle under the person): the
    # photo leaves it at once as seen, and the view counts at the model's next generation.
    return PhotoView.objects.create(user=user, photo=photo)


def _view_dedupe_key(user_id: int, photo_id: int) -> str:
    return f"photo-view:{user_id}:{photo_id}"


def _view_dedupe_index_key(user_id: int) -> str:
    return f"photo-view-index:{user_id}"


def view_history_clear(*, user: User) -> int:
    """Forget every photo ``user`` viewed, the recent-view dedupe keys included; return how many views were deleted.

    Likes and comments are public acts the person can undo one by one, so they stay. The item
    model keeps only sums over many people and forgets these views at its next rebuild.
    """
    deleted, _ = PhotoView.objects.filter(user=user).delete()
    index_key = _view_dedupe_index_key(user.pk)
    photo_ids = cache.get(index_key, set())
    cache.delete_many(
        [index_key, ranking_cache_key(user.pk), *(_view_dedupe_key(user.pk, photo_id) for photo_id in photo_ids)]
    )
    return deleted
