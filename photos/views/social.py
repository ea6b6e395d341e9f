"""HTML pages. Each view fetches what the visitor may see, calls one service or selector, renders."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from photos import selectors, services
from photos.cursors import InvalidCursor
from photos.explore import services as explore_services
from photos.explore.history import interests_for
from photos.forms import CommentForm, ProfileForm, SignupForm, UploadForm
from photos.imaging import ACCEPTED, UploadRejected
from photos.limits import COMMENT_MAX_LENGTH, FEED_PAGE_SIZE, PAGE_SIZE, SIMILAR_PAGE_SIZE
from photos.models import Follow, PhotoTag
from photos.people import services as account_services
from photos.people.selectors import follow_status_expression
from photos.processing.selectors import photo_findings_for
from photos.processing.services import photo_processing_retry
from photos.similar import selectors as similar_selectors
from photos.similar.vectors import SIMILAR_MIN_SIMILARITY
from photos.throttles import (
    CommentThrottle,
    FollowThrottle,
    LikeThrottle,
    RegisterThrottle,
    UploadThrottle,
    throttle_posts,
)

# Tags the network gave (kept when the owner confirms them), as opposed to hashtags and the owner's own.
CNN_SOURCES = {PhotoTag.Source.AUTO, PhotoTag.Source.CONFIRMED}


def _page(request: HttpRequest, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "photos/landing.html", {"page": _page(request, selectors.public_photos())})
    try:
        photos, next_cursor = selectors.feed_page(request.user, cursor=request.GET.get("cursor"), size=FEED_PAGE_SIZE)
    except InvalidCursor:  # a stale or mangled link: start again from the newest
        photos, next_cursor = selectors.feed_page(request.user, cursor=None, size=FEED_PAGE_SIZE)
    # static/js/feed.js asks for just the next cards as the person scrolls.
    template = "photos/_feed_page.html" if request.GET.get("fragment") else "photos/feed.html"
    context = {"photos": photos, "next_cursor": next_cursor, "comment_max_length": COMMENT_MAX_LENGTH}
    return render(request, template, context)


@throttle_posts(RegisterThrottle)
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.user_create(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data.get("email", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! Post your first photo.")
            return redirect("upload")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@throttle_posts(UploadThrottle)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                photo = services.photo_create(owner=request.user, **form.cleaned_data)
            except UploadRejected as error:
                form.add_error("image", error.message)
                status = error.status
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, "Uploaded. A worker is preparing and tagging your photo; only you see it until then."
                )
                return redirect(photo)
    return render(request, "photos/upload.html", {"form": form, "limits": _upload_limits()}, status=status)


def _upload_limits() -> dict:
    """Return the limits the server enforces, for the page's script to check before sending."""
    return {
        "max_bytes": settings.PHOTO_MAX_BYTES,
        "max_pixels": settings.PHOTO_MAX_PIXELS,
        "accept": UploadForm.base_fields["image"].widget.attrs["accept"],
        "accepted_text": ACCEPTED,
    }


def profile(request: HttpRequest, username: str) -> HttpResponse:
    try:
        owner = selectors.user_get(viewer=request.user, username=username)
    except Http404:
        if not request.user.is_authenticated:
            raise
        # Someone you block: a bare page to unblock them from (404 if you do not block them).
        blocked = selectors.blocked_user_get(blocker=request.user, username=username)
        return render(request, "photos/profile_blocked.html", {"owner": blocked})
    if owner.username != username:  # /u/Bob/ for bob: one address per profile
        return redirect("profile", username=owner.username, permanent=True)
    photos = selectors.user_photos(viewer=request.user, owner=owner)
    follow_status = selectors.follow_status(viewer=request.user, owner=owner)
    context = {
        "owner": owner,
        "page": _page(request, photos),
        "follow_status": follow_status,
        # A private account shows strangers a locked door, not an empty grid that reads "0 photos".
        "locked": owner.is_private and request.user != owner and follow_status != Follow.Status.ACCEPTED,
        # What someone's history says they like is for their eyes only.
        "interests": interests_for(owner) if request.user == owner else None,
    }
    return render(request, "photos/profile.html", context)


