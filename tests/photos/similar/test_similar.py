"""More like this: real photos through the real CNN, the exact scan and the index, and visibility."""

import pytest
from django.core.management import call_command

from photos import services
from photos.models import Block, Follow, Photo, User
from photos.similar import services as similar
from photos.similar.selectors import photos_similar_to
from photos.similar.vectors import SIMILAR_MIN_SIMILARITY
from tests.factories import UserFactory
from tests.helpers import client_for
from tests.photos.similar.conftest import post, sample_image

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["exact", "index"])
def engine(request, settings):
    """Run a test once on a small site's exact scan and once through a built index."""
    settings.SIMILAR_INDEX_MIN_PHOTOS = 0 if request.param == "index" else 10**9
    return request.param


def rebuild() -> dict:
    return similar.similar_index_rebuild()


def nearest(photo: Photo, viewer, limit: int = 12, minimum: float = 0.0) -> list[int]:
    """Ids of the photos most like ``photo``; no minimum similarity unless asked (the samples are unrelated)."""
    results = photos_similar_to(photo=photo, viewer=viewer, limit=limit, min_similarity=minimum)
    return [item.photo.pk for item in results]


def test_the_two_motorcycles_are_each_others_nearest_neighbours(sample_photos, engine):
    assert rebuild()["index"] is (engine == "index")
    viewer = UserFactory()
    left, right = sample_photos["motorcycle_left"], sample_photos["motorcycle_right"]

    assert nearest(left, viewer)[0] == right.pk
    assert nearest(right, viewer)[0] == left.pk


def test_a_cropped_copy_of_chelsea_finds_chelsea_first_and_never_itself(sample_photos, engine):
    cat = sample_image("chelsea")
    w, h = cat.size
    crop = post(UserFactory(), cat.crop((int(w * 0.1), int(h * 0.1), w, h)))
    rebuild()

    results = photos_similar_to(photo=crop, viewer=UserFactory(), limit=5)

    assert results[0].photo.pk == sample_photos["chelsea"].pk
    assert crop.pk not in [r.photo.pk for r in results]
    similarities = [r.similarity for r in results]
    assert similarities == sorted(similarities, reverse=True) and 0.8 < similarities[0] <= 1.0


def test_a_photo_posted_after_the_index_was_built_is_found_at_once(sample_photos, settings):
    settings.SIMILAR_INDEX_MIN_PHOTOS = 0
    assert rebuild()["index"]
    left = sample_photos["motorcycle_left"]
    copy = post(UserFactory(), sample_image("motorcycle_left").resize((500, 330)))

    assert nearest(left, UserFactory())[0] == copy.pk  # not in the index yet: the exact part finds it


def test_results_are_only_photos_the_viewer_may_see_and_the_count_tells_nothing(sample_photos, engine):
    viewer = UserFactory()
    left = sample_photos["motorcycle_left"]
    twin = sample_image("motorcycle_right")
    private_account = UserFactory(is_private=True)
    blocker, blocked = UserFactory(), UserFactory()
    Block.objects.create(blocker=blocker, blocked=viewer)
    Block.objects.create(blocker=viewer, blocked=blocked)
    hidden = [
        post(private_account, twin),
        post(blocker, twin),
        post(blocked, twin),
        post(UserFactory(), twin, visibility=Photo.Visibility.PRIVATE),
        post(UserFactory(), twin, visibility=Photo.Visibility.FOLLOWERS),
    ]
    processing = services.photo_create(owner=UserFactory(), image=_jpeg(twin))
    still_processing = processing.pk
    # Embedded but not processed (a retag raced the status): still never shown to others.
    similar.photos_embeddings_store(
        photo_ids=[still_processing],
        embeddings=_embedding_of(sample_photos["motorcycle_right"])[None],
        network_inputs=[_pixels()],
        model_version=_version(),
    )
    rebuild()

    for limit in (1, 3, 7):
        results = nearest(left, viewer, limit=limit)
        assert len(results) == limit  # filled from visible photos only, however many were hidden
        assert not set(results) & ({p.pk for p in hidden} | {still_processing})
    assert nearest(left, viewer, limit=1) == [sample_photos["motorcycle_right"].pk]
    everything = nearest(left, viewer, limit=48)
    assert len(everything) == len(sample_photos) - 1  # the other samples, and only them

    # Once allowed, the same photos appear: they were left out for visibility, not by accident.
    Follow.objects.create(follower=viewer, followee=private_account)
    assert hidden[0].pk in nearest(left, viewer, limit=48)
    # Their owners see their own photos' neighbours, and never the photo itself.
    assert left.pk in nearest(hidden[1], User.objects.get(pk=blocker.pk))
    assert hidden[1].pk not in nearest(hidden[1], blocker)


