"""The worker stores each photo's embedding with its tags; retag backfills the missing ones."""

import numpy as np
import pytest
from django.core.management import call_command

from photos import services
from photos.similar.models import PhotoEmbedding
from photos.similar.vectors import vectors_unpack
from recognition import pipeline
from tests.factories import UserFactory
from tests.helpers import processed, sample_upload

pytestmark = pytest.mark.django_db


def test_processing_stores_a_unit_embedding_and_hash_with_the_model_version(user):
    photo = processed(services.photo_create(owner=user, image=sample_upload("chelsea")))

    row = PhotoEmbedding.objects.get(photo=photo)
    vector = vectors_unpack([row.vector])[0]
    assert photo.status == photo.Status.TAGGED
    assert row.model_version == pipeline.versions()["model_version"]
    assert len(bytes(row.vector)) == 1280 * 2 and vector.shape == (1280,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    assert row.phash is not None


def test_same_photo_uploaded_twice_gets_the_same_vector_and_hash(user):
    first = processed(services.photo_create(owner=user, image=sample_upload("coffee")))
    second = processed(services.photo_create(owner=UserFactory(), image=sample_upload("coffee")))

    a, b = (PhotoEmbedding.objects.get(photo=p) for p in (first, second))
    np.testing.assert_allclose(vectors_unpack([a.vector]), vectors_unpack([b.vector]), atol=2e-3)
    assert a.phash == b.phash


def test_retag_backfills_missing_and_outdated_embeddings(user):
    photos = [processed(services.photo_create(owner=user, image=sample_upload(n))) for n in ("chelsea", "rocket")]
    PhotoEmbedding.objects.filter(photo=photos[0]).delete()
    PhotoEmbedding.objects.filter(photo=photos[1]).update(model_version="efficientnet-lite0-imagenet-1")

    call_command("retag", "--embeddings-missing")

    rows = PhotoEmbedding.objects.filter(photo__in=photos)
    assert sorted(rows.values_list("model_version", flat=True)) == [pipeline.versions()["model_version"]] * 2
    call_command("retag", "--embeddings-missing")  # nothing left to do
    assert rows.count() == 2
