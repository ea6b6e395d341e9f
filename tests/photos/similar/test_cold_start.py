"""Item cold start: a photo nobody has viewed is offered to people who viewed photos it looks like."""

import pytest

from photos.explore.refresh import item_model_refresh
from photos.explore.selectors import explore_for
from tests.factories import UserFactory
from tests.helpers import view
from tests.photos.similar.conftest import post, sample_image

pytestmark = pytest.mark.django_db


def test_a_never_viewed_photo_that_looks_like_what_i_viewed_is_offered_with_its_reason(user):
    poster, other = UserFactory(), UserFactory()
    cat = sample_image("chelsea")
    seen_cat = post(poster, cat)
    w, h = cat.size
    new_cat = post(other, cat.crop((0, int(h * 0.1), int(w * 0.9), h)))
    new_coffee = post(other, sample_image("coffee"))
    view(user, seen_cat)

    items = {item.photo.pk: item for item in explore_for(user).items}

    assert [r.text for r in items[new_cat.pk].reasons] == ["Looks like photos you viewed"]
    if new_coffee.pk in items:
        assert [r.kind for r in items[new_coffee.pk].reasons] != ["looks_like"]
    assert seen_cat.pk not in items
    # Once someone has viewed it, it is no longer a cold photo: other sources take it from there
    # when the item model takes the view in (Celery beat's refresh), which also re-ranks Explore.
    view(UserFactory(), new_cat)
    item_model_refresh()
    again = {item.photo.pk: item for item in explore_for(user).items}
    assert [r.kind for r in again[new_cat.pk].reasons] != ["looks_like"]


def test_nothing_to_go_on_offers_no_look_alikes(user):
    post(UserFactory(), sample_image("chelsea"))

    assert all(r.kind != "looks_like" for item in explore_for(user).items for r in item.reasons)
