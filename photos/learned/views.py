"""Pages of learned tags: create one from example photos, watch it learn, see what it would tag, switch it on."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from photos import selectors as photo_selectors
from photos.learned import selectors, services


class LearnedTagForm(forms.Form):
    name = forms.CharField(max_length=64, label="Tag name", help_text="For example “latte art” or “our dog Rex”.")


def _example_ids(request: HttpRequest) -> list[int]:
    try:
        return [int(value) for value in request.POST.getlist("examples")]
    except ValueError as error:
        raise ValidationError({"examples": ["Examples are photo ids (whole numbers)."]}) from error


@login_required
def learned_tags(request: HttpRequest) -> HttpResponse:
    """List the person's learned tags; POST creates one from a name and the ticked example photos."""
    form, status, picked = LearnedTagForm(), 200, []
    if request.method == "POST":
        form = LearnedTagForm(request.POST)
        try:
            picked = _example_ids(request)
            if form.is_valid():
                learned = services.learned_tag_create(
                    owner=request.user, name=form.cleaned_data["name"], photo_ids=picked
                )
                messages.success(request, f"Learning “{learned.name}” from your {len(set(picked))} examples.")
                return redirect(learned)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        status = 400
    context = {
        "learned_tags": selectors.learned_tags_of(request.user),
        "form": form,
        "candidates": selectors.example_candidates(request.user),
        "picked": set(picked),
        "min_examples": selectors.min_examples(),
    }
    return render(request, "photos/learned/list.html", context, status=status)


@login_required
def learned_tag_detail(request: HttpRequest, learned_tag_id: int) -> HttpResponse:
    learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
    context = {
        "learned": learned,
        "version": learned.current,
        "examples": selectors.learned_tag_examples(learned),
        **selectors.learned_tag_preview(learned),
    }
    return render(request, "photos/learned/detail.html", context)


@require_POST
@login_required
def learned_tag_switch(request: HttpRequest, learned_tag_id: int) -> HttpResponse:
    learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
    active = request.POST.get("active") == "on"
    try:
        services.learned_tag_activate(actor=request.user, learned_tag=learned, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(learned)
    messages.success(request, "Switched on: your photos are being tagged." if active else "Switched off.")
    return redirect(learned)


@require_POST
@login_required
def learned_tag_delete(request: HttpRequest, learned_tag_id: int) -> HttpResponse:
    learned = selectors.learned_tag_get(user=request.user, learned_tag_id=learned_tag_id)
    name = learned.name
    services.learned_tag_delete(actor=request.user, learned_tag=learned)
    messages.success(request, f"Learned tag “{name}” deleted, and its tags taken off your photos.")
    return redirect("learned_tags")


@require_POST
@login_required
def learned_tag_example_add(request: HttpRequest) -> HttpResponse:
    """Add a photo (from its page) as an example of the learned tag chosen there."""
    try:
        learned = selectors.learned_tag_get(user=request.user, learned_tag_id=int(request.POST.get("learned_tag", "")))
    except ValueError:
        return HttpResponse("Say which learned tag: its id.", status=400, content_type="text/plain")
    try:
        photo = photo_selectors.photo_get(viewer=request.user, photo_id=int(request.POST.get("photo", "")))
        services.learned_tag_example_add(actor=request.user, learned_tag=learned, photo=photo)
    except ValueError:
        return HttpResponse("Say which photo: a photo id.", status=400, content_type="text/plain")
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    messages.success(request, f"Added as an example of “{learned.name}”; it will learn again shortly.")
    return redirect(photo)
