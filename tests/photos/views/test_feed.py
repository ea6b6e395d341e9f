"""The home feed: a column of full cards, paged by cursor, in a fixed number of queries."""

import pytest

from photos import services
from photos.limits import FEED_PAGE_SIZE
from tests.factories import CommentFactory, FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_card_has_owner_time_display_image_linked_caption_chips_and_the_latest_two_comments(client, user):
    friend = UserFactory(display_name="Friend")
    FollowFactory(follower=user, followee=friend)
    photo = PhotoFactory(owner=friend, caption="Sunset with @ann #beach")
    PhotoTagFactory(photo=photo)
    for text in ("first", "second", "third"):
        services.comment_create(author=UserFactory(), photo=photo, text=text)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "Friend" in html and "<time datetime=" in html
    assert photo.image.url in html and photo.thumbnail.url not in html  # the display image, not the thumbnail
    assert '<a class="mention" href="/u/ann/">@ann</a>' in html
    assert '<a class="hashtag" href="/tags/beach/">#beach</a>' in html
    assert 'class="chip' in html
    assert "first" not in html and html.index("second") < html.index("third")
    assert "View all 3 comments" in html
    assert f'action="/p/{photo.pk}/like/"' in html and f'action="/p/{photo.pk}/comments/"' in html


def test_comments_by_someone_in_a_block_are_not_among_the_latest(client, user):
    photo = PhotoFactory(owner=user)
    rude = UserFactory()
    services.comment_create(author=UserFactory(), photo=photo, text="kind words")
    services.comment_create(author=rude, photo=photo, text="rude words")
    services.block_create(blocker=user, blocked=rude)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "kind words" in html and "rude words" not in html and "View all" not in html


def test_older_photos_come_by_cursor_as_a_page_or_a_fragment(client, user):
    photos = PhotoFactory.create_batch(FEED_PAGE_SIZE + 3, owner=user)
    client.force_login(user)
    first = client.get("/")
    assert len(first.context["photos"]) == FEED_PAGE_SIZE
    cursor = first.context["next_cursor"]
    assert f'href="?cursor={cursor}"' in first.content.decode()
    fragment = client.get("/", {"cursor": cursor, "fragment": "1"})
    body = fragment.content.decode()
    assert "<html" not in body and body.count('class="feed-card"') == 3
    assert fragment.context["next_cursor"] is None
    shown = [p.pk for p in first.context["photos"]] + [p.pk for p in fragment.context["photos"]]
    assert shown == [p.pk for p in sorted(photos, key=lambda p: (p.created_at, p.pk), reverse=True)]
    # A mangled cursor starts again from the newest instead of failing.
    assert [p.pk for p in client.get("/", {"cursor": "nope"}).context["photos"]] == shown[:FEED_PAGE_SIZE]


def test_the_plain_like_and_comment_forms_still_work(client, user):
    photo = PhotoFactory()
    FollowFactory(follower=user, followee=photo.owner)
    client.force_login(user)
    assert client.post(f"/p/{photo.pk}/like/").status_code == 302
    assert client.post(f"/p/{photo.pk}/comments/", {"text": "lovely"}).status_code == 302
    photo.refresh_from_db()
    assert (photo.like_count, photo.comment_count) == (1, 1)
    assert "lovely" in client.get("/").content.decode()


@pytest.mark.parametrize("photos", [1, FEED_PAGE_SIZE + 5])
def test_the_feed_runs_a_fixed_number_of_queries(client, user, photos, django_assert_num_queries):
    friend = UserFactory()
    FollowFactory(follower=user, followee=friend)
    for _ in range(photos):
        photo = PhotoFactory(owner=friend)
        PhotoTagFactory(photo=photo)
        CommentFactory.create_batch(3, photo=photo)
        services.like_create(user=user, photo=photo)
    client.force_login(user)
    # session, user, photos (owner, liked, comment count), tags, latest comments (authors), the unread badge
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200
    with django_assert_num_queries(5):  # the fragment has no header
        assert client.get("/", {"fragment": "1"}).status_code == 200
