"""Rate limits on the requests worth abusing: sign-up, password guessing, uploads, social actions.

Counts live in the default cache, so with ``REDIS_URL`` every web process shares them. Rates
come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (settings, overridable from the
environment); a throttled request gets 429 with ``Retry-After``. The same classes guard the
API views and, through ``throttle_posts``, the HTML forms, so both count against one limit.
"""

from collections.abc import Callable
from functools import wraps
from math import ceil

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # DRF binds THROTTLE_RATES when the class is defined; read them per request instead so
        # that changed settings (tests, a reloaded configuration) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class _PerAddressThrottle(_SettingsRateThrottle):
    """Count requests per client address, signed in or not (see NUM_PROXIES for proxies)."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterThrottle(_PerAddressThrottle):
    scope = "register"


class LoginThrottle(_PerAddressThrottle):
    scope = "login"


class _PerAccountWriteThrottle(_SettingsRateThrottle):
    """Count an account's writes; reads (GET, HEAD, OPTIONS) of the same view are not limited."""

    def get_cache_key(self, request, view) -> str | None:
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None  # anonymous writes are refused by the permission check anyway
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class UploadThrottle(_PerAccountWriteThrottle):
    """Count uploads (photos and avatars) per account: decoding images is the costliest request."""

    scope = "upload"


class CommentThrottle(_PerAccountWriteThrottle):
    scope = "comment"


class LikeThrottle(_PerAccountWriteThrottle):
    scope = "like"


class FollowThrottle(_PerAccountWriteThrottle):
    scope = "follow"


class ExplainThrottle(_PerAccountWriteThrottle):
    """Count Grad-CAM requests per account: each may start seconds of TensorFlow work in a worker."""

    scope = "explain"


class ReportThrottle(_PerAccountWriteThrottle):
    """Count reports per account: each one lands in a person's queue."""

    scope = "report"


class ExportThrottle(_PerAccountWriteThrottle):
    """Count data exports per account: each zips every photo of the account in a worker."""

    scope = "export"


def throttle_posts(*throttle_classes: type[SimpleRateThrottle]) -> Callable:
    """Answer 429 with ``Retry-After`` to a form POST past any of the throttles' rates."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                for throttle_class in throttle_classes:
                    throttle = throttle_class()
                    if not throttle.allow_request(request, None):
                        wait = ceil(throttle.wait() or 1)
                        response = render(request, "photos/throttled.html", {"wait": wait}, status=429)
                        response["Retry-After"] = str(wait)
                        return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
