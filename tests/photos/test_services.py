import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from photos import services
from photos.explore import services as explore_services
from photos.imaging import UploadRejected
from photos.models import Follow, Like, Photo, PhotoTag, Tag, User
from photos.people import services as account_services
from tests.factories import CommentFactory, PhotoFactory, UserFactory
from tests.helpers import jpeg_bytes, processed

pytestmark = pytest.mark.django_db


def stored_files(media_root):
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


def test_photo_create_stores_metadata_free_copies_and_hashtags(user, media_root, django_capture_on_commit_callbacks):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    raw = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 200, 10)).save(raw, "JPEG", exif=exif)
    raw.seek(0)

    with django_capture_on_commit_callbacks() as callbacks:
        photo = services.photo_create(owner=user, image=raw, caption="Sunny #Beach day #beach #sea")

    assert photo.status == Photo.Status.PROCESSING
    assert not photo.image and not photo.thumbnail and photo.original
    assert len(callbacks) == 1  # the processing task is queued only once the row is committed
    with django_capture_on_commit_callbacks(execute=True):
        photo = processed(photo)
    assert (photo.width, photo.height) == (800, 600)
    assert not photo.original  # deleted once the copies were made
    for field in (photo.image, photo.thumbnail):
        data = field.open("rb").read()
        assert b"SecretCam" not in data and b"Exif" not in data
    assert photo.image.name.startswith("photos/") and photo.thumbnail.name.startswith("thumbs/")
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (320, 320)
    hashtags = PhotoTag.objects.filter(photo=photo, source=PhotoTag.Source.HASHTAG)
    assert sorted(hashtags.values_list("tag__name", flat=True)) == ["beach", "sea"]
    assert len(stored_files(media_root)) == 2


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"", 400), (b"<html><script>alert(1)</script></html>", 415), (b"%PDF-1.4\n%%EOF", 415)],
)
def test_refused_upload_leaves_no_row_and_no_file(user, media_root, data, status):
    with pytest.raises(UploadRejected) as error:
        services.photo_create(owner=user, image=io.BytesIO(data), caption="x")
    assert error.value.status == status
    assert "JPEG, PNG, WebP or GIF" in error.value.message or "empty" in error.value.message
    assert Photo.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(("caption", "visibility"), [("a\x00b", "public"), ("x" * 2201, "public"), ("ok", "everyone")])
def test_invalid_caption_or_visibility_is_refused_before_anything_is_written(user, media_root, caption, visibility):
    with pytest.raises(ValidationError):
        services.photo_create(owner=user, image=io.BytesIO(jpeg_bytes()), caption=caption, visibility=visibility)
    assert Photo.objects.count() == 0
    assert stored_files(media_root) == []


def test_failed_commit_removes_files_already_written(user, media_root, originals_root, monkeypatch):
    real_insert = services._photo_insert_with_hashtags

    def insert_then_fail(photo):
        real_insert(photo)
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_photo_insert_with_hashtags", insert_then_fail)
    with pytest.raises(RuntimeError):
        services.photo_create(owner=user, image=io.BytesIO(jpeg_bytes()), caption="#cat")
    assert Photo.objects.count() == 0 and PhotoTag.objects.count() == 0
    assert stored_files(media_root) == [] and stored_files(originals_root) == []


def test_photo_update_resyncs_hashtags_but_keeps_auto_tags(user):
    photo = PhotoFactory(owner=user, caption="#cat")
    services.photo_update(photo=photo, caption="#cat")
    auto = PhotoTag.objects.create(photo=photo, tag=Tag.objects.create(name="dog"), source="auto", confidence=0.8)
    services.photo_update(photo=photo, caption="now #dog and #park", visibility="followers")
    photo.refresh_from_db()
    assert photo.visibility == "followers"
    names = sorted(photo.photo_tags.values_list("tag__name", "source"))
    assert names == [("dog", "auto"), ("dog", "hashtag"), ("park", "hashtag")]
    assert PhotoTag.objects.filter(pk=auto.pk).exists()


