"""Searches of several words: the photos near the top of each word's list first (Fagin's threshold algorithm),
else the best matches checked for the viewer (photos.search.best_first, kept for the next viewer), else every
match ranked.

Whenever either answers, the pages must be exactly those of ranking every match; the lists here are
made longer than TOP_PER_KEY and than the best matches checked, with ties in weight and in time, and
with private photos at the top, so answers and fallbacks both happen.
"""

import random
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from photos.models import Photo
from photos.search import best_first, threshold
from photos.search import selectors as search
from photos.search.index import photo_search_document_refresh
from photos.search.text import parse_query
from tests.factories import UserFactory
from tests.helpers import service_required
from tests.photos.search.test_search import tagged

pytestmark = pytest.mark.django_db

QUERIES = [
    "animal pet",
    "pet animal",
    "dog animal",
    "animal beach",
    "pet beach sunset",
    "cat pet animal",
    "golden retriever",
    "retriever pet",
]


@pytest.fixture
def site():
    if connection.vendor != "postgresql":
        service_required("PostgreSQL", "the threshold path is PostgreSQL's (DATABASE_URL)")
    rng = random.Random(7)
    owner, stranger = UserFactory(), UserFactory()
    kinds = [("dog", ["animal", "pet"]), ("cat", ["animal", "pet"]), ("bird", ["animal"]), ("car", ["vehicle"])]
    kinds += [("golden retriever", ["animal", "pet"]), ("golden eagle", ["animal"])]
    now = timezone.now()
    for i in range(48):
        name, categories = rng.choice(kinds)
        # Many photos at full confidence and several at the same instant: ties in score and in time.
        confidence = 1.0 if i % 3 == 0 else round(rng.uniform(0.3, 1.0), 2)
        caption = rng.choice(["", "at the beach", "beach sunset", "sunset"])
        photo = tagged((name, categories, {"confidence": confidence}), caption=caption)
        Photo.objects.filter(pk=photo.pk).update(created_at=now - timedelta(minutes=i // 4))
        photo_search_document_refresh(photo.pk)  # the index keeps a copy of created_at
    # A stranger's private photo at the very top of every list: never found by anyone else.
    private = tagged(("dog", ["animal", "pet"], {"confidence": 1.0}), caption="beach sunset", owner=stranger)
    Photo.objects.filter(pk=private.pk).update(visibility=Photo.Visibility.PRIVATE)
    return owner, private


@pytest.fixture(autouse=True)
def compiled_afresh():
    """The compiled queries hold TOP_PER_KEY and CANDIDATES_PER_ROW as they were: compile with the patched ones."""
    compiled = (threshold._tops_query, best_first._best_query, best_first._checked_query, search._several_words_query)
    for queries in compiled:
        queries.cache_clear()
    yield
    for queries in compiled:
        queries.cache_clear()


def ranked_every_match(viewer, query: str, size: int, monkeypatch) -> list[list[int]]:
    with monkeypatch.context() as patched:
        patched.setattr(threshold, "applies", lambda *a: False)
        return all_pages(viewer, query, size)


def spy(monkeypatch, module, name) -> list:
    """Record what ``module.name`` answers, call by call."""
    answers, real = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a: answers.append(real(*a)) or answers[-1])
    return answers


def all_pages(viewer, query: str, size: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = search.search_page(viewer, parse_query(query), cursor=cursor, size=size)
        pages.append([photo.pk for photo in page.photos])
        if not (cursor := page.next_cursor):
            return pages


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("top", [2, 5, 12])
def test_the_threshold_gives_exactly_the_pages_of_ranking_every_match(site, monkeypatch, query, top):
    viewer, private = site
    expected = ranked_every_match(viewer, query, 3, monkeypatch)
    monkeypatch.setattr(threshold, "TOP_PER_KEY", top)
    answers = spy(monkeypatch, threshold, "from_the_tops")
    assert all_pages(viewer, query, size=3) == expected
    assert private.pk not in sum(expected, [])
    assert answers  # the threshold was tried on every page


def test_the_threshold_answers_where_words_go_together_and_falls_back_where_not(site, monkeypatch):
    viewer, _ = site
    monkeypatch.setattr(threshold, "TOP_PER_KEY", 12)
    assert threshold.from_the_tops(viewer, parse_query("animal pet"), None, 3)
    # Sunset beach photos are few among the animals' first 2: the bound cannot be proven.
    monkeypatch.setattr(threshold, "TOP_PER_KEY", 2)
    assert threshold.from_the_tops(viewer, parse_query("pet beach sunset"), None, 3) is None


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("per_row", [1, 2])
def test_the_best_matches_give_exactly_the_pages_of_ranking_every_match(site, monkeypatch, query, per_row):
    viewer, private = site
    expected = ranked_every_match(viewer, query, 3, monkeypatch)
    monkeypatch.setattr(threshold, "from_the_tops", lambda *a: None)
    monkeypatch.setattr(best_first, "CANDIDATES_PER_ROW", per_row)
    answers = spy(monkeypatch, best_first, "best_matches")
    assert all_pages(viewer, query, size=3) == expected
    assert private.pk not in sum(expected, [])
    assert any(answer is not None for answer in answers)  # answered from the best matches


def test_best_matches_hidden_from_the_viewer_fall_back_to_ranking_every_match(site, monkeypatch):
    viewer, _ = site
    stranger = UserFactory()
    for _ in range(4):  # at the top of "dog beach", private: the best 4 matches are none of the viewer's
        hidden = tagged(("dog", ["animal", "pet"], {"confidence": 1.0}), caption="beach sunset", owner=stranger)
        Photo.objects.filter(pk=hidden.pk).update(visibility=Photo.Visibility.PRIVATE)
    expected = ranked_every_match(viewer, "dog beach", 3, monkeypatch)
    assert expected and expected[0]
    monkeypatch.setattr(threshold, "from_the_tops", lambda *a: None)
    monkeypatch.setattr(best_first, "CANDIDATES_PER_ROW", 1)
    assert best_first.best_matches(viewer, parse_query("dog beach"), None, 3) is None
    assert all_pages(viewer, "dog beach", size=3) == expected
    # Their owner sees them, from the best matches.
    mine = best_first.best_matches(stranger, parse_query("dog beach"), None, 3)
    assert mine is not None and {photo.owner_id for photo in mine} == {stranger.pk}


@pytest.fixture
def without_the_threshold(monkeypatch):
    monkeypatch.setattr(threshold, "from_the_tops", lambda *a: None)
    monkeypatch.setattr(best_first, "CANDIDATES_PER_ROW", 2)


@pytest.mark.parametrize("query", ["animal pet", "pet beach sunset", "golden retriever"])
def test_kept_best_matches_give_the_next_viewer_their_own_exact_pages(site, monkeypatch, without_the_threshold, query):
    viewer, private = site
    stranger = private.owner  # sees their private photo, which the viewer never does
    expected = {who: ranked_every_match(who, query, 3, monkeypatch) for who in (viewer, stranger)}
    assert private.pk in sum(expected[stranger], []) or private.pk not in sum(expected[viewer], [])
    ranked = spy(monkeypatch, best_first, "best_matches")
    assert all_pages(viewer, query, size=3) == expected[viewer]
    ranked_pages = len(ranked)
    kept = spy(monkeypatch, best_first, "kept_matches")
    assert all_pages(stranger, query, size=3) == expected[stranger]
    assert any(answer is not None for answer in kept)  # answered from what the viewer's search kept
    assert len(ranked) < 2 * ranked_pages  # and ranked fewer times than without keeping
    assert all_pages(viewer, query, size=3) == expected[viewer]


def test_kept_best_matches_are_checked_live_for_each_viewer(site, monkeypatch, without_the_threshold):
    viewer, _ = site
    other = UserFactory()
    before = all_pages(viewer, "animal pet", size=3)
    first, second = before[0][0], before[0][1]
    assert cache.get(best_first.candidates_key(parse_query("animal pet"), None, 3)) is not None
    Photo.objects.filter(pk=first).update(visibility=Photo.Visibility.PRIVATE)  # hidden after being kept
    Photo.objects.get(pk=second).delete()
    pages = all_pages(other, "animal pet", size=3)
    assert first not in sum(pages, []) and second not in sum(pages, [])
    assert pages == ranked_every_match(other, "animal pet", 3, monkeypatch)
    assert first in sum(all_pages(Photo.objects.get(pk=first).owner, "animal pet", size=3), [])


def test_a_new_photo_joins_a_kept_search_when_its_best_matches_expire(
    site, monkeypatch, without_the_threshold, settings
):
    viewer, _ = site
    all_pages(viewer, "animal pet", size=3)
    newest = tagged(("dog", ["animal", "pet"], {"confidence": 1.0}), caption="beach sunset")
    assert newest.pk not in all_pages(viewer, "animal pet", size=3)[0]  # kept: not yet
    cache.clear()  # SEARCH_CANDIDATES_SECONDS later
    assert all_pages(viewer, "animal pet", size=3)[0][0] == newest.pk
    settings.SEARCH_CANDIDATES_SECONDS = 0  # nothing kept: at once
    cache.clear()
    all_pages(viewer, "animal pet", size=3)
    latest = tagged(("dog", ["animal", "pet"], {"confidence": 1.0}), caption="beach sunset")
    assert all_pages(viewer, "animal pet", size=3)[0][0] == latest.pk
    assert cache.get(best_first.candidates_key(parse_query("animal pet"), None, 3)) is None
