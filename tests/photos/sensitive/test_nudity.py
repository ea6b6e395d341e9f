"""The nudity detector in the worker: what it marks, what it must not, and an owner's unmark it was confident about.

No explicit image is used: with its labels set to a face class (NUDITY_LABELS=FACE_FEMALE), the same
code path marks the astronaut photo, which shows the marking, the blur and the review working end to
end on a real photo and the real model; with the real labels, no sample photo is marked.
"""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from photos import services
from photos.models import Notification, Photo
from photos.moderation.models import ModerationAction, ModerationCase, Report
from photos.moderation.services import report_create
from photos.sensitive.models import NudityCheck
from photos.sensitive.services import photo_nudity_store
from tests.factories import UserFactory
from tests.helpers import client_for, processed, sample_upload
from tests.photos.moderation.test_actions import staff_with

pytestmark = pytest.mark.django_db

AS_IF_NUDE = {"NUDITY_LABELS": ["FACE_FEMALE"], "NUDITY_THRESHOLD": 0.5, "NUDITY_REVIEW_THRESHOLD": 0.6}


@pytest.fixture
def as_if_nude(settings):
    for name, value in AS_IF_NUDE.items():
        setattr(settings, name, value)


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(owner, name: str, captured) -> Photo:
    with captured(execute=True):  # the blurred thumbnail is made on commit, as in the worker
        photo = processed(services.photo_create(owner=owner, image=sample_upload(name)))
    photo.refresh_from_db()
    return photo


@pytest.mark.parametrize("name", ["astronaut", "coffee", "rocket", "chelsea", "colorwheel"])
def test_no_demo_or_test_photo_is_marked_and_each_keeps_what_was_seen(user, name, django_capture_on_commit_callbacks):
    photo = _upload(user, name, django_capture_on_commit_callbacks)
    check = NudityCheck.objects.get(photo=photo)
    assert not photo.is_sensitive and not check.marked and check.score == 0.0
    assert check.model.startswith("nudenet-320n")
    if name == "astronaut":
        assert [d["label"] for d in check.detections] == ["FACE_FEMALE"]
    if name == "colorwheel":  # NudeNet sees "exposed buttocks" (0.8), discounted: its box is hardly skin
        wheel = check.detections[0]
        assert wheel["label"] == "BUTTOCKS_EXPOSED" and wheel["score"] > 0.7 and wheel["skin"] < 0.3


def test_a_photo_the_detector_marks_is_blurred_for_visitors_and_says_why_to_its_owner_only(
    user, as_if_nude, django_capture_on_commit_callbacks
):
    photo = _upload(user, "astronaut", django_capture_on_commit_callbacks)
    check = NudityCheck.objects.get(photo=photo)
    assert photo.is_sensitive and check.marked and check.score > 0.6 and photo.blurred_thumbnail
    card = APIClient().get(f"/api/v1/photos/{photo.pk}/").json()
    assert card["sensitive"] is True and card["nudity"] is None  # a visitor is not told the labels
    assert card["blurred_thumbnail"]
    grid = Client().get(reverse("profile", args=[user.username])).content.decode()
    assert photo.blurred_thumbnail.url in grid and f'src="{photo.thumbnail.url}"' not in grid  # sharp only on asking
    mine = client_for(user).get(f"/api/v1/photos/{photo.pk}/").json()["nudity"]
    assert mine["marked"] is True and mine["detections"][0]["label"] == "FACE_FEMALE" and mine["review"] == ""
    page = _browser(user).get(reverse("photo_detail", args=[photo.pk])).content.decode()
    assert "Marked sensitive by the nudity detector" in page
    stranger_page = _browser(UserFactory()).get(reverse("photo_detail", args=[photo.pk])).content.decode()
    assert "nudity detector" not in stranger_page

    coffee = _upload(user, "coffee", django_capture_on_commit_callbacks)
    assert not coffee.is_sensitive and not NudityCheck.objects.get(photo=coffee).marked


def test_a_later_look_never_overrides_the_owners_choice(user, as_if_nude, settings, django_capture_on_commit_callbacks):
    settings.NUDITY_REVIEW_THRESHOLD = 0.99  # not confident: the owner may unmark at once
    photo = _upload(user, "astronaut", django_capture_on_commit_callbacks)
    assert client_for(user).patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": False}, format="json").status_code == 200
    photo.refresh_from_db()
    assert not photo.is_sensitive
    from recognition.nudity import detect_nudity

    with photo.image.open("rb") as stored:
        from PIL import Image

        again = detect_nudity(Image.open(stored).convert("RGB"))
    assert photo_nudity_store(photo=photo, found=again) is False  # a retry or retag looks again
    photo.refresh_from_db()
    assert not photo.is_sensitive and NudityCheck.objects.get(photo=photo).score > 0.5


def test_switched_off_the_worker_does_not_look(user, settings, django_capture_on_commit_callbacks):
    settings.NUDITY_DETECTION = False
    photo = _upload(user, "astronaut", django_capture_on_commit_callbacks)
    assert photo.status == Photo.Status.TAGGED and not NudityCheck.objects.filter(photo=photo).exists()


