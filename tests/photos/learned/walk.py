"""The visibility walk's part for learned tags (tests/photos/test_visibility_walk.py): owner only."""

import numpy as np
from rest_framework.test import APIClient

from photos.models import Photo, User
from recognition.efficientnet_lite import MODEL_VERSION


def learned_tag_give(owner: User, photos: dict[str, Photo]) -> None:
    """Give the owner a trained learned tag whose previews name every one of their photos."""
    from photos.learned.models import LearnedTag, LearnedTagVersion
    from photos.models import Tag
    from recognition.learned_heads import head_pack

    learned = LearnedTag.objects.create(owner=owner, tag=Tag.objects.get(name="mylearned"), state="ready")
    ids = [photo.pk for photo in photos.values()]
    learned.current = LearnedTagVersion.objects.create(
        learned_tag=learned, number=1, weights=head_pack(np.zeros(1280), 0.0), threshold=0.5, precision=1,
        recall=1, target_met=True, positives=5, negatives=60, folds=5, epochs=10, train_seconds=1,
        embedding_model=MODEL_VERSION, would_tag=ids, unsure=ids, would_tag_count=5, unsure_count=5,
    )  # fmt: skip
    learned.save()


def walk_learned(world, role: str, client: APIClient, leaks) -> None:
    """A learned tag's pages and API are its owner's alone: anyone else finds nothing there."""
    learned = world.owner.learned_tags.get()
    signed_out = role == "anonymous" or world.account == "suspended" and role == "owner"
    for url in (f"/learned/{learned.pk}/", f"/api/v1/learned-tags/{learned.pk}/"):
        status = client.get(url).status_code
        wanted = 200 if role == "owner" and not signed_out else ((302, 401, 403) if signed_out else (404,))
        leaks.check(status == wanted if isinstance(wanted, int) else status in wanted, f"GET {url} answered {status}")
    listed = client.get("/api/v1/learned-tags/")
    if not signed_out:
        names = [item["name"] for item in listed.json()["results"]]
        leaks.check(names == (["mylearned"] if role == "owner" else []), f"learned tags API listed {names}")
    for url in (f"/learned/{learned.pk}/switch/", f"/learned/{learned.pk}/delete/"):
        status = client.post(url, {"active": "on"}).status_code
        wanted = (302,) if role == "owner" and not signed_out else ((302,) if signed_out else (404,))
        leaks.check(status in wanted, f"POST {url} answered {status}")
        if role == "owner" and not signed_out:
            break  # switched on; delete stays for the others to try
