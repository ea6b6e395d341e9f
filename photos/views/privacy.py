"""HTML pages for privacy: a private account's follow requests, and blocking people."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from photos import selectors, services
from photos.limits import PEOPLE_PAGE_SIZE


@login_required
def follow_requests(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.follow_requests_for(request.user), PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "photos/follow_requests.html", {"page": page})


@require_POST
@login_required
def follow_request_approve(request: HttpRequest, username: str) -> HttpResponse:
    follow = selectors.follow_request_get(owner=request.user, username=username)
    services.follow_request_approve(owner=request.user, follower=follow.follower)
    messages.success(request, f"{follow.follower.username} now follows you.")
    return redirect("follow_requests")


@require_POST
@login_required
def follow_request_decline(request: HttpRequest, username: str) -> HttpResponse:
    follow = selectors.follow_request_get(owner=request.user, username=username)
    services.follow_request_decline(owner=request.user, follower=follow.follower)
    messages.info(request, f"Declined {follow.follower.username}'s follow request.")
    return redirect("follow_requests")


@require_POST
@login_required
def block(request: HttpRequest, username: str) -> HttpResponse:
    # Not user_get, which hides people you block: blocking again is harmless. Someone who blocks
    # you is a 404, as their profile is, so the button tells nothing.
    blocked = selectors.user_reachable_get(viewer=request.user, username=username)
    try:
        services.block_create(blocker=request.user, blocked=blocked)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You blocked {blocked.username}. Neither of you sees the other any more.")
    return redirect("profile", blocked.username)


@require_POST
@login_required
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    blocked = selectors.blocked_user_get(blocker=request.user, username=username)
    services.block_delete(blocker=request.user, blocked=blocked)
    messages.success(request, f"You unblocked {blocked.username}.")
    return redirect("profile", blocked.username)
