"""The notifications page, the header's badge and the per-kind settings page."""

import pytest

from photos import services
from photos.models import Notification
from tests.factories import PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def test_the_badge_counts_unread_groups_and_the_page_shows_then_marks_them_read(
    client, django_capture_on_commit_callbacks
):
    photo = PhotoFactory()
    owner = photo.owner
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("ann", "ben"):
            services.like_create(user=UserFactory(username=name), photo=photo)
        services.follow_create(follower=UserFactory(username="cat"), followee=owner)
    client.force_login(owner)
    assert '<span class="count-badge">2<span class="visually-hidden"> unread</span>' in client.get("/").content.decode()
    html = client.get("/notifications/").content.decode()
    assert "ben and 1 other liked your photo" in html and "cat started following you" in html
    assert html.count('class="notification unread"') == 2
    assert "count-badge" not in html  # read now: the badge of this very page is already clear
    assert "notification unread" not in client.get("/notifications/").content.decode()


def test_a_follow_request_links_to_the_requests_page(client, django_capture_on_commit_callbacks):
    owner = UserFactory(is_private=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_create(follower=UserFactory(username="dan"), followee=owner)
    client.force_login(owner)
    html = client.get("/notifications/").content.decode()
    assert "dan asked to follow you" in html and 'href="/accounts/requests/"' in html


def test_notifications_need_a_login(client):
    assert client.get("/notifications/").status_code == 302


@pytest.mark.parametrize("groups", [1, 12])
def test_the_page_runs_a_fixed_number_of_queries(client, groups, django_assert_num_queries):
    owner = UserFactory()
    for photo in PhotoFactory.create_batch(groups, owner=owner):
        Notification.objects.create(recipient=owner, actor=UserFactory(), kind=Kind.COMMENT, photo=photo)
    client.force_login(owner)
    # session, user, groups, their latest rows, marking them read, the badge
    with django_assert_num_queries(6):
        assert client.get("/notifications/").status_code == 200
    with django_assert_num_queries(5):  # nothing unread: nothing to mark
        assert client.get("/notifications/").status_code == 200


def test_settings_turn_kinds_off_and_on(client, user):
    client.force_login(user)
    page = client.get("/accounts/notifications/").content.decode()
    # Notices from the moderators cannot be turned off: no box for them.
    optional = [kind for kind in Kind.values if kind != Kind.MODERATION]
    assert page.count('type="checkbox"') == len(optional) and page.count("checked") == len(optional)
    kept = [kind for kind in optional if kind != Kind.LIKE]
    assert client.post("/accounts/notifications/", {"kinds": kept}).status_code == 302
    user.refresh_from_db()
    assert user.notifications_off == [Kind.LIKE]
    client.post("/accounts/notifications/", {"kinds": Kind.values})
    user.refresh_from_db()
    assert user.notifications_off == []
