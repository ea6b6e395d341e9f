"""Pages: the owner confirms, removes or adds a tag on the photo page (plain forms, no JavaScript needed)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from photos import selectors
from photos.corrections import services
from photos.corrections.forms import TagAddForm
from photos.corrections.selectors import may_correct_tags
from photos.forms import CommentForm


def _refused(request: HttpRequest, photo, form: TagAddForm) -> HttpResponse:
    """Show the photo page again with what was wrong (400), the typed name kept in the form."""
    comments = selectors.photo_comments(photo, viewer=request.user)
    context = {"photo": photo, "comments": comments, "comment_form": CommentForm(), "tag_form": form}
    return render(request, "photos/photo_detail.html", context, status=400)


@require_POST
@login_required
def tag_add(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if not may_correct_tags(user=request.user, photo=photo):  # before judging the input: refused is refused
        raise PermissionDenied(services.NOT_OWNER)
    form = TagAddForm(request.POST)
    if not form.is_valid():
        return _refused(request, photo, form)
    try:
        photo_tag, created = services.photo_tag_add(actor=request.user, photo=photo, name=form.cleaned_data["name"])
    except ValidationError as error:
        form.add_error("name", " ".join(error.messages))
        return _refused(request, photo, form)
    name = photo_tag.tag.name
    messages.success(request, f"Tag “{name}” added." if created else f"“{name}” is your tag now.")
    return redirect(photo)


@require_POST
@login_required
def tag_confirm(request: HttpRequest, photo_id: int, name: str) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    try:
        photo_tag = services.photo_tag_confirm(actor=request.user, photo=photo, name=name)
    except (services.NoSuchTag, ValidationError) as error:
        raise Http404(str(error)) from error
    messages.success(request, f"Tag “{photo_tag.tag.name}” confirmed.")
    return redirect(photo)


@require_POST
@login_required
def tag_remove(request: HttpRequest, photo_id: int, name: str) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    try:
        services.photo_tag_remove(actor=request.user, photo=photo, name=name)
    except services.NoSuchTag as error:
        raise Http404(error.message) from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _refused(request, photo, TagAddForm())
    messages.success(request, "Tag removed. Tagging the photo again will not bring it back.")
    return redirect(photo)
