"""A varied first page: a few photos per tag, the rest after it, pages still without repeats."""

import pytest

from photos.explore.diversity import MAX_PER_TAG, first_page_varied, intra_list_diversity
from photos.explore.item_model import item_model_rebuild
from photos.explore.selectors import explore_for
from photos.limits import PAGE_SIZE
from tests.factories import PhotoTagFactory, TagFactory
from tests.helpers import crowd

pytestmark = pytest.mark.django_db


def test_first_page_varied_moves_a_tags_extras_after_the_page():
    items = ["a1", "a2", "a3", "b1", "a4", "b2"]
    assert first_page_varied(items, lambda item: item[0], page=3, per_tag=2) == ["a1", "a2", "b1", "a3", "a4", "b2"]
    # Too few tags to fill the page: filled in rank order rather than short.
    assert first_page_varied(["a1", "a2", "a3"], lambda item: item[0], page=3, per_tag=1) == ["a1", "a2", "a3"]


def test_intra_list_diversity_is_zero_for_one_tag_and_one_for_none_shared():
    assert intra_list_diversity([{1}, {1}, {1}]) == 0.0
    assert intra_list_diversity([{1}, {2}, {3}]) == 1.0
    assert intra_list_diversity([{1, 2}, {2}]) == pytest.approx(1 - 1 / 2**0.5)


def test_first_page_holds_at_most_max_per_tag_of_a_tag(user):
    beach, forest = TagFactory(name="beach"), TagFactory(name="forest")
    beaches = [PhotoTagFactory(tag=beach).photo for _ in range(MAX_PER_TAG + 3)]
    forests = [PhotoTagFactory(tag=forest).photo for _ in range(2)]
    for photo in beaches:
        crowd(5, photo)  # every beach photo is more viewed than any forest photo
    for photo in forests:
        crowd(1, photo)
    item_model_rebuild()
    first = explore_for(user, size=PAGE_SIZE)
    shown = [item.photo.pk for item in first.items]
    beach_ids = {photo.pk for photo in beaches}
    assert len([pk for pk in shown if pk in beach_ids]) == len(shown) - 2  # the page is filled...
    assert shown[MAX_PER_TAG] in {photo.pk for photo in forests}  # ...but forests come before the 5th beach
    scores = [item.score for item in first.items]
    assert scores == sorted(scores, reverse=True)
    # Smaller pages follow the varied order without repeats or gaps.
    pages, page = [], explore_for(user, size=3)
    while True:
        pages += [item.photo.pk for item in page.items]
        if page.next_cursor is None:
            break
        page = explore_for(user, size=3, after=page.next_cursor)
    assert pages == shown