def connections(request: HttpRequest, username: str, side: str) -> HttpResponse:
    owner = selectors.user_get(viewer=request.user, username=username)
    if not selectors.connections_visible(viewer=request.user, owner=owner):
        return render(request, "photos/people.html", {"owner": owner, "side": side, "hidden": True}, status=403)
    person = "follower" if side == "followers" else "followee"
    if side == "followers":
        follows = selectors.followers_of(owner, viewer=request.user)
    else:
        follows = selectors.following_of(owner, viewer=request.user)
    # The visitor's own follow of each listed person, for its button: in the list's one query.
    follows = follows.annotate(viewer_follow_status=follow_status_expression(request.user, f"{person}_id"))
    page = _page(request, follows)
    people = []
    for follow in page:
        listed = getattr(follow, person)
        listed.follow_status = follow.viewer_follow_status
        people.append(listed)
    return render(request, "photos/people.html", {"owner": owner, "side": side, "page": page, "people": people})


@login_required
@throttle_posts(UploadThrottle)  # the form may carry an avatar: it counts as an upload
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "bio": user.bio, "is_private": user.is_private}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                account_services.user_update(user=user, **form.cleaned_data)
            except UploadRejected as error:
                form.add_error("avatar", error.message)
                status = error.status
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Profile saved.")
                return redirect(user)
    return render(request, "photos/profile_edit.html", {"form": form}, status=status)


@require_POST
@login_required
@throttle_posts(FollowThrottle)
def follow_toggle(request: HttpRequest, username: str) -> HttpResponse:
    owner = selectors.user_get(viewer=request.user, username=username)
    if selectors.follow_status(viewer=request.user, owner=owner):
        services.follow_delete(follower=request.user, followee=owner)
    else:
        try:
            follow = services.follow_create(follower=request.user, followee=owner)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if follow.status == Follow.Status.PENDING:
                messages.info(request, f"Follow request sent to {owner.username}.")
    # Lists of people (search, suggestions, followers) send the visitor back where they were.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect(owner)


def photo_detail(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    explore_services.photo_view_record(user=request.user, photo=photo)
    comments = selectors.photo_comments(photo, viewer=request.user)
    context = {
        "photo": photo,
        "comments": comments,
        "comment_form": CommentForm(),
        "show_sensitive": "show" in request.GET,
        # Whether the network found anything it has a tag for (the tags are loaded with the photo).
        "cnn_tagged": any(pt.source in CNN_SOURCES for pt in photo.photo_tags.all()),
        "similar": similar_selectors.photos_similar_to(photo=photo, viewer=request.user, limit=SIMILAR_PAGE_SIZE),
        "similar_minimum": SIMILAR_MIN_SIMILARITY,
        "duplicate_of": similar_selectors.photo_duplicate_of(photo=photo, viewer=request.user),
    }
    found = photo_findings_for(photo=photo, viewer=request.user)
    context |= {"faces": found.faces, "nudity": found.nudity}
    return render(request, "photos/photo_detail.html", context)


@require_POST
@login_required
@throttle_posts(LikeThrottle)
def like_toggle(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.liked:
        services.like_delete(user=request.user, photo=photo)
    else:
        services.like_create(user=request.user, photo=photo)
    return redirect(photo)


@require_POST
@login_required
@throttle_posts(CommentThrottle)
def comment_create(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(author=request.user, photo=photo, text=form.cleaned_data["text"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, f"A comment needs some text (up to {COMMENT_MAX_LENGTH} characters).")
    return redirect(photo)


@require_POST
@login_required
def photo_delete(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.owner_id != request.user.pk:
        return HttpResponse("Only the owner can delete this photo.", status=403)
    services.photo_delete(photo=photo)
    messages.success(request, "Photo deleted.")
    return redirect(request.user)


@require_POST
@login_required
@throttle_posts(UploadThrottle)  # a retry costs the worker what an upload does
def photo_retry(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.owner_id != request.user.pk:
        return HttpResponse("Only the owner can retry this photo.", status=403)
    try:
        photo_processing_retry(photo=photo)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Processing your photo again.")
    return redirect(photo)
