"""A learned tag trained, switched on, corrected and deleted through the API, with a real worker doing the work."""

import pytest
from django.conf import settings

from photos.learned.models import LearnedTag
from photos.models import PhotoTag
from tests.helpers import client_for
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_trains_applies_retrains_after_feedback_and_the_tag_goes_on_delete(
    cat_owner, start_worker, tmp_path
):
    owner, cats, others = cat_owner
    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR, extra_env={"LEARNED_TAG_RETRAIN_SECONDS": "1"})
    api = client_for(owner)
    response = api.post(
        "/api/v1/learned-tags/", {"name": "mittens", "examples": [p.pk for p in cats[:5]]}, format="json"
    )
    assert response.status_code == 201, response.content
    learned_id = response.json()["id"]
    assert response.json()["state"] == "training"

    def state():
        return api.get(f"/api/v1/learned-tags/{learned_id}/").json()

    body = wait_for(lambda: (s := state())["state"] != "training" and s, timeout=180, what="training", logs=tmp_path)
    assert body["state"] == "ready" and body["progress"] == 1.0 and body["version"]["number"] == 1
    assert {p["id"] for p in body["would_tag"]} == {p.pk for p in cats[5:]}
    assert api.post(f"/api/v1/learned-tags/{learned_id}/active/").json()["active"] is True

    def tagged():
        return set(PhotoTag.objects.filter(tag__name="mittens", source="learned").values_list("photo_id", flat=True))

    wait_for(lambda: tagged() == {p.pk for p in cats}, timeout=60, what="the tag on the cats", logs=tmp_path)
    row = PhotoTag.objects.get(photo=cats[6], tag__name="mittens")
    assert row.rule.startswith("learned from your 5 examples; score ") and "in validation" in row.rule
    shown = api.get(f"/api/v1/photos/{cats[6].pk}/").json()["tags"]
    assert any(t["name"] == "mittens" and t["source"] == "learned" and t["rule"] == row.rule for t in shown)

    # Removing one is a counter-example: the worker learns again (debounced) and leaves it off.
    assert api.delete(f"/api/v1/photos/{cats[6].pk}/tags/mittens/").status_code in (200, 204)
    wait_for(lambda: state()["version"]["number"] == 2, timeout=120, what="retraining after feedback", logs=tmp_path)
    wait_for(lambda: state()["state"] == "ready", timeout=60, what="version 2 ready", logs=tmp_path)
    assert cats[6].pk not in tagged() and tagged()

    assert api.delete(f"/api/v1/learned-tags/{learned_id}/").status_code == 204
    assert not tagged() and not LearnedTag.objects.exists()
    assert api.get(f"/api/v1/learned-tags/{learned_id}/").status_code == 404
