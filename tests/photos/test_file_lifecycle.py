"""Every stored file dies with its row, once the deletion commits, whichever way the row goes.

Each test deletes or replaces inside ``django_capture_on_commit_callbacks``: the files must still be
there before the commit (a rolled-back delete keeps them) and gone after it.
"""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from photos import services
from photos.models import Photo, PhotoTag, User
from photos.people import services as account_services
from photos.tagging import photos_auto_tags_replace
from recognition.taxonomy import TagPrediction
from tests.factories import PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import jpeg_bytes

pytestmark = pytest.mark.django_db


def _photo_with_heat_map(**kwargs) -> tuple[Photo, list[str]]:
    """Return a photo whose auto tag has a Grad-CAM picture, and the names of its three files."""
    photo = PhotoFactory(**kwargs)
    photo_tag = PhotoTagFactory(photo=photo)
    photo_tag.explanation.save("map.jpg", ContentFile(jpeg_bytes((64, 48))), save=True)
    return photo, [photo.image.name, photo.thumbnail.name, photo_tag.explanation.name]


def _exist(names: list[str]) -> list[bool]:
    return [default_storage.exists(name) for name in names]


def _upload(color: str) -> io.BytesIO:
    raw = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(raw, "PNG")
    raw.seek(0)
    raw.name = "me.png"
    return raw


def test_photo_delete_removes_image_thumbnail_and_heat_map_after_commit(django_capture_on_commit_callbacks):
    photo, names = _photo_with_heat_map()
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(photo=photo)
        assert _exist(names) == [True, True, True]  # not before the deletion commits
    assert _exist(names) == [False, False, False]


def test_a_rolled_back_delete_keeps_the_files(django_capture_on_commit_callbacks):
    photo, names = _photo_with_heat_map()
    photo_id = photo.pk
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.photo_delete(photo=photo)
        raise RuntimeError("the request failed after the delete")
    assert callbacks == []
    assert Photo.objects.filter(pk=photo_id).exists()
    assert _exist(names) == [True, True, True]


def test_admin_delete_action_and_queryset_delete_remove_the_files(admin_client, django_capture_on_commit_callbacks):
    by_action, action_names = _photo_with_heat_map()
    by_page, page_names = _photo_with_heat_map()
    by_queryset, queryset_names = _photo_with_heat_map()
    ids = [by_action.pk, by_page.pk, by_queryset.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/photos/photo/", {"action": "delete_selected", "_selected_action": [by_action.pk], "post": "yes"}
        )
        assert response.status_code == 302
        response = admin_client.post(f"/admin/photos/photo/{by_page.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        Photo.objects.filter(pk=by_queryset.pk).delete()
        assert _exist(action_names + page_names + queryset_names) == [True] * 9
    assert not Photo.objects.filter(pk__in=ids).exists()
    assert _exist(action_names + page_names + queryset_names) == [False] * 9


def test_deleting_an_account_removes_its_photos_heat_maps_and_avatar(
    admin_client, client, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    owner.avatar.save("face.jpg", ContentFile(jpeg_bytes((32, 32))), save=True)
    first, first_names = _photo_with_heat_map(owner=owner)
    second, second_names = _photo_with_heat_map(owner=owner, visibility="private")
    owner_id, avatar_url, names = owner.pk, owner.avatar.url, [owner.avatar.name, *first_names, *second_names]
    assert client.get(avatar_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/photos/user/{owner_id}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert _exist(names) == [True] * 7
    assert not User.objects.filter(pk=owner_id).exists()
    assert _exist(names) == [False] * 7
    assert client.get(avatar_url).status_code == 404


def test_replacing_an_avatar_deletes_the_old_file(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    account_services.user_update(user=user, avatar=_upload("red"))
    old_name, old_url = user.avatar.name, user.avatar.url
    user = User.objects.get(pk=user.pk)  # as the next request would load it
    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_update(user=user, avatar=_upload("blue"))
        assert default_storage.exists(old_name)
    assert user.avatar.name != old_name
    assert default_storage.exists(user.avatar.name)
    assert not default_storage.exists(old_name)
    assert client.get(old_url).status_code == 404


def test_retagging_deletes_the_old_heat_maps(django_capture_on_commit_callbacks):
    photo, names = _photo_with_heat_map()
    heat_map = names[2]
    prediction = TagPrediction("retagged", ("animal",), 0.8, (("tabby", 0.8),), "tabby")
    with django_capture_on_commit_callbacks(execute=True):
        photos_auto_tags_replace(results=[(photo, [prediction])], model_version="m2", taxonomy_version="t2")
        assert default_storage.exists(heat_map)
    assert list(PhotoTag.objects.filter(photo=photo).values_list("tag__name", "explanation")) == [("retagged", "")]
    assert not default_storage.exists(heat_map)
    assert _exist(names[:2]) == [True, True]  # the photo's own files stay
