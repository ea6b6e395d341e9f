"""HTML pages for reporting a photo, a comment or an account: a form, then back where one came from."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from photos.moderation import selectors, services
from photos.moderation.forms import ReportForm
from photos.throttles import ReportThrottle, throttle_posts


def _back(target) -> str:
    if hasattr(target, "photo"):  # a comment: back to its photo
        return target.photo.get_absolute_url()
    return target.get_absolute_url()


@login_required
@throttle_posts(ReportThrottle)
def report(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Ask why the visitor reports the target, then file the report; the target must be one they see."""
    target = selectors.report_target_get(viewer=request.user, kind=kind, key=key)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(reporter=request.user, target=target, **form.cleaned_data)
        except ValidationError as error:
            for message in error.message_dict.get("target", []):
                form.add_error(None, message)
            for field in ("reason", "text"):
                for message in error.message_dict.get(field, []):
                    form.add_error(field, message)
        else:
            messages.success(request, "Thank you. Your report was sent to the moderators.")
            return redirect(_back(target))
    status = 400 if form.errors else 200
    context = {"form": form, "kind": kind, "target": target, "back": _back(target)}
    return render(request, "photos/report.html", context, status=status)
