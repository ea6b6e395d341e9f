"""Alt text drafted from the CNN's tags: the sentence itself, on made-up tags and on the real network's output."""

import pytest

from photos import services as photo_services
from photos.accessibility.alt_text import alt_text_draft
from photos.models import Photo
from recognition.taxonomy import TagPrediction
from tests.helpers import processed, sample_upload


def tag(name: str, confidence: float, *classes: tuple[str, float], categories: tuple[str, ...] = ()) -> TagPrediction:
    return TagPrediction(name=name, categories=categories, confidence=confidence, classes=classes, rule=f"tag:{name}")


def test_a_split_vote_names_the_tag_and_a_dominant_class_names_itself():
    cat = tag("cat", 0.92, ("tiger cat", 0.38), ("Egyptian cat", 0.37), ("tabby", 0.17))
    assert alt_text_draft([cat]) == "Photo: a cat."
    assert alt_text_draft([tag("cat", 0.9, ("Egyptian cat", 0.8))]) == "Photo: an Egyptian cat."


def test_confident_tags_are_stated_uncertain_ones_hedged_weak_ones_dropped():
    tags = [
        tag("sofa", 0.7, ("studio couch", 0.4)),
        tag("laptop", 0.45, ("notebook", 0.3)),
        tag("dog", 0.95, ("Great Dane", 0.5)),
        tag("remote", 0.31, ("remote control", 0.31)),
    ]
    assert alt_text_draft(tags) == "Photo: a dog and a sofa, possibly a laptop."
    assert alt_text_draft([tag("rocket", 0.53, ("missile", 0.29), ("projectile", 0.19))]) == "Photo: possibly a rocket."


def test_nothing_sure_enough_drafts_nothing():
    assert alt_text_draft([]) == ""
    assert alt_text_draft([tag("remote", 0.35, ("remote control", 0.35))]) == ""


def test_a_listener_gets_the_gist_not_an_inventory():
    tags = [tag(name, 0.9 - i / 100, (name, 0.5)) for i, name in enumerate(["dog", "cat", "sofa", "lamp", "rug"])]
    assert alt_text_draft(tags) == "Photo: a dog, a cat and a sofa."


def test_words_read_as_people_say_them():
    assert alt_text_draft([tag("golf", 0.8, ("golf ball", 0.5), categories=("sport",))]) == "Photo: golf."
    assert alt_text_draft([tag("unicycle", 0.8, ("unicycle", 0.5), categories=("sport",))]) == "Photo: a unicycle."
    assert alt_text_draft([tag("jeans", 0.8, ("jean", 0.7))]) == "Photo: jeans."
    assert alt_text_draft([tag("umbrella", 0.8, ("umbrella", 0.5))]) == "Photo: an umbrella."
    assert alt_text_draft([tag("christmas", 0.8, ("Christmas stocking", 0.4))]) == "Photo: Christmas decorations."
    assert alt_text_draft([tag("coffee", 0.8, ("espresso", 0.4), ("cup", 0.3))]) == "Photo: coffee."


def test_stored_tags_read_back_from_the_api_draft_the_same():
    stored = [{"name": "espresso", "score": 0.95}]
    assert alt_text_draft([tag("coffee", 0.97, *[(c["name"], c["score"]) for c in stored])]) == "Photo: an espresso."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sample", "caption", "expected"),
    [("chelsea", "Chelsea #mycat @bob", "Photo: a cat."), ("coffee", "Monday #espresso", "Photo: an espresso.")],
)
def test_the_worker_drafts_a_sentence_from_what_the_real_network_saw(user, sample, caption, expected):
    photo = photo_services.photo_create(owner=user, image=sample_upload(sample), caption=caption)
    assert photo.alt_text == "" and photo.alt_text_source == ""
    photo = processed(photo)
    assert photo.status == Photo.Status.TAGGED
    assert photo.alt_text == expected
    assert photo.alt_text_source == Photo.AltTextSource.AUTO
    assert "#" not in photo.alt_text and "@" not in photo.alt_text


@pytest.mark.django_db
def test_the_owners_alt_text_is_never_replaced_by_a_draft(user):
    photo = photo_services.photo_create(
        owner=user, image=sample_upload("chelsea"), alt_text="  Chelsea the tabby asleep on a red rug  "
    )
    assert (photo.alt_text, photo.alt_text_source) == ("Chelsea the tabby asleep on a red rug", "owner")
    photo = processed(photo)
    assert (photo.alt_text, photo.alt_text_source) == ("Chelsea the tabby asleep on a red rug", "owner")
