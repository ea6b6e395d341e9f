"""The float16 vectors mapped beside the index: written by the build, read for re-ranking, live visibility."""

import numpy as np
import pytest

from photos.models import Photo
from photos.similar import ann
from photos.similar import services as similar
from photos.similar.models import PhotoEmbedding
from photos.similar.selectors import photos_similar_to
from photos.similar.vectors import vectors_unpack
from tests.factories import UserFactory
from tests.photos.similar.conftest import post, sample_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(sample_photos, settings, similar_index_dir):
    settings.SIMILAR_INDEX_MIN_PHOTOS = 0
    assert similar.similar_index_rebuild()["index"]
    return ann.index_current(similar_index_dir)


def test_the_build_writes_every_vector_beside_the_index_with_its_photo_id(built, similar_index_dir):
    stored = dict(PhotoEmbedding.objects.values_list("photo_id", "vector"))

    assert built.ids.tolist() == sorted(stored)
    assert (similar_index_dir / built.info.directory / ann.VECTORS).stat().st_size == len(stored) * 1280 * 2
    # Asked in any order, with an id the build does not hold: each row is its own photo's vector.
    keys = np.array([*sorted(stored, reverse=True), 10**9])
    held, matrix = built.vectors_of(keys)
    assert held.tolist() == [True] * len(stored) + [False]
    expected = vectors_unpack([stored[k] for k in keys[:-1].tolist()])
    np.testing.assert_allclose(matrix, expected, atol=1e-6)


def test_index_build_refuses_keys_out_of_order(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.random((4, 1280), dtype=np.float32)
    chunks = [(np.array([5, 6]), vectors[:2]), (np.array([3, 4]), vectors[2:])]

    with pytest.raises(ValueError, match="ascending"):
        ann.index_build(chunks, sample=vectors, root=tmp_path, model_version="v", embedded_since="2026-01-01", dims=4)
    assert not (tmp_path / ann.POINTER).exists() and not list(tmp_path.glob("build-*"))


def test_a_query_reads_no_vector_from_the_database_and_filters_visibility_in_one_query(
    built, sample_photos, django_assert_num_queries
):
    viewer = UserFactory()
    left = Photo.objects.get(pk=sample_photos["motorcycle_left"].pk)

    # Visibility of the candidates (one query over their ids), then the result cards and their tags.
    with django_assert_num_queries(3):
        results = photos_similar_to(photo=left, viewer=viewer, limit=5)

    assert [r.photo.pk for r in results] == [sample_photos["motorcycle_right"].pk]


def test_new_photos_not_in_the_file_are_found_and_can_be_asked_about(built, sample_photos):
    viewer = UserFactory()
    left = sample_photos["motorcycle_left"]
    copy = post(UserFactory(), sample_image("motorcycle_left").resize((480, 316)))

    assert not built.vectors_of(np.array([copy.pk]))[0][0]  # posted after the build
    assert photos_similar_to(photo=left, viewer=viewer, limit=2)[0].photo.pk == copy.pk
    # And the new photo's own "more like this" (its vector read from the database) finds the original.
    assert photos_similar_to(photo=copy, viewer=viewer, limit=2)[0].photo.pk == left.pk


def test_a_photo_made_private_disappears_from_results_at_once(built, sample_photos):
    viewer = UserFactory()
    left, right = sample_photos["motorcycle_left"], sample_photos["motorcycle_right"]
    assert [r.photo.pk for r in photos_similar_to(photo=left, viewer=viewer, limit=5)] == [right.pk]

    Photo.objects.filter(pk=right.pk).update(visibility=Photo.Visibility.PRIVATE)

    # Still in the mapped file and the graph; never shown, and nothing else stands in its count.
    assert built.vectors_of(np.array([right.pk]))[0][0]
    assert photos_similar_to(photo=left, viewer=viewer, limit=5) == []
    assert [r.photo.pk for r in photos_similar_to(photo=left, viewer=right.owner, limit=5)] == [right.pk]
