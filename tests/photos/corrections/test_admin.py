"""The admin shows per taxonomy rule how often owners confirmed and removed its tags."""

import pytest
from django.urls import reverse

from photos.corrections import services
from photos.corrections.models import TagCorrection
from photos.corrections.selectors import rule_stats
from tests.factories import PhotoFactory, PhotoTagFactory, TagFactory

pytestmark = pytest.mark.django_db


def cnn_tag(name: str, rule: str):
    photo = PhotoFactory()
    PhotoTagFactory(photo=photo, tag=TagFactory(name=name), source="auto", confidence=0.6, rule=rule)
    return photo


def judge(photo, name: str, verdict: str) -> None:
    do = {"confirm": services.photo_tag_confirm, "remove": services.photo_tag_remove}[verdict]
    do(actor=photo.owner, photo=photo, name=name)


@pytest.fixture
def corrected():
    """Rule tag:dog is mostly removed (a bad rule); tag:cat mostly confirmed; a manual tag has no rule."""
    for verdict in ["remove", "remove", "remove", "confirm"]:
        judge(cnn_tag("dog", "tag:dog"), "dog", verdict)
    cnn_tag("dog", "tag:dog")  # standing, unjudged
    for verdict in ["confirm", "confirm", "remove"]:
        judge(cnn_tag("cat", "tag:cat"), "cat", verdict)
    photo = PhotoFactory()
    services.photo_tag_add(actor=photo.owner, photo=photo, name="latte art")
    services.photo_tag_remove(actor=photo.owner, photo=photo, name="latte art")


def test_rule_stats_count_confirmations_and_removals_worst_first(corrected):
    stats = rule_stats()
    assert [(s.rule, s.confirmed, s.removed, s.standing) for s in stats] == [
        ("tag:dog", 1, 3, 2),
        ("tag:cat", 2, 1, 2),
    ]
    assert stats[0].removed_share == pytest.approx(3 / 5)
    assert TagCorrection.objects.filter(rule="").count() == 1  # the manual tag's removal counts for no rule


def test_admin_rule_report_shows_the_counts(admin_client, corrected):
    changelist = admin_client.get(reverse("admin:photos_tagcorrection_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:photos_tagcorrection_rules") in changelist.content.decode()
    response = admin_client.get(reverse("admin:photos_tagcorrection_rules"))
    assert response.status_code == 200
    page = response.content.decode()
    dog_row = page[page.index("<code>tag:dog</code>") :].split("</tr>")[0]
    assert '<td class="confirmed">1</td><td class="removed">3</td><td>2</td><td>60%</td>' in dog_row
    assert page.index("tag:dog") < page.index("tag:cat")


def test_corrections_are_read_only_in_admin(admin_client, corrected):
    correction = TagCorrection.objects.first()
    assert admin_client.get(reverse("admin:photos_tagcorrection_add")).status_code == 403
    url = reverse("admin:photos_tagcorrection_delete", args=[correction.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert TagCorrection.objects.filter(pk=correction.pk).exists()


def test_the_rule_report_is_for_staff_only(client, corrected):
    response = client.get(reverse("admin:photos_tagcorrection_rules"))
    assert response.status_code == 302 and "/admin/login/" in response.url
