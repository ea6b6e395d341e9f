"""Co-views never single out what one person viewed: three people besides the asker behind each one."""

import pytest

from photos.explore import item_model
from photos.explore import services as explore_services
from photos.explore.history import recent_history, taste_profile
from photos.explore.item_model import item_model_rebuild
from photos.explore.scoring import evidence_read
from photos.explore.selectors import ranked_for
from photos.models import PhotoNeighbor
from tests.factories import LikeFactory, PhotoFactory, UserFactory
from tests.helpers import crowd, view

pytestmark = pytest.mark.django_db


def co_views(viewer) -> dict[int, int]:
    """Return {recommended photo id: anchor photo id} of every co-view reason ``viewer`` gets."""
    return {pk: r.photo_id for pk, _, reasons in ranked_for(viewer) for r in reasons if r.kind == "co_view"}


def co_view_evidence(viewer) -> int:
    """Return how many neighbour pairs of ``viewer``'s history Explore reads to score co-views."""
    profile = taste_profile(recent_history(viewer))
    return len(evidence_read(profile, co_view=True, content=False).neighbours)


@pytest.fixture
def site():
    """The victim viewed a photo people know they looked at (``known``) and one nobody should learn
    of (``secret``); decoys are photos the attackers look at too."""
    victim = UserFactory(username="victim")
    known, secret = PhotoFactory(caption="Known"), PhotoFactory(caption="Secret")
    decoys = PhotoFactory.create_batch(3)
    view(victim, known, secret, days_ago=1)
    return {"victim": victim, "known": known, "secret": secret, "decoys": decoys}


def test_one_fake_account_does_not_reveal_what_the_victim_viewed(user, site):
    # The asker and one fake account: the fake views the known photo and everything else.
    fake = UserFactory(username="fake")
    view(fake, site["known"], site["secret"], *site["decoys"], days_ago=1)
    view(user, site["known"])
    item_model_rebuild()
    assert not PhotoNeighbor.objects.filter(photo=site["known"]).exists()
    assert not co_view_evidence(user)
    assert co_views(user) == {}


def test_the_asker_and_one_fake_account_counted_in_the_model_are_not_enough(user, site):
    # The asker keeps a like on the known photo and views everything, as does one fake account;
    # the item model counts them, then the asker clears their views so every photo is unseen again.
    fake = UserFactory(username="fake")
    for account in [user, fake]:
        view(account, site["known"], site["secret"], *site["decoys"], days_ago=1)
    LikeFactory(user=user, photo=site["known"])
    item_model_rebuild()
    explore_services.view_history_clear(user=user)
    assert not co_view_evidence(user)
    assert co_views(user) == {}


@pytest.mark.parametrize(("others", "shown"), [(2, False), (3, True)])
def test_the_boundary_is_three_people_besides_an_asker_counted_in_the_model(user, others, shown):
    anchor, together = PhotoFactory(), PhotoFactory()
    LikeFactory(user=user, photo=anchor)
    view(user, together, days_ago=1)
    crowd(others, anchor, together)
    item_model_rebuild()
    explore_services.view_history_clear(user=user)
    assert (together.pk in co_views(user)) is shown


@pytest.mark.parametrize(("others", "shown"), [(3, False), (4, True)])
def test_an_asker_never_counted_is_still_presumed_one_of_the_people(user, others, shown):
    # A request cannot tell a cleared view from none, so three others alone are not enough.
    anchor, together = PhotoFactory(), PhotoFactory()
    view(user, anchor)
    crowd(others, anchor, together)
    item_model_rebuild()
    assert (together.pk in co_views(user)) is shown


def test_rows_of_a_model_built_with_a_lower_threshold_are_not_used(user, site, monkeypatch):
    # An item model built before this rule (pairs of two people) is read until the next rebuild.
    monkeypatch.setattr(item_model, "MIN_PEOPLE_IN_COMMON", 3)
    fake = UserFactory(username="fake")
    view(fake, site["known"], site["secret"], days_ago=1)
    LikeFactory(user=user, photo=site["known"])
    view(user, site["secret"], days_ago=1)
    item_model_rebuild()
    explore_services.view_history_clear(user=user)
    assert PhotoNeighbor.objects.get(photo=site["known"], neighbor=site["secret"]).people == 3
    assert not co_view_evidence(user)
    assert co_views(user) == {}
