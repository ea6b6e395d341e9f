from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("photos.apis.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("", include("photos.urls")),
]

# API clients get JSON for unknown URLs and crashes too; pages keep Django's HTML answers.
handler404 = "photos.apis.errors.page_not_found"
handler500 = "photos.apis.errors.server_error"

if settings.SERVE_MEDIA:
    # Local media (make run, a single machine): served by Django. With object storage, the
    # storage serves it. Every stored copy is a re-encoded image without metadata.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.insert(0, re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
