"""Near-duplicates: an owner's re-encoded or cropped copy is noticed, told to the owner only, never refused."""

import pytest

from photos.models import Photo
from photos.similar.models import PhotoDuplicate
from photos.similar.services import photos_duplicates_find
from tests.factories import UserFactory
from tests.photos.similar.conftest import post, sample_image

pytestmark = pytest.mark.django_db


def find(*photos) -> int:
    return photos_duplicates_find(photo_ids=[p.pk for p in photos])


def test_a_reencoded_resized_upload_is_found_as_the_same_picture(user, client):
    cat = sample_image("chelsea")
    original = post(user, cat)
    other = post(user, sample_image("coffee"))
    copy = post(user, cat.resize((300, 200)))  # post() sends it as a JPEG again: re-encoded too

    assert find(original, other, copy) == 1

    duplicate = PhotoDuplicate.objects.get()
    assert (duplicate.photo, duplicate.original, duplicate.cluster) == (copy, original, original)
    assert duplicate.kind == PhotoDuplicate.Kind.SAME and duplicate.hash_distance <= 8
    assert copy.status == Photo.Status.TAGGED  # noticed, never refused
    client.force_login(user)
    page = client.get(f"/p/{copy.pk}/").content.decode()
    assert "You posted a very similar photo on" in page
    assert f'href="/p/{original.pk}/">{original.created_at:%-d %B %Y}</a>' in page
    assert "You posted a very similar photo" not in client.get(f"/p/{original.pk}/").content.decode()


def test_a_cropped_copy_is_found_by_its_embedding_and_joins_the_cluster(user):
    cat = sample_image("chelsea")
    w, h = cat.size
    original = post(user, cat)
    copy = post(user, cat.resize((400, 266)))
    crop = post(user, cat.crop((int(w * 0.1), 0, w, h)))

    find(copy)
    find(crop)

    crops = PhotoDuplicate.objects.filter(photo=crop)
    assert {d.original_id for d in crops} == {original.pk, copy.pk}
    assert {d.cluster_id for d in PhotoDuplicate.objects.all()} == {original.pk}
    assert all(d.similarity >= 0.91 or d.hash_distance <= 8 for d in crops)


def test_only_the_owner_is_told_and_other_peoples_photos_never_count(user, client):
    cat = sample_image("chelsea")
    someone_elses = post(UserFactory(), cat)
    mine = post(user, cat)
    again = post(user, cat)

    find(mine, again)

    assert list(PhotoDuplicate.objects.values_list("photo_id", "original_id")) == [(again.pk, mine.pk)]
    assert someone_elses.pk not in PhotoDuplicate.objects.values_list("original_id", flat=True)
    client.force_login(UserFactory())
    assert "You posted a very similar photo" not in client.get(f"/p/{again.pk}/").content.decode()


def test_distinct_photos_of_one_subject_are_not_duplicates(user):
    photos = [post(user, sample_image(name)) for name in ("motorcycle_left", "motorcycle_right", "astronaut")]

    assert find(*photos) == 0
    assert not PhotoDuplicate.objects.exists()


def test_admin_lists_clusters_of_duplicates(user, admin_client):
    cat = sample_image("chelsea")
    original, copy = post(user, cat), post(user, cat)
    find(copy)

    page = admin_client.get("/admin/photos/photoduplicate/").content.decode()

    assert f"Cluster of photo {original.pk}" in page and "2 photos" in page
