"""Learned tags through the API and the pages: owner only, clear 4xx for bad input, figures and previews."""

import pytest
from django.test import Client

from photos.learned import training
from photos.learned.models import LearnedTag
from tests.factories import PhotoFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def test_api_refuses_bad_input_saying_what_was_wrong(cat_owner):
    owner, cats, others = cat_owner
    api = client_for(owner)
    ids = [p.pk for p in cats[:5]]

    def create(**body):
        return api.post("/api/v1/learned-tags/", {"name": "mittens", "examples": ids, **body}, format="json")

    response = create(examples=ids[:3])
    assert response.status_code == 400
    assert response.json() == {"examples": ["Pick at least 5 example photos; you picked 3."]}
    foreign = PhotoFactory()
    response = create(examples=[*ids[:4], foreign.pk])
    assert response.status_code == 400 and "not yours" in response.json()["examples"][0]
    unanalysed = PhotoFactory(owner=owner)  # no embedding: never went through the worker
    response = create(examples=[*ids[:4], unanalysed.pk])
    assert response.status_code == 400 and "not analysed yet" in response.json()["examples"][0]
    assert create(name="").status_code == 400
    assert create().status_code == 201
    response = create(name="Mittens")
    assert response.status_code == 400 and response.json() == {
        "name": ["You already have a learned tag named “mittens”."]
    }
    learned_id = LearnedTag.objects.get().pk
    response = api.post(f"/api/v1/learned-tags/{learned_id}/active/")
    assert response.status_code == 400 and "not finished learning" in response.json()["detail"]


def test_api_shows_a_learned_tag_to_its_owner_only(cat_owner):
    owner, cats, others = cat_owner
    api = client_for(owner)
    created = api.post(
        "/api/v1/learned-tags/", {"name": "mittens", "examples": [p.pk for p in cats[:5]]}, format="json"
    )
    learned_id = created.json()["id"]
    training.learned_tag_train(learned_tag_id=learned_id)
    body = api.get(f"/api/v1/learned-tags/{learned_id}/").json()
    assert body["state"] == "ready" and body["version"]["label"] == f"learned:{learned_id}:v1"
    assert {p["id"] for p in body["would_tag"]} == {p.pk for p in cats[5:]}
    assert api.get("/api/v1/learned-tags/").json()["results"][0]["name"] == "mittens"
    stranger = client_for(UserFactory())
    assert stranger.get("/api/v1/learned-tags/").json() == {"results": []}
    for call in (stranger.get, stranger.delete):
        assert call(f"/api/v1/learned-tags/{learned_id}/").status_code == 404
    assert stranger.post(f"/api/v1/learned-tags/{learned_id}/active/").status_code == 404
    assert stranger.post(f"/api/v1/learned-tags/{learned_id}/examples/", {"photo": cats[0].pk}).status_code == 404
    # The owner adds an example from the API: someone else's photo is refused.
    foreign = PhotoFactory()
    response = api.post(f"/api/v1/learned-tags/{learned_id}/examples/", {"photo": foreign.pk}, format="json")
    assert response.status_code in (400, 404)
    response = api.post(f"/api/v1/learned-tags/{learned_id}/examples/", {"photo": others[0].pk, "positive": False})
    assert response.status_code == 201 and response.json() == {"added": True}


def test_pages_create_show_progress_figures_and_switch_on_and_delete(cat_owner):
    owner, cats, others = cat_owner
    browser = Client()
    browser.force_login(owner)
    page = browser.get("/learned/")
    assert page.status_code == 200 and page.content.decode().count('name="examples"') == len(cats) + len(others)
    refused = browser.post("/learned/", {"name": "mittens", "examples": [cats[0].pk, cats[1].pk]})
    assert refused.status_code == 400 and "Pick at least 5 example photos; you picked 2." in refused.content.decode()
    created = browser.post("/learned/", {"name": "mittens", "examples": [p.pk for p in cats[:5]]})
    learned = LearnedTag.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/learned/{learned.pk}/"
    training_page = browser.get(f"/learned/{learned.pk}/").content.decode()
    assert "Learning from your examples" in training_page and "<progress" in training_page
    training.learned_tag_train(learned_tag_id=learned.pk)
    detail = browser.get(f"/learned/{learned.pk}/").content.decode()
    assert "precision" in detail and "It would tag (2)" in detail and "Switch on" in detail
    assert all(f"/p/{p.pk}/" in detail for p in cats[5:])
    assert browser.post(f"/learned/{learned.pk}/switch/", {"active": "on"}).status_code == 302
    training.learned_tag_apply(learned_tag=LearnedTag.objects.get(pk=learned.pk))
    photo_page = browser.get(f"/p/{cats[6].pk}/").content.decode()
    assert "Your learned tag <em>mittens</em>: learned from your 5 examples; score" in photo_page
    other = Client()
    other.force_login(UserFactory())
    assert other.get(f"/learned/{learned.pk}/").status_code == 404
    assert other.post(f"/learned/{learned.pk}/delete/").status_code == 404
    assert browser.post(f"/learned/{learned.pk}/delete/").status_code == 302
    assert not LearnedTag.objects.exists()
    assert 'href="/tags/mittens/"' in photo_page
    assert 'href="/tags/mittens/"' not in browser.get(f"/p/{cats[6].pk}/").content.decode()


def test_the_photo_page_adds_a_photo_to_a_learned_tag(cat_owner, settings):
    owner, cats, others = cat_owner
    created = client_for(owner).post(
        "/api/v1/learned-tags/", {"name": "mittens", "examples": [p.pk for p in cats[:5]]}, format="json"
    )
    learned = LearnedTag.objects.get(pk=created.json()["id"])
    browser = Client()
    browser.force_login(owner)
    page = browser.get(f"/p/{cats[5].pk}/").content.decode()
    assert 'id="learned-example-form"' in page and f'<option value="{learned.pk}">mittens</option>' in page
    response = browser.post("/learned/examples/", {"learned_tag": learned.pk, "photo": cats[5].pk})
    assert response.status_code == 302 and response["Location"] == f"/p/{cats[5].pk}/"
    assert learned.examples.filter(photo=cats[5], positive=True).exists()
    assert LearnedTag.objects.get(pk=learned.pk).retrain_due_at is not None
    foreign = PhotoFactory()
    refused = browser.post("/learned/examples/", {"learned_tag": learned.pk, "photo": foreign.pk})
    assert refused.status_code == 400 and "not yours" in refused.content.decode()
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.post("/learned/examples/", {"learned_tag": learned.pk, "photo": cats[5].pk}).status_code == 404
    assert 'id="learned-example-form"' not in stranger.get(f"/p/{cats[5].pk}/").content.decode()
