import base64
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from photos import services
from photos.models import Block, Photo, PhotoSearchTerm, PhotoTag
from photos.search import selectors as search
from photos.search.index import TagEvidence, photo_search_document_refresh, photo_terms
from photos.search.text import fold, name_key, parse_query, word_key
from photos.tagging import photos_auto_tags_replace
from recognition.taxonomy import TagPrediction
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, TagFactory, UserFactory
from tests.helpers import client_for, jpeg_bytes, processed

pytestmark = pytest.mark.django_db

# What the CNN writes for skimage's chelsea (see DESIGN.md): one tag, three cat classes.
CHELSEA_CLASSES = [
    {"name": "tiger cat", "score": 0.5},
    {"name": "tabby", "score": 0.25},
    {"name": "Egyptian cat", "score": 0.15},
]


def tagged(*tags, caption="", age_days=0, **photo_fields) -> Photo:
    """Create a photo with tags given as (name, categories, extra PhotoTag fields) and index it."""
    photo = PhotoFactory(caption=caption, **photo_fields)
    if age_days:
        Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    for name, categories, *extra in tags:
        tag = TagFactory(name=name, categories=list(categories))
        PhotoTagFactory(photo=photo, tag=tag, **(extra[0] if extra else {}))
    photo_search_document_refresh(photo.pk)
    photo.refresh_from_db()
    return photo


def chelsea(**photo_fields) -> Photo:
    return tagged(("cat", ["animal", "pet"], {"confidence": 0.9, "classes": CHELSEA_CLASSES}), **photo_fields)


def found(query, viewer=None) -> list[int]:
    return list(search.photo_search(viewer or AnonymousUser(), query).values_list("pk", flat=True))


# Text folding and query parsing


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("cat", "cats"),
        ("flower", "flowers"),
        ("daisy", "daisies"),
        ("box", "boxes"),
        ("glass", "glasses"),
        ("horse", "horses"),
        ("shoe", "shoes"),
        ("movie", "movies"),
        ("bus", "buses"),
        ("toy", "toys"),
        ("potato", "potatoes"),
        ("mouse", "mice"),
        ("person", "people"),
        ("leaf", "leaves"),
        ("butterfly", "butterflies"),
    ],
)
def test_singular_and_plural_share_a_key(singular, plural):
    assert word_key(singular) == word_key(plural)
    assert word_key(word_key(plural)) == word_key(plural) or word_key(singular) == word_key(plural)


def test_case_and_accents_fold_away():
    assert fold("Crème BRÛLÉE") == "creme brulee"
    assert name_key("Café") == name_key("cafe") == name_key("CAFES")
    assert name_key("Egyptian cat") == "egyptian cat"


@pytest.mark.parametrize("raw", ["", "x" * 500, "'&|!():*", "🐱🐶", "\x00", '"', '""', 'a"b', "the of and", "é" * 300])
def test_parse_query_never_raises(raw):
    query = parse_query(raw)
    assert len(query.terms) <= 6


def test_parse_query_words_phrases_and_stopwords():
    query = parse_query('"First espresso" of the DAY 🐱 #caturday')
    assert query.terms == ("first", "espresso", "day", "caturday")
    assert query.phrases == ("first espresso",)
    assert "first espresso" in query.pairs and "of the" not in query.pairs


def test_index_weights_put_tags_over_categories_over_classes_over_captions():
    terms = photo_terms(
        "my cat on the sofa",
        [TagEvidence("cat", ["animal", "pet"], "auto", 0.9, CHELSEA_CLASSES)],
    )
    assert terms["cat"] > terms["animal"] == terms["pet"] > terms["tabbi"] > terms["tiger"] > terms["sofa"]
    assert terms["tiger cat"] == terms["tabbi"] + 0.125  # the whole class name, by its score
    assert "the" not in terms and "on" not in terms


# Relevance


