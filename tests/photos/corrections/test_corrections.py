"""The owner confirms, removes and adds tags, on the photo page and through the API; nobody else can."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from photos.corrections import services
from photos.corrections.models import TagCorrection
from photos.models import Photo, PhotoSearchTerm, PhotoTag
from photos.search import selectors as search
from photos.search.index import photo_search_document_refresh
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, TagFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def with_tags(*tags, owner=None, **fields) -> Photo:
    """Create an indexed photo with tags given as (name, source, confidence[, rule])."""
    photo = PhotoFactory(caption="", **({"owner": owner} if owner else {}), **fields)
    for name, source, confidence, *rule in tags:
        tag = TagFactory(name=name, categories=["animal"] if name in {"cat", "dog"} else [])
        PhotoTagFactory(photo=photo, tag=tag, source=source, confidence=confidence, rule=rule[0] if rule else "")
    photo_search_document_refresh(photo.pk)
    return photo


def sources(photo: Photo) -> dict[str, str]:
    return dict(PhotoTag.objects.filter(photo=photo).values_list("tag__name", "source"))


def verdicts(photo: Photo) -> dict[str, str]:
    return dict(TagCorrection.objects.filter(photo=photo).values_list("tag__name", "action"))


def terms(photo: Photo) -> dict[str, float]:
    return dict(PhotoSearchTerm.objects.filter(photo=photo).values_list("term", "weight"))


# The API


def test_owner_confirms_a_cnn_tag_through_the_api_and_the_index_lifts_it(user):
    photo = with_tags(("cat", "auto", 0.3, "tag:cat"), owner=user)
    before = terms(photo)["cat"]
    response = client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/cat/confirm/")
    assert response.status_code == 200
    assert response.json()["name"] == "cat" and response.json()["source"] == "confirmed"
    assert response.json()["confidence"] == 0.3  # the network's confidence is kept as provenance
    assert sources(photo) == {"cat": "confirmed"} and verdicts(photo) == {"cat": "confirmed"}
    assert terms(photo)["cat"] > before and terms(photo)["animal"] > 6.5
    # Again: nothing changes.
    assert client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/cat/confirm/").status_code == 200
    assert TagCorrection.objects.count() == 1


def test_owner_removes_a_tag_through_the_api_and_search_forgets_it(user):
    photo = with_tags(("cat", "auto", 0.9, "tag:cat"), ("sofa", "auto", 0.5, "tag:sofa"), owner=user)
    assert [p.pk for p in search.photo_search(AnonymousUser(), "cat")] == [photo.pk]
    response = client_for(user).delete(f"/api/v1/photos/{photo.pk}/tags/cat/")
    assert response.status_code == 204
    assert sources(photo) == {"sofa": "auto"}
    correction = TagCorrection.objects.get(photo=photo)
    assert (correction.tag.name, correction.action, correction.rule, correction.source, correction.confidence) == (
        "cat",
        "removed",
        "tag:cat",
        "auto",
        0.9,
    )
    assert "cat" not in terms(photo) and "animal" not in terms(photo)
    assert list(search.photo_search(AnonymousUser(), "cat")) == []
    assert client_for(user).delete(f"/api/v1/photos/{photo.pk}/tags/cat/").status_code == 404


def test_owner_adds_a_manual_tag_through_the_api(user):
    photo = with_tags(("sofa", "auto", 0.5), owner=user)
    response = client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/", {"name": "  Latte   Art "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["source"], body["confidence"], body["classes"]) == ("latte art", "user", 1.0, [])
    assert sources(photo) == {"sofa": "auto", "latte art": "user"} and verdicts(photo) == {"latte art": "added"}
    assert [p.pk for p in search.photo_search(AnonymousUser(), "latte art")] == [photo.pk]
    again = client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/", {"name": "latte art"}, format="json")
    assert again.status_code == 200 and PhotoTag.objects.filter(photo=photo).count() == 2


def test_a_manual_tag_the_taxonomy_knows_gets_its_categories(user):
    photo = with_tags(owner=user)
    response = client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/", {"name": "Dog"}, format="json")
    assert response.status_code == 201 and {"animal", "pet"} <= set(response.json()["categories"])
    assert [p.pk for p in search.photo_search(AnonymousUser(), "pets")] == [photo.pk]


def test_adding_a_tag_the_cnn_gave_confirms_it_and_adding_a_removed_one_lifts_its_tombstone(user):
    photo = with_tags(("cat", "auto", 0.6, "tag:cat"), ("dog", "auto", 0.4, "tag:dog"), owner=user)
    api = client_for(user)
    assert api.post(f"/api/v1/photos/{photo.pk}/tags/", {"name": "cat"}, format="json").status_code == 200
    assert sources(photo)["cat"] == "confirmed"
    assert api.delete(f"/api/v1/photos/{photo.pk}/tags/dog/").status_code == 204
    assert verdicts(photo)["dog"] == "removed"
    assert api.post(f"/api/v1/photos/{photo.pk}/tags/", {"name": "dog"}, format="json").status_code == 201
    assert sources(photo)["dog"] == "user" and verdicts(photo)["dog"] == "added"


@pytest.mark.parametrize(
    ("name", "error"),
    [("", "blank"), ("#!?", "letter or digit"), ("a/b", "/"), ("x" * 65, "64")],
)
def test_bad_tag_names_are_refused_with_a_reason_and_nothing_written(user, name, error):
    photo = with_tags(owner=user)
    response = client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/", {"name": name}, format="json")
    assert response.status_code == 400 and error in str(response.json()["name"])
    assert not PhotoTag.objects.filter(photo=photo).exists() and not TagCorrection.objects.exists()


def test_a_hashtag_tag_is_removed_by_editing_the_caption(user):
    photo = with_tags(("sunset", "hashtag", 1.0), owner=user)
    response = client_for(user).delete(f"/api/v1/photos/{photo.pk}/tags/sunset/")
    assert response.status_code == 400 and "edit the caption" in str(response.json())
    assert sources(photo) == {"sunset": "hashtag"} and not TagCorrection.objects.exists()
    assert client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/sunset/confirm/").status_code == 404


def test_confirming_a_tag_the_photo_lacks_is_404(user):
    photo = with_tags(("cat", "auto", 0.9), owner=user)
    assert client_for(user).post(f"/api/v1/photos/{photo.pk}/tags/dog/confirm/").status_code == 404


def test_others_are_refused_without_learning_about_photos_they_cannot_see(user):
    owner = UserFactory()
    public = with_tags(("cat", "auto", 0.9), owner=owner)
    private = with_tags(("cat", "auto", 0.9), owner=owner, visibility=Photo.Visibility.PRIVATE)
    followers = with_tags(("cat", "auto", 0.9), owner=owner, visibility=Photo.Visibility.FOLLOWERS)
    FollowFactory(follower=user, followee=owner)
    api = client_for(user)
    for photo in (public, followers):  # visible: refused, 403
        assert api.post(f"/api/v1/photos/{photo.pk}/tags/cat/confirm/").status_code == 403
        assert api.delete(f"/api/v1/photos/{photo.pk}/tags/cat/").status_code == 403
        assert api.delete(f"/api/v1/photos/{photo.pk}/tags/nosuch/").status_code == 403  # no probing tags
        assert api.post(f"/api/v1/photos/{photo.pk}/tags/", {"name": "dog"}, format="json").status_code == 403
        assert api.post(f"/api/v1/photos/{photo.pk}/tags/", {"name": ""}, format="json").status_code == 403
    # Not visible: exactly what a photo that does not exist answers.
    missing = Photo.objects.order_by("-pk").first().pk + 1000
    for photo_id in (private.pk, missing):
        assert api.post(f"/api/v1/photos/{photo_id}/tags/cat/confirm/").status_code == 404
        assert api.delete(f"/api/v1/photos/{photo_id}/tags/cat/").status_code == 404
        assert api.post(f"/api/v1/photos/{photo_id}/tags/", {"name": "dog"}, format="json").status_code == 404
    stranger = client_for(UserFactory())
    assert stranger.delete(f"/api/v1/photos/{followers.pk}/tags/cat/").status_code == 404
    anonymous = client_for(None)
    assert anonymous.delete(f"/api/v1/photos/{public.pk}/tags/cat/").status_code in (401, 403)
    assert all(sources(photo) == {"cat": "auto"} for photo in (public, private, followers))
    assert not TagCorrection.objects.exists()


def test_the_service_itself_refuses_anyone_but_the_owner(user):
    photo = with_tags(("cat", "auto", 0.9))
    with pytest.raises(services.PermissionDenied):
        services.photo_tag_remove(actor=user, photo=photo, name="cat")
    assert sources(photo) == {"cat": "auto"}


# The photo page


def test_the_owner_corrects_tags_with_plain_forms_on_the_photo_page(client, user):
    photo = with_tags(("cat", "auto", 0.8, "tag:cat"), ("dog", "auto", 0.3, "tag:dog"), owner=user)
    client.force_login(user)
    page = client.get(photo.get_absolute_url()).content.decode()
    assert f'action="{reverse("photo_tag_confirm", args=[photo.pk, "cat"])}"' in page
    assert f'action="{reverse("photo_tag_remove", args=[photo.pk, "dog"])}"' in page
    assert 'id="tag-add-form"' in page and '<label for="id_tag_name">' in page and 'name="name"' in page

    response = client.post(reverse("photo_tag_confirm", args=[photo.pk, "cat"]))
    assert response.status_code == 302 and response.url == photo.get_absolute_url()
    response = client.post(reverse("photo_tag_remove", args=[photo.pk, "dog"]))
    assert response.status_code == 302
    response = client.post(reverse("photo_tag_add", args=[photo.pk]), {"name": "Hot Dog"}, follow=True)
    assert "Tag “hot dog” added." in response.content.decode()
    assert sources(photo) == {"cat": "confirmed", "hot dog": "user"}
    assert verdicts(photo) == {"cat": "confirmed", "dog": "removed", "hot dog": "added"}
    page = client.get(photo.get_absolute_url()).content.decode()
    assert "Confirmed by you" in page and reverse("photo_tag_confirm", args=[photo.pk, "cat"]) not in page


def test_a_bad_name_on_the_page_answers_400_with_the_reason_in_the_form(client, user):
    photo = with_tags(owner=user)
    client.force_login(user)
    response = client.post(reverse("photo_tag_add", args=[photo.pk]), {"name": "?!"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A tag needs at least one letter or digit." in page and 'value="?!"' in page
    assert not PhotoTag.objects.filter(photo=photo).exists()


def test_others_see_no_correction_forms_and_their_posts_are_refused(client, user):
    photo = with_tags(("cat", "auto", 0.8))
    private = with_tags(("cat", "auto", 0.8), owner=photo.owner, visibility=Photo.Visibility.PRIVATE)
    client.force_login(user)
    page = client.get(photo.get_absolute_url()).content.decode()
    assert "tag-add-form" not in page and "/tags/cat/confirm/" not in page
    assert client.post(reverse("photo_tag_remove", args=[photo.pk, "cat"])).status_code == 403
    assert client.post(reverse("photo_tag_add", args=[photo.pk]), {"name": "x"}).status_code == 403
    assert client.post(reverse("photo_tag_add", args=[photo.pk]), {"name": ""}).status_code == 403
    assert client.post(reverse("photo_tag_remove", args=[private.pk, "cat"])).status_code == 404
    assert client.get(reverse("photo_tag_remove", args=[photo.pk, "cat"])).status_code == 405
    client.logout()
    response = client.post(reverse("photo_tag_remove", args=[photo.pk, "cat"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert sources(photo) == {"cat": "auto"} and sources(private) == {"cat": "auto"}


# Search ranking


def test_confirmed_and_manual_tags_outrank_cnn_tags_of_any_confidence():
    sure = with_tags(("cat", "auto", 0.99))
    confirmed = with_tags(("cat", "auto", 0.05))
    manual = with_tags(("dog", "auto", 0.9))
    services.photo_tag_confirm(actor=confirmed.owner, photo=confirmed, name="cat")
    services.photo_tag_add(actor=manual.owner, photo=manual, name="cat")
    found = [p.pk for p in search.photo_search(AnonymousUser(), "cat")]
    assert found[2] == sure.pk and set(found[:2]) == {confirmed.pk, manual.pk}
    # Tag pages and categories rank the same way.
    assert [p.pk for p in search.tag_photos(AnonymousUser(), "cat")][-1] == sure.pk
    assert [p.pk for p in search.photo_search(AnonymousUser(), "cat animal")][-1] == sure.pk
