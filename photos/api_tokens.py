"""API tokens (django-rest-knox): issued at each sign-in, expiring, listed and revoked by their owner.

Only a hash of each token is stored, so a token is shown once, when it is made. A token is known
to its owner afterwards by its *id*, the start of that hash (telling nothing about the secret),
and by its *prefix*, its first few characters, enough to recognise it in a client's settings.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired

from photos.models import User

TOKEN_ID_LENGTH = 16
TOKEN_PREFIX_LENGTH = 8


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: the only time its secret is at hand."""

    token: AuthToken
    key: str


def api_token_id(token: AuthToken) -> str:
    """Return the id a token is listed and revoked by."""
    return token.digest[:TOKEN_ID_LENGTH]


def api_token_create(*, user: User) -> IssuedToken:
    """Issue a new token for ``user`` (lasting settings.REST_KNOX["TOKEN_TTL"]); drop their expired ones."""
    with transaction.atomic():
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        token, key = AuthToken.objects.create(user=user)
    return IssuedToken(token=token, key=key)


def api_token_delete(*, token: AuthToken) -> None:
    """Revoke one token: requests carrying it are refused from now on."""
    token.delete()


def api_tokens_of(user: User, *, now: datetime | None = None) -> QuerySet[AuthToken]:
    """Return ``user``'s tokens still in force, newest first."""
    now = now or timezone.now()
    return AuthToken.objects.filter(Q(expiry__isnull=True) | Q(expiry__gt=now), user=user).order_by("-created")


def api_token_get(*, user: User, token_id: str) -> AuthToken:
    """Return ``user``'s token with this id, or raise Http404 (someone else's token is nobody's)."""
    if len(token_id) != TOKEN_ID_LENGTH:
        raise Http404("No such token.")
    return get_object_or_404(api_tokens_of(user), digest__startswith=token_id)


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's token check, less its housekeeping on every request.

    knox reads all of the user's tokens on each request to delete their other expired ones: a
    second query per API request. ``api_token_create`` deletes them at each sign-in instead, and an
    expired token is refused (and deleted) here as before: only its own expiry is checked.
    """

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The API schema's security scheme for this class: knox's own (drf-spectacular matches classes exactly)."""

    target_class = "photos.api_tokens.TokenAuthentication"
