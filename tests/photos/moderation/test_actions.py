"""Each moderation action, posted through the admin queue: its effect, its log, and what people are told."""

import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from photos.models import Comment, Notification, Photo, User
from photos.moderation.models import ModerationAction, ModerationCase
from photos.moderation.services import report_create
from photos.notifications.selectors import notification_groups
from tests.factories import CommentFactory, PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_QUEUE = "admin:photos_moderationcase_changelist"


def staff_with(*codenames: str) -> User:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="photos", codename__in=codenames))
    return staff


@pytest.fixture
def moderator():
    return staff_with("view_moderationcase", "change_moderationcase", "view_photo", "view_private")


@pytest.fixture
def world():
    owner = UserFactory(username="troll")
    photo = PhotoFactory(owner=owner, caption="bad photo")
    comment = CommentFactory(photo=PhotoFactory(), author=owner, text="go away")
    reporters = [UserFactory(username=f"reporter{n}") for n in range(2)]
    return {"owner": owner, "photo": photo, "comment": comment, "account": owner, "reporters": reporters}


def _report_all(world, kind: str) -> ModerationCase:
    for reporter in world["reporters"]:
        report_create(reporter=reporter, target=world[kind], reason="harassment", text="please look")
    return ModerationCase.objects.get(**{kind: world[kind]})


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """Run what the actions leave for after the commit (notices, file deletions) as a real request does."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def _act(client, moderator, case: ModerationCase, action: str, reason: str = "breaks rule 3"):
    client.force_login(moderator)
    with _capture(execute=True):
        return client.post(
            reverse(ADMIN_QUEUE), {"action": f"case_{action}", "_selected_action": [case.pk], "reason": reason}
        )


def _notices(user: User) -> list[str]:
    return [group.text for group in notification_groups(user, size=50)[0] if group.actor is None]


def _logged(case: ModerationCase, moderator: User, action: str, subject: User) -> None:
    logged = ModerationAction.objects.get()
    assert (logged.kind, logged.moderator, logged.subject, logged.reason) == (
        action,
        moderator,
        subject,
        "breaks rule 3",
    )
    assert logged.target_kind == case.target_kind and logged.target_id == case.target_id and logged.created_at


def test_queue_groups_reports_by_target_most_reported_then_newest(client, moderator, world):
    photo_case = _report_all(world, "photo")  # two reports
    report_create(reporter=world["reporters"][0], target=world["comment"], reason="spam")  # one, newer
    report_create(reporter=world["reporters"][0], target=world["account"], reason="spam")  # one, newest
    client.force_login(moderator)
    page = client.get(reverse(ADMIN_QUEUE))
    assert page.status_code == 200
    cases = list(page.context["cl"].result_list)
    assert [case.target_kind for case in cases] == ["photo", "account", "comment"]
    assert cases[0] == photo_case and cases[0].report_count == 2
    html = page.content.decode()
    assert world["photo"].thumbnail.url in html and "go away" in html


def test_private_content_shows_in_the_queue_only_with_view_private_and_is_logged(client, world, caplog):
    world["photo"].visibility = Photo.Visibility.FOLLOWERS
    world["photo"].save()
    world["reporters"][0].following_set.create(followee=world["owner"])
    report_create(reporter=world["reporters"][0], target=world["photo"], reason="nudity")
    client.force_login(staff_with("view_moderationcase", "change_moderationcase"))
    html = client.get(reverse(ADMIN_QUEUE)).content.decode()
    assert world["photo"].thumbnail.url not in html and "not shown" in html
    trusted = staff_with("view_moderationcase", "view_private")
    client.force_login(trusted)
    with caplog.at_level(logging.INFO, logger="socialsite.audit"):
        html = client.get(reverse(ADMIN_QUEUE)).content.decode()
    assert world["photo"].thumbnail.url in html
    assert any(f"followers photo {world['photo'].pk}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kind", ["photo", "comment"])
def test_hide_shows_the_content_to_nobody_but_its_owner(client, moderator, world, kind):
    case = _report_all(world, kind)
    assert _act(client, moderator, case, "hide").status_code == 302
    target = world[kind]
    target.refresh_from_db()
    assert target.is_hidden
    _logged(case, moderator, "hide", world["owner"])
    case.refresh_from_db()
    assert case.status == "actioned"
    stranger = APIClient()
    stranger.force_login(world["reporters"][0])
    if kind == "photo":
        assert stranger.get(f"/api/v1/photos/{target.pk}/").status_code == 404
        assert stranger.get(target.thumbnail.url).status_code == 404
        owner = APIClient()
        owner.force_login(world["owner"])
        assert owner.get(f"/api/v1/photos/{target.pk}/").status_code == 200
    else:
        texts = [c["text"] for c in stranger.get(f"/api/v1/photos/{target.photo_id}/comments/").json()["results"]]
        assert "go away" not in texts
        assert stranger.get(f"/api/v1/photos/{target.photo_id}/").json()["comment_count"] == 0
        author = APIClient()
        author.force_login(world["owner"])
        texts = [c["text"] for c in author.get(f"/api/v1/photos/{target.photo_id}/comments/").json()["results"]]
        assert "go away" in texts


@pytest.mark.parametrize("kind", ["photo", "comment"])
def test_delete_removes_the_content_and_keeps_the_log(client, moderator, world, kind):
    case = _report_all(world, kind)
    name = world["photo"].image.name
    assert _act(client, moderator, case, "delete").status_code == 302
    model = Photo if kind == "photo" else Comment
    assert not model.objects.filter(pk=world[kind].pk).exists()
    _logged(case, moderator, "delete", world["owner"])
    assert ModerationAction.objects.get().case is None  # the case went with its target; the log stays
    if kind == "photo":
        from django.core.files.storage import default_storage

        assert not default_storage.exists(name)
    for reporter in world["reporters"]:
        assert _notices(reporter) == [f"We reviewed the {kind} you reported and took action. Thank you for telling us."]


def test_warn_tells_the_person_why_and_the_reporters_only_that_action_was_taken(client, moderator, world):
    case = _report_all(world, "comment")
    _act(client, moderator, case, "warn", reason="breaks rule 3")
    assert _notices(world["owner"]) == ["A moderator warned you about your comment: breaks rule 3"]
    for reporter in world["reporters"]:
        notices = _notices(reporter)
        assert notices == ["We reviewed the comment you reported and took action. Thank you for telling us."]
        assert "troll" not in notices[0] and "warn" not in notices[0]
    _logged(case, moderator, "warn", world["owner"])
    # The notice reads the same on the API, with no actor.
    api = APIClient()
    api.force_login(world["owner"])
    [line] = api.get("/api/v1/notifications/").json()["results"]
    assert line["actor"] is None and line["kind"] == "moderation" and "rule 3" in line["text"]
    page = api.get("/notifications/").content.decode()
    assert "breaks rule 3" in page


def test_suspend_blocks_sign_in_and_tokens_and_hides_everything_of_theirs(client, moderator, world):
    owner = world["owner"]
    owner.set_password("correct horse battery staple")
    owner.save()
    api = APIClient()
    token = api.post(
        "/api/v1/auth/token/", {"username": "troll", "password": "correct horse battery staple"}, format="json"
    ).json()["token"]
    assert api.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    session = APIClient()
    session.force_login(owner)
    case = _report_all(world, "account")

    assert _act(client, moderator, case, "suspend").status_code == 302
    owner.refresh_from_db()
    assert not owner.is_active and not AuthToken.objects.filter(user=owner).exists()
    assert api.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert session.get("/api/v1/users/me/").status_code in (401, 403)  # the session no longer signs in
    signin = APIClient().post(
        "/api/v1/auth/token/", {"username": "troll", "password": "correct horse battery staple"}, format="json"
    )
    assert signin.status_code == 400
    assert not client.login(username="troll", password="correct horse battery staple")
    _logged(case, moderator, "suspend", owner)

    viewer = APIClient()
    viewer.force_login(world["reporters"][0])
    assert viewer.get(f"/api/v1/photos/{world['photo'].pk}/").status_code == 404
    assert viewer.get("/api/v1/users/troll/").status_code == 404
    assert viewer.get("/api/v1/users/?q=troll").json()["results"] == []
    comment = world["comment"]
    texts = [c["text"] for c in viewer.get(f"/api/v1/photos/{comment.photo_id}/comments/").json()["results"]]
    assert texts == []
    assert viewer.get(f"/api/v1/photos/{comment.photo_id}/").json()["comment_count"] == 0
    assert viewer.get(world["photo"].thumbnail.url).status_code == 404


def test_dismiss_changes_nothing_and_tells_the_reporters(client, moderator, world):
    case = _report_all(world, "photo")
    _act(client, moderator, case, "dismiss")
    world["photo"].refresh_from_db()
    assert not world["photo"].is_hidden
    case.refresh_from_db()
    assert case.status == "dismissed"
    _logged(case, moderator, "dismiss", world["owner"])
    assert _notices(world["reporters"][1]) == [
        "We reviewed the photo you reported and found it does not break our rules. Thank you for telling us."
    ]
    assert _notices(world["owner"]) == []  # the reported person learns nothing of it
    # A new report after the case closed opens a new case.
    report_create(reporter=world["reporters"][0], target=world["photo"], reason="spam")
    assert ModerationCase.objects.filter(photo=world["photo"], status="open").count() == 1


def test_actions_need_a_reason_an_open_case_and_a_fitting_target(client, moderator, world):
    case = _report_all(world, "account")
    _act(client, moderator, case, "hide")  # an account is not hidden: suspend it
    _act(client, moderator, case, "warn", reason="  ")
    case.refresh_from_db()
    assert case.status == "open" and not ModerationAction.objects.exists()
    _act(client, moderator, case, "dismiss")
    _act(client, moderator, case, "suspend")  # closed already
    assert ModerationAction.objects.count() == 1
    world["owner"].refresh_from_db()
    assert world["owner"].is_active


def test_staff_without_change_permission_cannot_act(client, world):
    case = _report_all(world, "photo")
    viewer = staff_with("view_moderationcase")
    _act(client, viewer, case, "hide")
    world["photo"].refresh_from_db()
    assert not world["photo"].is_hidden and not ModerationAction.objects.exists()


def test_suspension_from_the_user_admin_is_logged_and_can_be_lifted(admin_client, admin_user, world):
    owner = world["owner"]
    url = reverse("admin:photos_user_changelist")
    admin_client.post(url, {"action": "suspend_users", "_selected_action": [owner.pk], "reason": "spam wave"})
    owner.refresh_from_db()
    assert not owner.is_active
    admin_client.post(url, {"action": "unsuspend_users", "_selected_action": [owner.pk], "reason": "appeal ok"})
    owner.refresh_from_db()
    assert owner.is_active
    kinds = list(ModerationAction.objects.order_by("id").values_list("kind", "moderator", "reason"))
    assert kinds == [("suspend", admin_user.pk, "spam wave"), ("unsuspend", admin_user.pk, "appeal ok")]
    assert Notification.objects.filter(recipient=owner).count() == 0


def test_a_case_page_shows_its_reports_and_the_log_lists_every_action(client, moderator, world):
    case = _report_all(world, "comment")
    client.force_login(moderator)
    page = client.get(reverse("admin:photos_moderationcase_change", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "go away" in html and html.count("please look") == 2
    _act(client, moderator, case, "hide")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    log = client.get(reverse("admin:photos_moderationaction_changelist")).content.decode()
    assert "breaks rule 3" in log and moderator.username in log
    closed = client.get(reverse(ADMIN_QUEUE), {"status__exact": "actioned"})
    assert [c.pk for c in closed.context["cl"].result_list] == [case.pk]
    assert list(client.get(reverse(ADMIN_QUEUE)).context["cl"].result_list) == []  # the open queue is empty


def test_a_hidden_comment_is_gone_from_the_feed_and_the_photo_page_but_for_its_author(client, moderator, world):
    comment = world["comment"]
    reader = world["reporters"][0]
    reader.following_set.create(followee=comment.photo.owner)
    case = _report_all(world, "comment")
    _act(client, moderator, case, "hide")
    client.force_login(reader)
    assert "go away" not in client.get("/").content.decode()
    assert "go away" not in client.get(comment.photo.get_absolute_url()).content.decode()
    client.force_login(world["owner"])
    page = client.get(comment.photo.get_absolute_url()).content.decode()
    assert "go away" in page and "hidden by a moderator" in page