def test_photo_delete_removes_row_and_files(user, media_root, django_capture_on_commit_callbacks):
    photo = services.photo_create(owner=user, image=io.BytesIO(jpeg_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(photo=photo)
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert stored_files(media_root) == []


def test_follow_public_is_accepted_private_is_pending_and_self_is_refused():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory(is_private=True)
    assert services.follow_create(follower=alice, followee=bob).status == Follow.Status.ACCEPTED
    assert services.follow_create(follower=alice, followee=carol).status == Follow.Status.PENDING
    assert services.follow_create(follower=alice, followee=bob).status == Follow.Status.ACCEPTED  # idempotent
    assert Follow.objects.filter(follower=alice).count() == 2
    with pytest.raises(ValidationError):
        services.follow_create(follower=alice, followee=alice)
    assert services.follow_delete(follower=alice, followee=bob) is True
    assert services.follow_delete(follower=alice, followee=bob) is False


def test_likes_are_counted_once_and_unliked(user, photo):
    assert services.like_create(user=user, photo=photo) is True
    assert services.like_create(user=user, photo=photo) is False
    photo.refresh_from_db()
    assert photo.like_count == 1 and Like.objects.count() == 1
    assert services.like_delete(user=user, photo=photo) is True
    assert services.like_delete(user=user, photo=photo) is False
    photo.refresh_from_db()
    assert photo.like_count == 0


def test_comment_create_counts_and_validates(user, photo):
    services.comment_create(author=user, photo=photo, text="  Lovely light  ")
    CommentFactory(photo=photo)
    photo.refresh_from_db()
    assert photo.comments.first().text == "Lovely light"
    assert photo.comment_count == 1  # the factory bypasses the service on purpose
    with pytest.raises(ValidationError):
        services.comment_create(author=user, photo=photo, text="   ")


def test_views_skip_own_photos_paused_history_and_repeats(user, photo):
    assert explore_services.photo_view_record(user=photo.owner, photo=photo) is None
    assert explore_services.photo_view_record(user=user, photo=photo) is not None
    assert explore_services.photo_view_record(user=user, photo=photo) is None
    user.history_paused = True
    assert explore_services.photo_view_record(user=user, photo=PhotoFactory()) is None


def test_user_create_checks_password_strength():
    with pytest.raises(ValidationError):
        account_services.user_create(username="weak", password="123")
    user = account_services.user_create(username="strong", password="correct horse battery staple")
    assert user.check_password("correct horse battery staple")


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("#Straße #STRASSE #strasse", ["strasse"]),
        ("#ﬃx #FFIX", ["ffix"]),
        ("#İstanbul", ["i\u0307stanbul"]),
        ("#cafe\u0301 #café #CAFÉ", ["café"]),
        ("#Ｃａｔ #cat", ["cat"]),  # fullwidth letters are compatibility forms of ASCII ones
    ],
)
def test_hashtags_are_normalised_before_they_become_tags(caption, expected):
    assert services.hashtags_in(caption) == expected


def test_hashtags_too_long_once_normalised_are_not_tags_and_never_fail_the_write(user):
    caption = "#" + "ß" * 64 + " #" + "ﬃ" * 30 + " #" + "a" * 65 + " #" + "ß" * 32 + " #ok"
    # 64 x ß folds to 128 characters, 30 x ﬃ to 90; 65 letters are too many as written; 32 x ß is 64.
    assert services.hashtags_in(caption) == ["ss" * 32, "ok"]
    photo = PhotoFactory(owner=user)
    services.photo_update(photo=photo, caption=caption)
    names = set(photo.photo_tags.filter(source=PhotoTag.Source.HASHTAG).values_list("tag__name", flat=True))
    assert names == {"ss" * 32, "ok"}


@pytest.mark.parametrize(
    ("hashtag", "query"),
    [("#Straße", "strasse"), ("#Straße", "straße"), ("#ﬃne", "ffine"), ("#İzmir", "izmir"), ("#cafe\u0301", "café")],
)
def test_normalised_hashtags_are_found_by_search_as_typed(user, hashtag, query):
    from django.contrib.auth.models import AnonymousUser

    from photos.search.selectors import photo_search

    photo = PhotoFactory(owner=user, caption="")
    services.photo_update(photo=photo, caption=f"walk {hashtag}")
    assert list(photo_search(AnonymousUser(), query).values_list("pk", flat=True)) == [photo.pk]


@pytest.mark.parametrize("second", ["BOB", "Bob", "ｂｏｂ", "ＢＯＢ"])
def test_usernames_are_unique_whatever_the_case_and_width(second):
    account_services.user_create(username="bob", password="correct horse battery staple")
    with pytest.raises(ValidationError) as error:
        account_services.user_create(username=second, password="correct horse battery staple")
    assert error.value.message_dict == {"username": ["That username is taken."]}
    assert User.objects.count() == 1


def test_usernames_are_stored_nfkc_normalised():
    user = account_services.user_create(username="ｚｏｅ\ufb01", password="correct horse battery staple")
    assert user.username == "zoefi"


def test_the_database_refuses_a_case_duplicate_username_too():
    from django.db import IntegrityError, transaction

    User.objects.create(username="carol")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="CAROL")
