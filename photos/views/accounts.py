"""HTML pages for a person's own account and content: email, password, deletion, captions, comments.

Password change and reset are Django's own views (wired in photos/urls.py) with the site's templates.
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from photos import selectors, services
from photos.accessibility import services as accessibility_services
from photos.forms import AccountDeleteForm, CaptionForm, EmailChangeForm
from photos.models import Photo
from photos.people import services as account_services
from photos.throttles import LoginThrottle, throttle_posts


@login_required
def settings(request: HttpRequest) -> HttpResponse:
    return render(request, "photos/account_settings.html")


@login_required
@throttle_posts(LoginThrottle)  # the form carries the password: guesses count as sign-in attempts
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        try:
            account_services.user_email_change(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Email address saved.")
            return redirect("account_settings")
    return render(request, "photos/account_email.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@throttle_posts(LoginThrottle)
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            account_services.account_delete(user=user, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, "Your account and everything in it are deleted.")
            return redirect("home")
    return render(request, "photos/account_delete.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def photo_edit(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner can edit this photo.")
    initial = {"caption": photo.caption, "visibility": photo.visibility, "alt_text": photo.alt_text}
    form = CaptionForm(request.POST or None, initial=initial)
    if photo.alt_text_source == Photo.AltTextSource.AUTO:
        form.fields[
            "alt_text"
        ].help_text = (
            "auto: drafted from what the network saw. Check it and correct it; once you change it, it is yours."
        )
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if "alt_text" not in form.changed_data:
            # Saving a caption does not make an untouched draft the owner's: "Accept" does that.
            del changes["alt_text"]
        try:
            services.photo_update(photo=photo, **changes)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Photo saved.")
            return redirect(photo)
    context = {"form": form, "photo": photo}
    return render(request, "photos/photo_edit.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def photo_alt_text_accept(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner can accept this photo's alt text.")
    accessibility_services.photo_alt_text_accept(photo=photo)
    messages.success(request, "Alt text accepted.")
    return redirect(photo)


@require_POST
@login_required
def comment_delete(request: HttpRequest, photo_id: int, comment_id: int) -> HttpResponse:
    comment = selectors.comment_get(viewer=request.user, photo_id=photo_id, comment_id=comment_id)
    if not selectors.comment_deletable(user=request.user, comment=comment):
        raise PermissionDenied("Only the comment's author or the photo's owner can delete it.")
    services.comment_delete(comment=comment)
    messages.success(request, "Comment deleted.")
    return redirect(comment.photo)
