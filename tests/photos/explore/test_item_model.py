"""The offline item model: the array maths, the rebuild from the database, and its beat task."""

from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone
from scipy import sparse

from photos.explore import similarity
from photos.explore.item_model import WINDOW, item_model_rebuild
from photos.models import PhotoNeighbor, PhotoView, PopularPhoto
from photos.tasks import rebuild_item_model
from tests.factories import CommentFactory, LikeFactory, PhotoFactory, PhotoTagFactory, UserFactory


def test_top_k_per_group_keeps_the_best_of_each_group():
    groups = np.array([2, 1, 2, 1, 2, 1])
    scores = np.array([0.1, 0.9, 0.7, 0.3, 0.4, 0.5])
    best = similarity.top_k_per_group(groups, scores, 2)
    assert list(zip(groups[best].tolist(), scores[best].tolist(), strict=True)) == [
        (1, 0.9),
        (1, 0.5),
        (2, 0.7),
        (2, 0.4),
    ]


def _matrix(rows: list[list[float]]) -> sparse.csr_array:
    return sparse.csr_array(np.array(rows, dtype=np.float64))


def test_neighbours_are_cosines_of_audiences_with_enough_people_in_common():
    # people x photos 10, 20, 30: photos 10 and 20 share three people, 30 shares one with each.
    matrix = _matrix([[1, 1, 0], [1, 1, 0], [2, 1, 1], [0, 0, 1]])
    found = similarity.item_neighbours(matrix, np.array([10, 20, 30]), k=5, min_people=3)
    pairs = {
        (a, b): (round(s, 6), p)
        for a, b, s, p in zip(found.photo, found.neighbour, found.score, found.people, strict=True)
    }
    expected = round(4 / (np.sqrt(6) * np.sqrt(3)), 6)
    assert pairs == {(10, 20): (expected, 3), (20, 10): (expected, 3)}


def test_neighbours_are_the_same_whatever_the_block_size():
    rng = np.random.default_rng(7)
    matrix = sparse.random_array((60, 40), density=0.2, format="csr", rng=rng)
    photo_ids = np.arange(100, 140)
    whole = similarity.item_neighbours(matrix, photo_ids, k=3, min_people=3)
    blocked = similarity.item_neighbours(matrix, photo_ids, k=3, min_people=3, block_work=5)
    assert len(whole) > 0
    for a, b in [(whole.photo, blocked.photo), (whole.neighbour, blocked.neighbour), (whole.score, blocked.score)]:
        assert np.allclose(a, b)
    assert np.bincount(whole.photo - 100).max() <= 3 and not np.any(whole.photo == whole.neighbour)


@pytest.mark.parametrize("min_people", [1, 2])
def test_one_or_two_shared_people_are_refused_as_evidence(min_people):
    with pytest.raises(ValueError, match="at least 3"):
        similarity.item_neighbours(_matrix([[1, 1], [1, 1]]), np.array([1, 2]), k=5, min_people=min_people)


def test_most_recent_per_user_caps_long_histories():
    users = np.array([1, 1, 1, 2])
    ages = np.array([5.0, 1.0, 3.0, 9.0])
    assert sorted(similarity.most_recent_per_user(users, ages, 2).tolist()) == [1, 2, 3]


@pytest.mark.django_db
def test_rebuild_reads_views_likes_and_comments_and_replaces_the_model():
    a, b, c = PhotoFactory(), PhotoFactory(), PhotoFactory()
    PhotoTagFactory(photo=a)
    people = UserFactory.create_batch(4)
    for person in people:
        LikeFactory(user=person, photo=a)
        CommentFactory(author=person, photo=b)
    PhotoView.objects.create(user=people[0], photo=c)
    report = item_model_rebuild()
    assert (report.interactions, report.people, report.photos) == (9, 4, 3)
    pairs = set(PhotoNeighbor.objects.values_list("photo_id", "neighbor_id", "people"))
    assert pairs == {(a.pk, b.pk, 4), (b.pk, a.pk, 4)}
    site = list(PopularPhoto.objects.filter(tag=None).order_by("-score").values_list("photo_id", "week_views"))
    assert site == [(b.pk, 0), (a.pk, 0), (c.pk, 1)]  # comments outweigh likes, likes outweigh a view
    assert PopularPhoto.objects.filter(tag__isnull=False).get().photo_id == a.pk
    item_model_rebuild()
    assert PhotoNeighbor.objects.count() == 2 and PopularPhoto.objects.count() == 4


