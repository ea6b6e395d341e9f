from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from photos.models import Follow, Photo, PhotoSearchTerm, PhotoTag, PhotoView, User
from photos.search import selectors as search

pytestmark = pytest.mark.django_db


def seed(**options):
    defaults = {"users": 30, "photos": 400, "follows": 60, "views": 300, "seed": 7, "verbosity": 0}
    call_command("seed", **{**defaults, **options})


def snapshot() -> list[tuple]:
    photos = Photo.objects.filter(owner__username__startswith="seed7_").order_by("created_at")
    photos = photos.prefetch_related("photo_tags__tag")
    return [
        (
            p.owner.username,
            p.caption,
            p.visibility,
            p.created_at,
            sorted((t.tag.name, t.confidence) for t in p.photo_tags.all()),
        )
        for p in photos.select_related("owner")
    ]


def test_seed_builds_a_tagged_indexed_site_with_follows_and_views(media_root):
    seed()
    users, photos = (
        User.objects.filter(username__startswith="seed7_"),
        Photo.objects.filter(owner__username__startswith="seed7_"),
    )
    assert users.count() == 30 and photos.count() == 400
    assert Follow.objects.filter(follower__in=users).count() == 60
    views = PhotoView.objects.filter(user__in=users).select_related("photo")
    assert views.count() == 300
    assert not photos.filter(photo_tags__isnull=True).exists()
    assert not photos.filter(search_terms__isnull=True).exists()
    assert photos.filter(status=Photo.Status.TAGGED).count() == 400
    # A few shared files, not one per photo.
    assert len({p.image.name for p in photos}) <= 6
    assert (media_root / photos.first().thumbnail.name).is_file()
    # Views come after the photo was posted.
    assert all(view.viewed_at >= view.photo.created_at for view in views)
    assert not users.first().has_usable_password()
    seed(seed=9, users=2, photos=0, follows=0, views=0, password="correct horse battery staple")
    assert User.objects.get(username="seed9_1").check_password("correct horse battery staple")


def test_seed_tags_follow_a_long_tailed_distribution():
    seed(photos=1500)
    seeded = PhotoTag.objects.filter(photo__owner__username__startswith="seed7_")
    counts = Counter(seeded.filter(source="auto").values_list("tag__name", flat=True))
    ranked = [count for _, count in counts.most_common()]
    assert counts.most_common(1)[0][0] == "dog"
    assert ranked[0] > 5 * ranked[len(ranked) // 2]  # a few common tags, a long tail
    assert counts["dog"] < 0.15 * 1500  # ... but no tag on most photos
    assert seeded.filter(source="hashtag").exists()
    assert seeded.values("photo__visibility").distinct().count() == 3


def test_seed_is_deterministic_and_refuses_to_run_twice():
    seed(photos=80, views=20)
    first = snapshot()
    with pytest.raises(CommandError):
        seed(photos=80, views=20)
    User.objects.filter(username__startswith="seed7_").delete()
    seed(photos=80, views=20)
    assert snapshot() == first
    seed(seed=8, photos=10, views=5)
    assert User.objects.filter(username__startswith="seed8_").count() == 30


def test_seeded_photos_are_searchable_best_first_and_only_when_visible():
    seed()
    results = list(search.photo_search(AnonymousUser(), "animals")[:50])
    assert results
    scores = [photo.score for photo in results]
    assert scores == sorted(scores, reverse=True)
    for photo in results:
        assert photo.visibility == "public" and not photo.owner.is_private
        assert any("animal" in pt.tag.categories for pt in photo.photo_tags.all())
    dogs = list(search.photo_search(AnonymousUser(), "dogs")[:20])
    assert dogs and all(any(pt.tag.name == "dog" for pt in photo.photo_tags.all()) for photo in dogs[:5])
    assert PhotoSearchTerm.objects.filter(term="dog").count() > PhotoSearchTerm.objects.filter(term="platypu").count()