def _queue_act(client, moderator, case, action: str, captured) -> None:
    client.force_login(moderator)
    with captured(execute=True):
        response = client.post(
            reverse("admin:photos_moderationcase_changelist"),
            {"action": f"case_{action}", "_selected_action": [case.pk], "reason": "looked at it"},
        )
    assert response.status_code == 302


def test_unmarking_a_confident_mark_waits_for_a_moderator_who_can_remove_it(
    client, user, as_if_nude, django_capture_on_commit_callbacks
):
    photo = _upload(user, "astronaut", django_capture_on_commit_callbacks)
    owner = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.patch(
            f"/api/v1/photos/{photo.pk}/", {"sensitive": False, "sensitive_note": "It is a portrait"}, format="json"
        )
    assert response.status_code == 202
    assert response.json()["sensitive"] is True and response.json()["nudity"]["review"] == "pending"
    photo.refresh_from_db()
    assert photo.is_sensitive and photo.blurred_thumbnail  # held while it waits
    case = ModerationCase.objects.get(photo=photo, status=ModerationCase.Status.OPEN)
    report = case.reports.get()
    assert (report.reporter, report.reason, report.text) == (user, Report.Reason.UNMARK, "It is a portrait")
    assert owner.patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": False}, format="json").status_code == 202
    assert case.reports.count() == 1  # asking again changes nothing
    page = _browser(user).get(reverse("photo_detail", args=[photo.pk])).content.decode()
    assert "Unmark asked: a moderator will look" in page and "Unmark sensitive" not in page

    moderator = staff_with("view_moderationcase", "change_moderationcase", "view_photo", "view_private")
    queue = _browser(moderator).get(reverse("admin:photos_moderationcase_changelist")).content.decode()
    assert photo.thumbnail.url in queue and "Nudity detector: 0.7" in queue and "saw: face female 0.7" in queue
    photo_admin = _browser(moderator).get(reverse("admin:photos_photo_change", args=[photo.pk])).content.decode()
    assert "Nudity detector" in photo_admin and "FACE_FEMALE" in photo_admin  # why it was marked
    _queue_act(client, moderator, case, "unmark", django_capture_on_commit_callbacks)
    photo.refresh_from_db()
    assert not photo.is_sensitive and not photo.blurred_thumbnail
    assert NudityCheck.objects.get(photo=photo).review == NudityCheck.Review.UNMARKED
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.UNMARK
    notice = Notification.objects.get(recipient=user).message
    assert "removed its sensitive mark" in notice
    # Granted once, the owner's own choice is free again.
    assert owner.patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": True}, format="json").status_code == 200
    assert owner.patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": False}, format="json").status_code == 200


def test_a_moderator_who_keeps_the_mark_ends_the_owners_unmarks(
    client, user, as_if_nude, django_capture_on_commit_callbacks
):
    photo = _upload(user, "astronaut", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        # An unmark from the photo page (HTML) goes the same way.
        owner_page = _browser(user)
        response = owner_page.post(reverse("photo_sensitive", args=[photo.pk]), {"sensitive": "0"}, follow=True)
    assert "a moderator will look at it" in response.content.decode()
    case = ModerationCase.objects.get(photo=photo)
    _queue_act(
        client,
        staff_with("view_moderationcase", "change_moderationcase"),
        case,
        "dismiss",
        django_capture_on_commit_callbacks,
    )
    photo.refresh_from_db()
    assert photo.is_sensitive and NudityCheck.objects.get(photo=photo).review == NudityCheck.Review.KEPT
    assert "kept its sensitive mark" in Notification.objects.get(recipient=user).message

    refused = client_for(user).patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": False}, format="json")
    assert refused.status_code == 400 and "kept its sensitive mark" in str(refused.json())
    page = owner_page.get(reverse("photo_detail", args=[photo.pk])).content.decode()
    assert "a moderator kept the mark" in page and "Unmark sensitive" not in page
    photo.refresh_from_db()
    assert photo.is_sensitive


def test_no_one_can_file_an_unmark_request_as_a_report(user):
    photo = services.photo_create(owner=UserFactory(), image=sample_upload("coffee"))
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.TAGGED)
    response = client_for(user).post(
        "/api/v1/reports/", {"target": f"photo:{photo.pk}", "reason": "unmark"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()
    with pytest.raises(Exception, match="reasons offered"):
        report_create(reporter=user, target=photo, reason="unmark")
    form = _browser(user).get(reverse("photo_report", args=[photo.pk])).content.decode()
    assert 'value="unmark"' not in form and 'value="nudity"' in form


def test_the_owners_findings_cost_one_query_and_others_none(user, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    photo = _upload(user, "astronaut", django_capture_on_commit_callbacks)
    counts = {}
    for who, client in (("owner", client_for(user)), ("other", client_for(UserFactory()))):
        client.get(f"/api/v1/photos/{photo.pk}/")  # warm: the session, the view record
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/api/v1/photos/{photo.pk}/").json()
        counts[who] = [q["sql"] for q in queries.captured_queries]
        assert (body["faces"] is not None, body["nudity"] is not None) == (
            (True, True) if who == "owner" else (False, False)
        )
    found = [sql for sql in counts["owner"] if "photos_photofaces" in sql or "photos_nuditycheck" in sql]
    assert len(found) == 1 and "photos_nuditycheck" in found[0] and "photos_photofaces" in found[0]
    assert len(counts["owner"]) == len(counts["other"]) + 1