@pytest.mark.parametrize(
    "query", ["cat", "cats", "Cats", "animal", "animals", "pet", "tabby", "Tabby", "TABBY", "tiger cat"]
)
def test_chelsea_as_the_cnn_tags_it_is_found_by_tag_category_and_class(query):
    photo = chelsea()
    tagged(("dog", ["animal", "pet"]))
    assert photo.pk in found(query)


def test_chelsea_is_not_found_by_what_it_is_not():
    chelsea()
    assert found("dog") == [] and found("tabby dog") == [] and found("persian") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("daisy", {"daisy"}),
        ("daisies", {"daisy"}),
        ("flowers", {"daisy"}),
        ("plant", {"daisy"}),
        ("espresso", {"espresso"}),
        ("coffee", {"espresso"}),
        ("drinks", {"espresso"}),
        ("food", {"espresso"}),
        ("nature", {"daisy"}),
    ],
)
def test_fine_classes_tags_and_categories_from_the_taxonomy(query, expected):
    photos = {
        "daisy": tagged(("flower", ["plant", "nature"], {"classes": [{"name": "daisy", "score": 0.8}]})),
        "espresso": tagged(("coffee", ["drink", "food"], {"classes": [{"name": "espresso", "score": 0.95}]})),
    }
    assert set(found(query)) == {photos[name].pk for name in expected}


def test_tag_beats_category_beats_class_beats_caption_whatever_confidence_and_age():
    by_tag = tagged(("bird", ["animal"], {"confidence": 0.31}), age_days=30)
    by_category = tagged(("parrot", ["bird", "animal"], {"confidence": 0.99}), age_days=20)
    by_class = tagged(
        ("garden", ["nature"], {"confidence": 0.99, "classes": [{"name": "bird", "score": 0.99}]}), age_days=10
    )
    by_caption = tagged(caption="A bird on my window")
    assert found("birds") == [by_tag.pk, by_category.pk, by_class.pk, by_caption.pk]
    scores = list(search.photo_search(AnonymousUser(), "bird").values_list("score", flat=True))
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4


def test_higher_confidence_and_owner_tags_rank_higher_and_recency_breaks_ties():
    unsure = tagged(("cat", ["animal"], {"confidence": 0.4}))
    sure = tagged(("cat", ["animal"], {"confidence": 0.95}), age_days=100)
    owner_says = tagged(("cat", ["animal"], {"source": PhotoTag.Source.USER, "confidence": 1.0}), age_days=200)
    old_tie = tagged(("cat", ["animal"], {"confidence": 0.7}), age_days=50)
    new_tie = tagged(("cat", ["animal"], {"confidence": 0.7}), age_days=5)
    assert found("cat") == [owner_says.pk, sure.pk, new_tie.pk, old_tie.pk, unsure.pk]


def test_a_word_of_a_longer_name_ranks_below_the_name_itself():
    hot_dog = tagged(("hot dog", ["food"], {"confidence": 0.9}))
    dog = tagged(("dog", ["animal", "pet"], {"confidence": 0.6}), caption="A hot afternoon")
    assert found("dog") == [dog.pk, hot_dog.pk]
    assert found("hot dogs") == [hot_dog.pk, dog.pk]


def test_several_words_narrow_the_result():
    both = chelsea(caption="Asleep on the sofa")
    chelsea(caption="Asleep in the garden")
    tagged(caption="An empty sofa")
    assert found("cat sofa") == [both.pk]
    assert found("tabby sofas asleep") == [both.pk]
    assert found("cat sofa moon") == []


def test_quoted_phrases_match_captions_in_order():
    first = tagged(caption="First espresso of the day!")
    other = tagged(caption="Espresso first, then the day begins")
    assert set(found("first espresso")) == {first.pk, other.pk}
    assert found('"first espresso"') == [first.pk]
    assert found('"FIRST espressos" day') == [first.pk]
    assert found('"espresso of"') == [first.pk] and found('"day first"') == []


def test_a_quoted_name_matches_the_name():
    photo = chelsea()
    assert found('"tiger cat"') == [photo.pk]
    assert found('"cat tiger"') == []


