"""A page's tags read as plain rows, for the API's cards: one compiled query, no model instances.

``selectors.photo_list`` prefetches each photo's ``photo_tags`` as PhotoTag and Tag instances, which
pages and services need. The API's lists only write the tags out: building the prefetch query,
then two instances per tag (each through Django's and django-cleanup's init signals) cost about as
much as everything else the feed's Python does in its queries (bench/request_cpu.py). Here the same
rows, in the same order, come from SQL compiled once per process (photos.explore.compiled).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from photos.explore.compiled import CompiledQuery, ids_filter
from photos.models import Photo, PhotoTag

# The order of selectors.photo_list's prefetch, photo by photo.
TAG_ORDER = ("-confidence", "tag__name")


@dataclass(frozen=True, slots=True)
class TagRow:
    """What a card shows of a photo's tag; ``explanation`` is the stored file's name ("" without one)."""

    name: str
    categories: list
    confidence: float
    source: str
    classes: list
    rule: str
    model_version: str
    taxonomy_version: str
    explanation: str


def _rows(viewer, photo_ids: list[int]) -> QuerySet:
    return (
        PhotoTag.objects.filter(ids_filter("photo_id", photo_ids))
        .order_by("photo_id", *TAG_ORDER)
        .values_list(
            "photo_id",
            "tag__name",
            "tag__categories",
            "confidence",
            "source",
            "classes",
            "rule",
            "model_version",
            "taxonomy_version",
            "explanation",
        )
    )


_TAG_ROWS = CompiledQuery(_rows)


def tag_rows_load(photos: Iterable[Photo], viewer) -> None:
    """Set ``tag_rows`` (a list of TagRow, best first) on each of ``photos``: one query for them all.

    The photos must come through ``photos_visible_to(viewer)``: their tags are theirs to show.
    """
    photos = list(photos)
    if not photos:
        return
    by_photo: dict[int, list[TagRow]] = {photo.pk: [] for photo in photos}
    for photo_id, *fields in _TAG_ROWS.rows(viewer, list(by_photo)):
        by_photo[photo_id].append(TagRow(*fields))
    for photo in photos:
        photo.tag_rows = by_photo[photo.pk]


def tags_of(photo: Photo) -> Iterator[TagRow]:
    """Return the photo's tags as TagRows: its ``tag_rows`` when loaded, else from its ``photo_tags``."""
    rows = getattr(photo, "tag_rows", None)
    if rows is not None:
        return iter(rows)
    return (
        TagRow(
            pt.tag.name,
            pt.tag.categories,
            pt.confidence,
            pt.source,
            pt.classes,
            pt.rule,
            pt.model_version,
            pt.taxonomy_version,
            pt.explanation.name or "",
        )
        for pt in photo.photo_tags.all()
    )