@pytest.mark.django_db
def test_rebuild_ignores_history_older_than_the_window_and_copes_with_none():
    assert item_model_rebuild().interactions == 0
    view = PhotoView.objects.create(user=UserFactory(), photo=PhotoFactory())
    PhotoView.objects.filter(pk=view.pk).update(viewed_at=timezone.now() - WINDOW - timedelta(days=1))
    assert item_model_rebuild().interactions == 0 and not PopularPhoto.objects.exists()


@pytest.mark.django_db
def test_beat_task_rebuilds_without_arguments():
    assert rebuild_item_model.apply().get()["interactions"] == 0
    schedule = settings.CELERY_BEAT_SCHEDULE["rebuild-item-model"]
    assert schedule["task"] == "photos.tasks.rebuild_item_model" and schedule["schedule"] == timedelta(minutes=30)


@pytest.mark.django_db
def test_owners_interactions_with_their_own_photos_are_not_counted():
    owner = UserFactory()
    first, second, lonely = (PhotoFactory(owner=owner) for _ in range(3))
    people = UserFactory.create_batch(3)
    for person in people:
        PhotoView.objects.create(user=person, photo=first)
        PhotoView.objects.create(user=person, photo=second)
    # The owner's likes, comments and views (older rows: views of one's own photos are no longer
    # recorded) of their own photos would make a fourth person in common, and make ``lonely`` popular.
    for photo in (first, second, lonely):
        LikeFactory(user=owner, photo=photo)
        CommentFactory(author=owner, photo=photo)
        PhotoView.objects.create(user=owner, photo=photo)
    report = item_model_rebuild()
    assert (report.interactions, report.people) == (6, 3)
    assert not PhotoNeighbor.objects.exists()  # three people in common are not four
    assert set(PopularPhoto.objects.values_list("photo_id", flat=True)) == {first.pk, second.pk}
    assert set(PopularPhoto.objects.values_list("week_views", flat=True)) == {3}
    PhotoView.objects.create(user=UserFactory(), photo=first)
    PhotoView.objects.create(user=PhotoFactory().owner, photo=second)
    PhotoView.objects.create(user=people[0], photo=lonely)
    LikeFactory(user=owner, photo=PhotoFactory())  # the owner's taste for someone else's photo counts
    assert item_model_rebuild().interactions == 10


def test_neighbours_of_some_photos_only_are_those_of_the_full_computation():
    rng = np.random.default_rng(3)
    matrix = sparse.csr_array((rng.random((40, 12)) < 0.5) * rng.random((40, 12)))
    ids = np.arange(100, 112)
    full = similarity.item_neighbours(matrix, ids, k=4, min_people=3)
    part = similarity.item_neighbours(matrix, ids, k=4, min_people=3, only=np.array([2, 7]))
    expected = {(p, n): s for p, n, s in zip(full.photo, full.neighbour, full.score, strict=True) if p in (102, 107)}
    found = {(p, n): s for p, n, s in zip(part.photo, part.neighbour, part.score, strict=True)}
    assert found.keys() == expected.keys() and all(np.isclose(found[key], expected[key]) for key in found)
    # Norms given from outside (the site-wide ones a partial matrix lacks) are the ones used.
    halved = similarity.item_neighbours(
        matrix, ids, k=4, min_people=3, only=np.array([2]), norms=similarity.column_norms(matrix) * 2
    )
    assert np.allclose(halved.score, [expected[key] / 4 for key in zip(halved.photo, halved.neighbour, strict=True)])


def test_a_photo_is_kept_in_the_lists_of_its_closest_photos_only():
    found = similarity.Neighbours(
        photo=np.array([1, 2, 3, 1]),
        neighbour=np.array([9, 9, 9, 8]),
        score=np.array([0.2, 0.9, 0.5, 0.1]),
        people=np.array([4, 4, 4, 4]),
    )
    kept = similarity.listed_at_most(found, 2)
    assert sorted(zip(kept.photo.tolist(), kept.neighbour.tolist(), strict=True)) == [(1, 8), (2, 9), (3, 9)]
