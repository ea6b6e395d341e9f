"""HTML pages of "Download my data": ask for an export, watch it being built, download it."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from photos.export import selectors, services
from photos.throttles import ExportThrottle, throttle_posts


@login_required
@throttle_posts(ExportThrottle)
def data_export(request: HttpRequest) -> HttpResponse:
    """List the visitor's exports with their progress (static/js/export.js polls); POST starts one."""
    if request.method == "POST":
        services.data_export_request(user=request.user)
        return redirect("data_export")
    exports = [(export, selectors.data_export_link(export)) for export in selectors.data_exports_of(request.user)]
    return render(request, "photos/data_export.html", {"exports": exports, "hours": settings.DATA_EXPORT_HOURS})


@login_required
def data_export_download(request: HttpRequest, signed: str) -> FileResponse:
    """Send the zip to its owner only, from storage that is never public media."""
    export = selectors.data_export_download_get(user=request.user, signed=signed)
    response = FileResponse(export.file.open("rb"), as_attachment=True, filename=f"socialsite-{request.user}.zip")
    response["Cache-Control"] = "private, no-store"
    return response
