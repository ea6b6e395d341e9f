"""Django admin writes through the services: hashtags, search index, counters and follows stay right."""

import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from photos.models import Comment, Follow, Like, Photo, PhotoTag, User
from photos.sensitive.models import NudityCheck
from tests.factories import CommentFactory, FollowFactory, LikeFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def staff_with(*codenames: str) -> User:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="photos", codename__in=codenames))
    return staff


def inline_management(photo: Photo) -> dict:
    """Return the management forms of the read-only inlines (tags, nudity check), which every change POST carries."""
    count = str(photo.photo_tags.count())
    checks = str(int(NudityCheck.objects.filter(photo=photo).exists()))
    return {
        "photo_tags-TOTAL_FORMS": count,
        "photo_tags-INITIAL_FORMS": count,
        "nudity-TOTAL_FORMS": checks,
        "nudity-INITIAL_FORMS": checks,
    }


def test_editing_a_caption_in_admin_rebuilds_hashtags_and_the_search_index(admin_client_):
    photo = PhotoFactory(caption="before #old")
    response = admin_client_.post(
        reverse("admin:photos_photo_change", args=[photo.pk]),
        {"caption": "after #sunset", "visibility": "public", **inline_management(photo)},
    )
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "after #sunset"
    hashtags = set(photo.photo_tags.filter(source=PhotoTag.Source.HASHTAG).values_list("tag__name", flat=True))
    assert hashtags == {"sunset"}
    assert "sunset" in photo.search_document and "old" not in photo.search_document.split()
    assert photo.search_terms.filter(term="sunset").exists()


def test_tags_follows_likes_and_comments_cannot_be_added_or_edited_in_admin(admin_client_):
    tag = PhotoTagFactory()
    assert admin_client_.get(reverse("admin:photos_phototag_add")).status_code == 403
    assert admin_client_.get(reverse("admin:photos_photo_add")).status_code == 403
    assert admin_client_.get(reverse("admin:photos_like_add")).status_code == 403
    response = admin_client_.post(
        reverse("admin:photos_phototag_change", args=[tag.pk]), {"confidence": "0.01", "source": "user"}
    )
    assert response.status_code == 403
    tag.refresh_from_db()
    assert (tag.confidence, tag.source) == (0.9, PhotoTag.Source.AUTO)


def test_deleting_likes_and_comments_in_admin_keeps_the_counters_right(admin_client_):
    photo = PhotoFactory()
    likes = [LikeFactory(photo=photo) for _ in range(3)]
    comments = [CommentFactory(photo=photo) for _ in range(2)]
    Photo.objects.filter(pk=photo.pk).update(like_count=3, comment_count=2)

    admin_client_.post(reverse("admin:photos_like_delete", args=[likes[0].pk]), {"post": "yes"})
    admin_client_.post(
        reverse("admin:photos_like_changelist"),
        {"action": "delete_selected", "_selected_action": [likes[1].pk], "post": "yes"},
    )
    admin_client_.post(reverse("admin:photos_comment_delete", args=[comments[0].pk]), {"post": "yes"})
    photo.refresh_from_db()
    assert (photo.like_count, photo.comment_count) == (1, 1)
    assert Like.objects.filter(photo=photo).count() == 1 and Comment.objects.filter(photo=photo).count() == 1


def test_deleting_an_account_in_admin_recounts_the_photos_it_liked_and_commented_on(admin_client_):
    photo = PhotoFactory()
    leaver = UserFactory()
    LikeFactory(photo=photo, user=leaver)
    LikeFactory(photo=photo)
    CommentFactory(photo=photo, author=leaver)
    Photo.objects.filter(pk=photo.pk).update(like_count=2, comment_count=1)

    admin_client_.post(
        reverse("admin:photos_user_changelist"),
        {"action": "delete_selected", "_selected_action": [leaver.pk], "post": "yes"},
    )
    photo.refresh_from_db()
    assert not User.objects.filter(pk=leaver.pk).exists()
    assert (photo.like_count, photo.comment_count) == (1, 0)


def test_making_an_account_public_in_admin_approves_its_waiting_requests(admin_client_):
    owner = UserFactory(is_private=True)
    request = FollowFactory(followee=owner, status=Follow.Status.PENDING)
    change = reverse("admin:photos_user_change", args=[owner.pk])
    form = admin_client_.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "avatar"}
    data.update(
        {
            "is_private": "",
            "date_joined_0": owner.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": owner.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
        }
    )
    data = {key: value for key, value in data.items() if key not in {"last_login", "date_joined"}}
    response = admin_client_.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    request.refresh_from_db()
    assert request.status == Follow.Status.ACCEPTED


def test_private_photos_show_in_admin_only_with_view_private_and_each_look_is_logged(client, caplog):
    private = PhotoFactory(visibility=Photo.Visibility.PRIVATE)
    public = PhotoFactory()
    plain = staff_with("view_photo", "change_photo")
    client.force_login(plain)
    page = client.get(reverse("admin:photos_photo_changelist")).content.decode()
    assert public.thumbnail.url in page and private.thumbnail.url not in page
    assert "(private)" in page

    trusted = staff_with("view_photo", "change_photo", "view_private")
    client.force_login(trusted)
    page = client.get(reverse("admin:photos_photo_changelist")).content.decode()
    assert private.thumbnail.url in page
    with caplog.at_level(logging.INFO, logger="socialsite.audit"):
        client.get(reverse("admin:photos_photo_change", args=[private.pk]))
        client.get(reverse("admin:photos_photo_change", args=[public.pk]))
    looks = [record.getMessage() for record in caplog.records if record.name == "socialsite.audit"]
    assert looks == [f"staff {trusted.username} opened private photo {private.pk} in admin"]


def test_staff_fetch_private_files_only_with_view_private_and_each_fetch_is_logged(client, caplog):
    private = PhotoFactory(visibility=Photo.Visibility.PRIVATE)
    url = private.thumbnail.url
    client.force_login(staff_with("view_photo"))
    assert client.get(url).status_code == 404

    trusted = staff_with("view_photo", "view_private")
    client.force_login(trusted)
    with caplog.at_level(logging.INFO, logger="socialsite.audit"):
        response = client.get(url)
    assert response.status_code == 200
    looks = [record.getMessage() for record in caplog.records if record.name == "socialsite.audit"]
    assert looks == [f"staff {trusted.username} fetched {private.thumbnail.name} of photo {private.pk}"]
    # The permission opens photos' files only, and only as their names are written.
    assert client.get(url.replace("thumbs/", "thumbs/../thumbs/")).status_code == 404
