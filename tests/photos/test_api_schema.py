"""Property-based API tests: Schemathesis generates requests from the project's own OpenAPI schema.

Every operation of ``/api/schema/`` is called in-process through the WSGI app, signed in with a
token, with a bounded number of generated examples. No answer may be a server error, and every
answer must be what the schema says: a documented status code, content type, body and headers.
Path parameters are steered towards real rows (one's own photo, someone else's private one, a
stranger, a private account) so that more than the 404 branch is exercised.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from photos import services
from photos.models import Photo
from tests.factories import CommentFactory, FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 15

# Loaded when the module is collected (pytest-django has set Django up by then), so that each
# operation becomes its own test. Generating the schema reads no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across WSGI requests, as Django's test client does.

    Django closes connections when a request starts and ends; inside the test's transaction
    that would close the very connection the test is using.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def generous_rates(settings):
    """Throttles would answer most generated sign-ups with 429 (documented, but it hides the rest)."""
    rates = {scope: "100000/hour" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture
def site(in_process_requests, generous_rates):
    """The signed-in caller, with things to find: own and others' photos, follows, a request, a block."""
    me = UserFactory(username="caller")
    friend, private = UserFactory(username="friend"), UserFactory(username="hermit", is_private=True)
    UserFactory(username="stranger")
    FollowFactory(follower=me, followee=friend)
    services.follow_create(follower=UserFactory(username="asker"), followee=me)  # accepted: caller is public
    me.is_private = True
    me.save()
    services.follow_create(follower=UserFactory(username="waiting"), followee=me)
    services.block_create(blocker=me, blocked=UserFactory(username="pest"))
    photos = [
        PhotoFactory(owner=me),
        PhotoFactory(owner=me, visibility=Photo.Visibility.PRIVATE),
        PhotoFactory(owner=friend, visibility=Photo.Visibility.FOLLOWERS),
        PhotoFactory(owner=private),
    ]
    for photo in photos:
        PhotoTagFactory(photo=photo, tag__name="cat", classes=[{"name": "tabby", "score": 0.8}])
        CommentFactory(photo=photo)
    return {
        "headers": {"Authorization": f"Token {AuthToken.objects.create(user=me)[1]}"},
        "usernames": ["caller", "friend", "hermit", "stranger", "asker", "waiting", "pest", "me"],
        "photo_ids": [photo.pk for photo in photos],
    }


def _steer(case, site) -> None:
    """Replace two generated path values in three with real ones, deterministically (for shrinking)."""
    parameters = case.path_parameters or {}
    if isinstance(parameters.get("photo_id"), int) and parameters["photo_id"] % 3:
        parameters["photo_id"] = site["photo_ids"][parameters["photo_id"] % len(site["photo_ids"])]
    for name in ("username", "name"):
        value = parameters.get(name)
        if isinstance(value, str) and len(value) % 3:
            pool = site["usernames"] if name == "username" else ["cat", "tabby", "dog"]
            parameters[name] = pool[len(value) % len(pool)]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
def test_every_operation_answers_as_its_schema_says(case, site):
    _steer(case, site)
    case.call_and_validate(headers=site["headers"], checks=CHECKS)
