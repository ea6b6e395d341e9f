"""Reporting a photo, a comment or an account: pages, API, one open report per target, throttled."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from photos.models import Photo
from photos.moderation.models import ModerationCase, Report
from photos.moderation.services import report_create
from tests.factories import CommentFactory, PhotoFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported():
    owner = UserFactory(username="troll")
    photo = PhotoFactory(owner=owner)
    comment = CommentFactory(photo=PhotoFactory(), author=owner, text="go away")
    return {"owner": owner, "photo": photo, "comment": comment}


def _targets(reported) -> dict[str, str]:
    return {
        "photo": f"photo:{reported['photo'].pk}",
        "comment": f"comment:{reported['comment'].pk}",
        "account": "account:troll",
    }


@pytest.mark.parametrize("kind", ["photo", "comment", "account"])
def test_api_report_of_each_kind_opens_one_case_and_a_second_report_is_refused(reported, kind):
    reporter = UserFactory()
    target = _targets(reported)[kind]
    answer = client_for(reporter).post(
        "/api/v1/reports/", {"target": target, "reason": "harassment", "text": "mean"}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["target"] == target and answer.json()["reason"] == "harassment"
    case = ModerationCase.objects.get()
    assert case.target_kind == kind and case.report_count == 1 and case.status == "open"
    assert case.target_id == (reported["owner"].pk if kind == "account" else reported[kind].pk)

    again = client_for(reporter).post("/api/v1/reports/", {"target": target, "reason": "spam"}, format="json")
    assert again.status_code == 400 and "already reported" in again.json()["target"][0]
    # Another person's report gathers in the same case.
    other = client_for(UserFactory()).post("/api/v1/reports/", {"target": target, "reason": "spam"}, format="json")
    assert other.status_code == 201
    case.refresh_from_db()
    assert ModerationCase.objects.count() == 1 and case.report_count == 2


def test_the_database_allows_one_report_per_person_per_open_case(reported):
    reporter = UserFactory()
    report = report_create(reporter=reporter, target=reported["photo"], reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(case=report.case, reporter=reporter, reason="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModerationCase.objects.create(photo=reported["photo"])  # a second open case for the same photo


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"target": "photo:abc", "reason": "spam"}, 400, "target"),
        ({"target": "parrot:1", "reason": "spam"}, 400, "target"),
        ({"target": "account:troll", "reason": "rude"}, 400, "reason"),
        ({"target": "account:troll", "reason": "other", "text": "x" * 1001}, 400, "text"),
        ({"target": "photo:999999", "reason": "spam"}, 404, None),
        ({"target": "account:nobody", "reason": "spam"}, 404, None),
    ],
)
def test_api_bad_reports_say_what_is_wrong_and_write_nothing(reported, body, status, field):
    answer = client_for(UserFactory()).post("/api/v1/reports/", body, format="json")
    assert answer.status_code == status
    if field:
        assert field in answer.json()
    assert not Report.objects.exists() and not ModerationCase.objects.exists()


def test_nobody_reports_their_own_content_or_what_they_cannot_see(reported):
    owner = reported["owner"]
    own = client_for(owner).post("/api/v1/reports/", {"target": "account:troll", "reason": "spam"}, format="json")
    assert own.status_code == 400 and "your own" in own.json()["target"][0]
    private = PhotoFactory(visibility=Photo.Visibility.PRIVATE)
    hidden = client_for(UserFactory()).post(
        "/api/v1/reports/", {"target": f"photo:{private.pk}", "reason": "spam"}, format="json"
    )
    assert hidden.status_code == 404  # the same answer as for a photo that does not exist
    anonymous = client_for(None).post("/api/v1/reports/", {"target": "account:troll", "reason": "spam"})
    assert anonymous.status_code in (401, 403)
    assert not Report.objects.exists()


def test_reports_are_throttled_per_account_on_the_api_and_the_pages(reported, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] | {"report": "2/hour"}
    }
    reporter = UserFactory()
    api = client_for(reporter)
    for kind in ("photo", "comment"):
        target = _targets(reported)[kind]
        assert api.post("/api/v1/reports/", {"target": target, "reason": "spam"}, format="json").status_code == 201
    third = api.post("/api/v1/reports/", {"target": "account:troll", "reason": "spam"}, format="json")
    assert third.status_code == 429 and "Retry-After" in third
    api.force_login(reporter)
    page = api.post(reverse("account_report", args=["troll"]), {"reason": "spam"})
    assert page.status_code == 429
    assert Report.objects.count() == 2


def test_report_pages_for_photo_comment_and_account(client, reported):
    reporter = UserFactory()
    client.force_login(reporter)
    photo, comment = reported["photo"], reported["comment"]
    # The buttons are on the photo page (photo and each comment) and the profile.
    detail = client.get(photo.get_absolute_url()).content.decode()
    assert reverse("photo_report", args=[photo.pk]) in detail
    on_comment = client.get(comment.photo.get_absolute_url()).content.decode()
    assert reverse("comment_report", args=[comment.pk]) in on_comment
    assert reverse("account_report", args=["troll"]) in client.get("/u/troll/").content.decode()

    form = client.get(reverse("comment_report", args=[comment.pk]))
    assert form.status_code == 200 and "go away" in form.content.decode()
    missing_reason = client.post(reverse("photo_report", args=[photo.pk]), {"text": "?"})
    assert missing_reason.status_code == 400 and not Report.objects.exists()
    for url, back in [
        (reverse("photo_report", args=[photo.pk]), photo.get_absolute_url()),
        (reverse("comment_report", args=[comment.pk]), comment.photo.get_absolute_url()),
        (reverse("account_report", args=["troll"]), "/u/troll/"),
    ]:
        answer = client.post(url, {"reason": "violence", "text": "threat"})
        assert answer.status_code == 302 and answer["Location"] == back
    assert Report.objects.filter(reporter=reporter).count() == 3
    twice = client.post(reverse("photo_report", args=[photo.pk]), {"reason": "spam"})
    assert twice.status_code == 400 and "already reported" in twice.content.decode()


def test_report_pages_need_sign_in_and_a_visible_target(client, reported):
    url = reverse("photo_report", args=[reported["photo"].pk])
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(UserFactory())
    private = PhotoFactory(visibility=Photo.Visibility.PRIVATE)
    assert client.get(reverse("photo_report", args=[private.pk])).status_code == 404
    # The owner does not get a report button on their own things.
    client.force_login(reported["owner"])
    assert url not in client.get(reported["photo"].get_absolute_url()).content.decode()
