"""The incremental refresh: Explore reacts to a new interaction within a minute, without a full rebuild."""

from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from photos.explore import model_state, refresh
from photos.explore.item_model import item_model_rebuild
from photos.explore.refresh import item_model_refresh
from photos.explore.selectors import explore_for
from photos.models import PhotoNeighbor, PopularPhoto
from photos.tasks import build_item_model_when_missing, refresh_item_model
from tests.factories import LikeFactory, PhotoFactory, UserFactory
from tests.helpers import crowd, view

pytestmark = pytest.mark.django_db


def co_view_reasons(viewer) -> dict[int, int]:
    """Return {photo id: anchor} of the co-view reasons Explore gives ``viewer``."""
    return {
        item.photo.pk: reason.photo_id
        for item in explore_for(viewer, size=100).items
        for reason in item.reasons
        if reason.kind == "co_view"
    }


def no_full_rebuild(monkeypatch) -> None:
    def refuse(**kwargs):
        raise AssertionError("the refresh must not rebuild in full when a model exists")

    monkeypatch.setattr(refresh, "item_model_rebuild", refuse)


def test_refresh_runs_in_beat_at_least_once_a_minute():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "photos.tasks.refresh_item_model")
    assert entry["schedule"] <= timedelta(seconds=60)


def test_new_co_views_reach_explore_at_the_next_refresh_without_a_rebuild(user, monkeypatch):
    a, b, elsewhere = PhotoFactory(caption="Harbour"), PhotoFactory(), PhotoFactory()
    crowd(4, elsewhere)
    item_model_rebuild()  # the model as beat left it, before anybody viewed A and B together
    crowd(4, a, b)  # four people in common: three besides an asker presumed one of them
    view(user, a)
    assert b.pk not in co_view_reasons(user)
    no_full_rebuild(monkeypatch)
    report = item_model_refresh()
    assert not report.full_rebuild and report.touched == 2
    assert co_view_reasons(user)[b.pk] == a.pk
    # Somebody new is offered B from A too: the rows serve everybody.
    newcomer = UserFactory()
    view(newcomer, a)
    assert co_view_reasons(newcomer)[b.pk] == a.pk


def test_three_people_in_common_are_still_not_enough_after_a_refresh(user, monkeypatch):
    a, b = PhotoFactory(), PhotoFactory()
    crowd(4, PhotoFactory())
    item_model_rebuild()
    crowd(3, a, b)
    view(user, a)
    no_full_rebuild(monkeypatch)
    item_model_refresh()
    assert not PhotoNeighbor.objects.exists() and b.pk not in co_view_reasons(user)


def test_a_like_after_the_build_updates_the_pair_as_a_rebuild_would(user):
    photos = [PhotoFactory() for _ in range(4)]
    crowd(4, *photos[:3])
    crowd(5, photos[2], photos[3])
    item_model_rebuild()
    for person in UserFactory.create_batch(4):
        LikeFactory(user=person, photo=photos[0])
        LikeFactory(user=person, photo=photos[3])
    assert not item_model_refresh().full_rebuild

    def rows(photo_id):
        found = PhotoNeighbor.objects.filter(photo_id=photo_id).values_list("neighbor_id", "score", "people")
        return {other: (round(score, 6), people) for other, score, people in found}

    refreshed = {photo.pk: rows(photo.pk) for photo in (photos[0], photos[3])}
    assert refreshed[photos[0].pk][photos[3].pk][1] == 4  # the new pair, from the likes
    item_model_rebuild()
    for photo_id, neighbours in refreshed.items():
        rebuilt = rows(photo_id)
        assert set(rebuilt) == set(neighbours)
        for other, (score, people) in rebuilt.items():
            assert neighbours[other][1] == people and np.isclose(neighbours[other][0], score, atol=1e-4)


def test_refresh_builds_in_full_when_there_is_no_model():
    crowd(2, PhotoFactory())
    model_state.state_clear()
    report = item_model_refresh()
    assert report.full_rebuild and PopularPhoto.objects.exists()
    assert model_state.watermark_get() == model_state.latest_ids()
    assert item_model_refresh().touched == 0  # nothing new since


def test_a_starting_worker_builds_the_missing_model(monkeypatch):
    crowd(2, PhotoFactory())
    model_state.state_clear()
    monkeypatch.setattr(refresh_item_model, "delay", lambda: refresh_item_model.apply())  # no broker in tests
    build_item_model_when_missing(sender=None)
    assert PopularPhoto.objects.exists()


def test_seeding_a_site_builds_the_item_model():
    call_command("seed", users=20, photos=30, follows=10, views=300, seed=7, verbosity=0)
    assert PopularPhoto.objects.exists() and model_state.watermark_get() == model_state.latest_ids()


def test_the_demo_builds_the_item_model(django_capture_on_commit_callbacks):
    model_state.state_clear()
    with django_capture_on_commit_callbacks():  # the photos' tagging is queued, not run
        call_command("demo")
    assert model_state.watermark_get() == model_state.latest_ids()
