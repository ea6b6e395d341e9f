from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from photos.throttles import LoginThrottle, throttle_posts
from photos.views import media
from socialsite.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Password guesses at the admin count against the same per-address limit as the site's login.
    path("admin/login/", throttle_posts(LoginThrottle)(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("photos.apis.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's setup script as a file: the CSP allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api_docs",
    ),
    path("", include("photos.urls")),
]

# API clients get JSON for unknown URLs, refusals and crashes too; pages get the site's own
# templates/404.html, 403.html and 500.html.
handler403 = "photos.apis.errors.permission_denied"
handler404 = "photos.apis.errors.page_not_found"
handler500 = "photos.apis.errors.server_error"

if settings.SERVE_MEDIA:
    # Local media (make run, a single machine): served by Django to those who may see the photo.
    # With object storage, the storage serves signed URLs. Every stored copy is metadata-free.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.insert(0, re_path(rf"^{media_prefix}(?P<path>.*)$", media.media, name="media"))