def test_case_and_accents_do_not_matter_in_captions_and_hashtags():
    photo = tagged(("café", []), caption="Crème brûlée at the CAFÉ")
    for query in ["creme", "BRULEE", "cafe", "Café", "cafés", "crème brûlée"]:
        assert found(query) == [photo.pk], query


def test_hashtags_are_found_and_follow_caption_edits(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        photo = services.photo_create(owner=user, image=io.BytesIO(jpeg_bytes()), caption="Nap time #Caturday")
    assert found("caturday") == [] and found("caturday", viewer=user) == [photo.pk]  # others wait for the worker
    processed(photo)
    assert found("caturday") == [photo.pk] and found("nap") == [photo.pk]
    services.photo_update(photo=photo, caption="Awake #mondays")
    assert found("caturday") == [] and found("monday") == [photo.pk]
    assert [
        m.match for m in search.search_page(user, parse_query("mondays"), cursor=None, size=5).photos[0].matched_tags
    ] == ["tag"]


def test_cnn_tags_are_indexed_when_the_worker_writes_them(photo):
    prediction = TagPrediction("cat", ("animal", "pet"), 0.9, (("tiger cat", 0.5), ("tabby", 0.25)), "tag:cat")
    photos_auto_tags_replace(results=[(photo, [prediction])], model_version="m", taxonomy_version="1")
    assert found("tabby") == [photo.pk] and found("animals") == [photo.pk]
    photos_auto_tags_replace(results=[(photo, [])], model_version="m", taxonomy_version="1")
    assert found("tabby") == [] and not PhotoSearchTerm.objects.filter(photo=photo, term="cat").exists()


def test_match_reasons_explain_each_result():
    photo = chelsea(caption="My cat")
    page = search.search_page(AnonymousUser(), parse_query("tabby"), cursor=None, size=5)
    [reason] = page.photos[0].matched_tags
    assert (reason.name, reason.match, reason.on) == ("cat", "class", "tabby")
    assert page.photos[0].caption_match is False and page.photos[0].pk == photo.pk
    page = search.search_page(AnonymousUser(), parse_query("animal cat"), cursor=None, size=5)
    assert [(r.match, r.on) for r in page.photos[0].matched_tags] == [("tag", "cat")]
    assert page.photos[0].caption_match is True


# Visibility


@pytest.fixture
def world():
    """An owner with a cat photo of each visibility (and a hidden one), a follower and a stranger."""
    owner = UserFactory(username="owner")
    follower, stranger = UserFactory(username="follower"), UserFactory(username="stranger")
    FollowFactory(follower=follower, followee=owner)
    photos = {v: chelsea(owner=owner, visibility=v) for v in Photo.Visibility.values}
    photos["hidden"] = chelsea(owner=owner, is_hidden=True)
    return owner, follower, stranger, photos


EXPECTED_VISIBLE = {
    "anonymous": {"public"},
    "stranger": {"public"},
    "follower": {"public", "followers"},
    "owner": {"public", "followers", "private", "hidden"},
}


def _viewer(world, who):
    owner, follower, stranger, _ = world
    return {"anonymous": AnonymousUser(), "stranger": stranger, "follower": follower, "owner": owner}[who]


@pytest.mark.parametrize("who", list(EXPECTED_VISIBLE))
def test_search_tag_pages_and_counts_show_only_what_the_viewer_may_see(world, who, client):
    viewer = _viewer(world, who)
    photos = world[3]
    expected = {photos[name].pk for name in EXPECTED_VISIBLE[who]}
    api = client_for(viewer) if viewer.is_authenticated else client_for(None)
    if viewer.is_authenticated:
        client.force_login(viewer)
    for query in ["cat", "animals", "tabby", '"tiger cat"']:
        assert set(found(query, viewer)) == expected
        body = api.get("/api/v1/search/", {"q": query}).json()
        assert {r["id"] for r in body["results"]} == expected
    assert {r["id"] for r in api.get("/api/v1/tags/cats/photos/").json()["results"]} == expected
    assert api.get("/api/v1/tags/").json()["results"] == [
        {"name": "cat", "categories": ["animal", "pet"], "photo_count": len(expected)}
    ]
    for url in ["/search/?q=cat", "/tags/cat/"]:
        html = client.get(url).content.decode()
        shown = {pk for pk in (p.pk for p in photos.values()) if f'href="/p/{pk}/"' in html}
        assert shown == expected


def test_a_several_word_search_kept_compiled_answers_each_viewer_with_what_they_may_see(world):
    # The SQL of a several-word (or quoted) search is compiled once per process and search text;
    # the viewer is a parameter. Every viewer in turn, twice, in the same process:
    photos = world[3]
    for _ in range(2):
        for who in ["owner", "stranger", "anonymous", "follower"]:
            expected = {photos[name].pk for name in EXPECTED_VISIBLE[who]}
            for query in ["cat animal", "tabby cat", '"tiger cat"']:
                viewer, pages, cursor = _viewer(world, who), [], None
                while cursor or not pages:  # pages of one: the position is a parameter too
                    page = search.search_page(viewer, parse_query(query), cursor=cursor, size=1)
                    pages.append([photo.pk for photo in page.photos])
                    cursor = page.next_cursor
                assert [pk for page in pages for pk in page] == sorted(expected, reverse=True), (who, query)


def test_private_accounts_blocks_and_pending_requests_hide_from_search_and_counts(world):
    owner, follower, stranger, photos = world
    owner.is_private = True
    owner.save()
    FollowFactory(follower=stranger, followee=owner, status="pending")
    assert found("cat", stranger) == [] and found("cat") == []
    assert search.popular_tags(stranger) == [] and search.popular_tags(AnonymousUser(), "c") == []
    assert set(found("cat", follower)) == {photos["public"].pk, photos["followers"].pk}
    Block.objects.create(blocker=owner, blocked=follower)
    assert found("cat", follower) == [] and list(search.tag_photos(follower, "cat")) == []


def test_a_tag_only_on_private_photos_is_not_suggested_and_its_page_looks_empty(user, other_user, client):
    tagged(("secretproject", []), owner=other_user, visibility="private")
    assert search.popular_tags(user, "secret") == []
    body = client_for(user).get("/api/v1/tags/secretproject/photos/").json()
    assert body == {"results": [], "next": None}
    assert client.get("/tags/secretproject/").status_code == client.get("/tags/nosuchtag/").status_code == 200


# API and pages


def test_search_api_returns_scores_matched_tags_and_pages_by_cursor(api):
    photos = [chelsea(age_days=i) for i in range(5)] + [tagged(caption="cat nap")]
    response = api.get("/api/v1/search/", {"q": "cats", "page_size": 2})
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert first["id"] == photos[0].pk and first["score"] > 8
    assert first["matched_tags"] == [{"name": "cat", "source": "auto", "confidence": 0.9, "match": "tag", "on": "cat"}]
    assert first["tags"][0]["classes"][1]["name"] == "tabby"  # the usual photo fields are all there
    seen = [r["id"] for r in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen += [r["id"] for r in body["results"]]
    assert seen == [p.pk for p in photos]
    assert api.get("/api/v1/search/", {"q": "cat", "cursor": "not-a-cursor"}).status_code == 400
    assert api.get("/api/v1/search/", {"q": "cat", "page_size": 0}).status_code == 400


def test_tag_photos_api_and_popular_tags_with_prefix(api):
    for _ in range(3):
        chelsea()
    tagged(("car", ["vehicle"]))
    tagged(("dog", ["animal"]), ("cat", [], {"source": "hashtag", "confidence": 1.0}), caption="#cat")
    body = api.get("/api/v1/tags/cat/photos/").json()
    assert len(body["results"]) == 4 and all(r["matched_tags"][0]["match"] == "tag" for r in body["results"])
    assert api.get("/api/v1/tags/animal/photos/").json()["results"] == []  # a category is not a tag
    tags = api.get("/api/v1/tags/").json()["results"]
    assert [(t["name"], t["photo_count"]) for t in tags] == [("cat", 4), ("car", 1), ("dog", 1)]
    assert [t["name"] for t in api.get("/api/v1/tags/", {"prefix": "CA"}).json()["results"]] == ["cat", "car"]
    assert [t["name"] for t in api.get("/api/v1/tags/", {"prefix": "#d"}).json()["results"]] == ["dog"]


@pytest.mark.parametrize("page_size", [2, 10])
def test_search_api_and_page_run_a_fixed_number_of_queries(page_size, user, client, django_assert_num_queries):
    for i in range(12):
        chelsea(caption=f"Cat number {i}")
    api = client_for(user)
    with django_assert_num_queries(2):  # photos with owner, score and liked flag; their tags
        body = api.get("/api/v1/search/", {"q": "cat animal", "page_size": page_size}).json()
    assert len(body["results"]) == page_size
    with django_assert_num_queries(2):
        assert len(api.get("/api/v1/tags/cat/photos/", {"page_size": page_size}).json()["results"]) == page_size
    client.force_login(user)
    with django_assert_num_queries(6):  # session, user, people by name, photos, tags, the header's unread badge
        assert client.get("/search/", {"q": "tabby"}).status_code == 200


@pytest.mark.parametrize(
    "raw", ["", "x" * 500, "'&|!():*", "🐱", "cat\x00", '"', "%", "_", "\\", "cat OR dog -cat", "ʼ"]
)
def test_any_query_string_answers_without_a_server_error(raw, api, client):
    chelsea(caption="cat 100% _real_ \\o/")
    assert api.get("/api/v1/search/", {"q": raw}).status_code == 200
    assert client.get("/search/", {"q": raw}).status_code == 200
    assert api.get("/api/v1/tags/", {"prefix": raw}).status_code == 200


@pytest.mark.parametrize("name", ["🐱", "x" * 300, "'&|!():*", "%25", "cat%00"])
def test_any_tag_name_answers_without_a_server_error(name, api, client):
    chelsea()
    assert api.get(f"/api/v1/tags/{name}/photos/").status_code == 200
    assert client.get(f"/tags/{name}/").status_code == 200


def test_search_page_explains_matches_and_links_tag_chips(client):
    photo = chelsea(caption="Chelsea")
    html = client.get("/search/", {"q": "tabby"}).content.decode()
    assert (
        f'href="/p/{photo.pk}/"' in html
        and "the CNN saw tabby" in html
        and "a kind of" not in html
        and 'href="/tags/cat/"' in html
    )
    assert 'value="tabby"' in html  # the search box keeps the query
    home = client.get("/").content.decode()
    assert 'role="search"' in home and '<label for="search-q"' in home and ">Search</span></button>" in home
    tag_page = client.get("/tags/cats/").content.decode()
    assert f'href="/p/{photo.pk}/"' in tag_page and "animal" in tag_page


def test_popular_tags_count_the_newest_photos(monkeypatch):
    old_dog = tagged(("dog", ["animal"]))
    cats = [tagged(("cat", ["animal"])) for _ in range(2)]
    monkeypatch.setattr(search, "POPULAR_WINDOW", cats[-1].pk - old_dog.pk)
    assert search.popular_tags(AnonymousUser()) == [{"name": "cat", "categories": ["animal"], "photo_count": 2}]


@pytest.mark.parametrize(
    "position",
    [
        [1.0, "2026-01-01T00:00:00+00:00", 10**30],  # beyond bigint
        ["NaN", "2026-01-01T00:00:00+00:00", 1],
        [1.0, "2026-01-01T00:00:00", 1],  # naive
        [1.0, "yesterday", 1],
        {"score": 1},
    ],
)
def test_forged_cursors_are_a_400_not_a_500(api, position):
    chelsea()
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode()
    response = api.get("/api/v1/search/", {"q": "cat", "cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.json()