def test_api_lists_similar_photos_with_similarity_and_hides_what_it_must(sample_photos):
    viewer = UserFactory()
    left = sample_photos["motorcycle_left"]

    copy = post(UserFactory(), sample_image("motorcycle_left").resize((400, 264)))

    response = client_for(viewer).get(f"/api/v1/photos/{left.pk}/similar/?limit=3")

    assert response.status_code == 200
    body = response.json()
    # The resized copy and the other motorcycle; the unrelated samples are under the minimum similarity.
    assert [r["photo"]["id"] for r in body["results"]] == [copy.pk, sample_photos["motorcycle_right"].pk]
    assert body["next"] is None
    assert all(SIMILAR_MIN_SIMILARITY <= r["similarity"] <= 1 for r in body["results"])
    assert client_for(viewer).get(f"/api/v1/photos/{left.pk}/similar/?limit=0").status_code == 400
    private = post(UserFactory(), sample_image("chelsea"), visibility=Photo.Visibility.PRIVATE)
    assert client_for(viewer).get(f"/api/v1/photos/{private.pk}/similar/").status_code == 404


def test_photo_page_shows_more_like_this_with_honest_similarity(sample_photos, client):
    left, right = sample_photos["motorcycle_left"], sample_photos["motorcycle_right"]
    client.force_login(UserFactory())

    page = client.get(f"/p/{left.pk}/").content.decode()

    section = page[page.index('id="similar"') :]
    assert "More like this" in section
    assert f"/p/{right.pk}/" in section and "% alike" in section
    # Chelsea is about 15% like a motorcycle: under the minimum, not shown.
    assert f"/p/{sample_photos['chelsea'].pk}/" not in section
    assert f'href="/p/{left.pk}/"' not in section
    assert 'id="similar-none"' not in section


def test_photo_page_says_so_when_nothing_is_similar_enough(sample_photos, client, engine):
    rebuild()
    viewer = UserFactory()
    cat = sample_photos["chelsea"]
    client.force_login(viewer)

    page = client.get(f"/p/{cat.pk}/").content.decode()

    section = page[page.index('id="similar"') :]
    assert 'id="similar-none"' in section and "at least 50% alike" in section
    assert "% alike</p>" not in section
    assert photos_similar_to(photo=cat, viewer=viewer, limit=12) == []
    # The same photos are there below the minimum: it is the minimum that empties the list.
    assert len(nearest(cat, viewer, limit=12)) == len(sample_photos) - 1
    body = client.get(f"/api/v1/photos/{cat.pk}/similar/").json()
    assert body["results"] == []


def test_minimum_similarity_keeps_related_real_photos_and_drops_unrelated_ones(sample_photos, engine):
    rebuild()
    viewer = UserFactory()
    cat = sample_image("chelsea")
    w, h = cat.size
    half = post(UserFactory(), cat.crop((0, 0, w // 2, h)))  # same cat, another picture of it
    rebuild()

    results = photos_similar_to(photo=sample_photos["chelsea"], viewer=viewer, limit=12)

    assert [r.photo.pk for r in results] == [half.pk]
    assert results[0].similarity >= SIMILAR_MIN_SIMILARITY
    everything = photos_similar_to(photo=sample_photos["chelsea"], viewer=viewer, limit=12, min_similarity=0.0)
    assert all(r.similarity < SIMILAR_MIN_SIMILARITY for r in everything[1:]) and len(everything) == len(sample_photos)


def test_schema_documents_the_similar_endpoint(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/photos/{photo_id}/similar/"]["get"]
    assert "limit" in [p["name"] for p in operation["parameters"]]
    assert "similarity" in schema["components"]["schemas"]["SimilarPhoto"]["properties"]


def test_the_index_is_replaced_atomically_and_dropped_on_a_small_site(sample_photos, settings, similar_index_dir):
    settings.SIMILAR_INDEX_MIN_PHOTOS = 0
    first = rebuild()
    second = rebuild()

    assert (similar_index_dir / "current.json").is_file()
    assert sorted(p.name for p in similar_index_dir.iterdir() if p.is_dir()) == sorted(
        {first["directory"], second["directory"]}
    )
    assert not [p for p in similar_index_dir.iterdir() if p.name.endswith(".tmp")]
    settings.SIMILAR_INDEX_MIN_PHOTOS = 10**9
    assert rebuild()["index"] is False
    assert list(similar_index_dir.iterdir()) == []
    call_command("check")


def _jpeg(img):
    from tests.photos.similar.conftest import jpeg

    return jpeg(img)


def _embedding_of(photo):
    from photos.similar.vectors import vectors_unpack

    return vectors_unpack([bytes(photo.embedding.vector)])[0]


def _pixels():
    import numpy as np

    return np.zeros((224, 224, 3), np.uint8)


def _version():
    from recognition.efficientnet_lite import MODEL_VERSION

    return MODEL_VERSION
