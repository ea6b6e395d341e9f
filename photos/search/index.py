"""Keep the search index: each photo's PhotoSearchTerm rows, search document and search weights.

A photo is indexed under the keys (see photos.search.text) of its tags' names, their
categories, the CNN classes behind them and its caption words. A key's weight says how well it
describes the photo; a search adds up the weights of the keys it asked for. The bands make the
kind of match decide the order, and confidence the order within a kind:

    tag name (CNN, hashtag or owner)   8 + bonus        cat
    category of a tag                  6 + bonus        animal
    CNN class behind a tag             4 + score / 2    tabby
    one word of a longer name          2 + bonus        dog in "hot dog", tiger in "tiger cat"
    caption word                       1

where bonus = 0.45 x confidence for a tag nobody vouched for (CNN, hashtag), and 0.5 + 0.4 x
confidence for one the owner added or confirmed (photos.corrections): a vouched tag outranks any
CNN tag of the same band whatever their confidences, and the bonus stays under 0.9, so bands
never overlap. A longer name is also indexed whole and by adjacent pairs at its full weight, so
``hot dog`` finds hot dogs first and ``dog`` finds dogs before hot dogs.

The same weights are stored twice, each shaped for one kind of query (see photos.search.selectors): as
PhotoSearchTerm rows, whose (term, weight, created_at, photo) index serves one-word searches and
tag pages best first; and on the photo itself, as ``search_weights`` beside ``search_document``
(the caption's keys in order, then every one-word key), which PostgreSQL full-text indexes for
searches of several words.

The index is derived data: ``photo_search_document_refresh`` rebuilds one photo's entries from
its caption and tags and is called by every service that changes them.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction

from photos.models import Photo, PhotoSearchTerm, PhotoTag
from photos.search.text import MAX_KEY_LENGTH, content_pairs, is_stopword, text_keys, word_key, words

TAG_WEIGHT = 8.0
CATEGORY_WEIGHT = 6.0
CLASS_WEIGHT = 4.0
PART_WEIGHT = 2.0
CAPTION_WEIGHT = 1.0
# Inside a band: a tag the owner vouched for starts where an unvouched one's bonus can no longer reach.
UNVOUCHED_SPAN = 0.45
VOUCHED_FLOOR = 0.5
VOUCHED_SPAN = 0.4
VOUCHED_SOURCES = frozenset({PhotoTag.Source.USER, PhotoTag.Source.CONFIRMED})
BATCH_SIZE = 2000


@dataclass(frozen=True)
class TagEvidence:
    """What the index needs to know about one tag on a photo."""

    name: str
    categories: Sequence[str] = ()
    source: str = PhotoTag.Source.AUTO
    confidence: float = 1.0
    classes: Sequence[Mapping] = ()  # [{"name": "tabby", "score": 0.25}, ...], as PhotoTag.classes


def tag_bonus(source: str, confidence: float) -> float:
    """Return how much a tag's confidence and provenance lift it inside its band (0 to 0.9)."""
    confidence = min(max(float(confidence), 0.0), 1.0)
    if source in VOUCHED_SOURCES:
        return VOUCHED_FLOOR + VOUCHED_SPAN * confidence
    return UNVOUCHED_SPAN * confidence


def _keep(terms: dict[str, float], key: str, weight: float) -> None:
    if key and len(key) <= MAX_KEY_LENGTH and weight > terms.get(key, 0.0):
        terms[key] = round(weight, 4)


@lru_cache(maxsize=4096)
def _name_keys(name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Return a name's whole key, its pair keys and its content word keys (names repeat a lot)."""
    name_words = words(name)
    keys = [word_key(word) for word in name_words]
    if len(keys) < 2:
        return " ".join(keys), (), ()
    parts = tuple(key for word, key in zip(name_words, keys, strict=True) if not is_stopword(word))
    return " ".join(keys), tuple(content_pairs(name_words, keys)), parts


def _add_name(terms: dict[str, float], name: str, weight: float, part_weight: float) -> None:
    whole, pairs, parts = _name_keys(name)
    _keep(terms, whole, weight)
    for pair in pairs:
        _keep(terms, pair, weight)
    for part in parts:
        _keep(terms, part, part_weight)


def photo_terms(caption: str, tags: Iterable[TagEvidence]) -> dict[str, float]:
    """Return the keys a photo is found by, each with its weight (the best of its matches)."""
    terms: dict[str, float] = {}
    for word in words(caption):
        if not is_stopword(word):
            _keep(terms, word_key(word), CAPTION_WEIGHT)
    for tag in tags:
        bonus = tag_bonus(tag.source, tag.confidence)
        _add_name(terms, tag.name, TAG_WEIGHT + bonus, PART_WEIGHT + bonus)
        for category in tag.categories:
            _add_name(terms, category, CATEGORY_WEIGHT + bonus, PART_WEIGHT + bonus)
        for seen in tag.classes:
            score = min(max(float(seen.get("score") or 0.0), 0.0), 1.0)
            _add_name(terms, str(seen.get("name", "")), CLASS_WEIGHT + score / 2, PART_WEIGHT + score / 2)
    return terms


@dataclass(frozen=True)
class PhotoIndex:
    """What the search index holds for one photo."""

    terms: dict[str, float]  # key -> weight: the PhotoSearchTerm rows, and Photo.search_weights
    document: str  # Photo.search_document: caption keys in order, " | ", every one-word key joined by " , "


def photo_index(caption: str, tags: Iterable[TagEvidence]) -> PhotoIndex:
    """Return the index entries of a photo with this caption and these tags."""
    terms = photo_terms(caption, tags)
    # The caption keeps its word order (and stopwords) for quoted phrases. No key contains "|" or
    # ",", so a phrase cannot run from the caption into the other keys nor across two of them.
    single = " , ".join(sorted(key for key in terms if " " not in key))
    return PhotoIndex(terms, f"{' '.join(text_keys(caption))} | {single}")


def tag_evidence(photo_tag: PhotoTag) -> TagEvidence:
    """Return the index's view of a stored tag (``tag`` must be loaded)."""
    tag = photo_tag.tag
    return TagEvidence(tag.name, tag.categories or (), photo_tag.source, photo_tag.confidence, photo_tag.classes or ())


def index_photo(photo: Photo, tags: Iterable[TagEvidence]) -> list[PhotoSearchTerm]:
    """Set a photo's ``search_document`` and ``search_weights`` (unsaved); return its unsaved term rows."""
    index = photo_index(photo.caption, tags)
    photo.search_document, photo.search_weights = index.document, index.terms
    return [
        PhotoSearchTerm(photo=photo, term=term, weight=weight, created_at=photo.created_at)
        for term, weight in index.terms.items()
    ]


def photos_search_index_refresh(photo_ids: Sequence[int]) -> None:
    """Rebuild the search index of some photos from their captions and tags, in a fixed number of queries."""
    with transaction.atomic():
        # Lock the photos so that a caption edit and the CNN writing tags at the same moment
        # rebuild one after the other instead of both inserting the same terms.
        photos = list(
            Photo.objects.select_for_update()
            .only("pk", "caption", "created_at")
            .filter(pk__in=photo_ids)
            .order_by("pk")
        )
        if not photos:
            return
        tags: dict[int, list[TagEvidence]] = {}
        for photo_tag in PhotoTag.objects.filter(photo_id__in=photo_ids).select_related("tag"):
            tags.setdefault(photo_tag.photo_id, []).append(tag_evidence(photo_tag))
        rows = [row for photo in photos for row in index_photo(photo, tags.get(photo.pk, ()))]
        Photo.objects.bulk_update(photos, ["search_document", "search_weights"])
        PhotoSearchTerm.objects.filter(photo_id__in=photo_ids).delete()
        PhotoSearchTerm.objects.bulk_create(rows)


def photo_search_document_refresh(photo_id: int) -> None:
    """Rebuild one photo's search index: call after its caption or tags change."""
    photos_search_index_refresh([photo_id])


def search_index_rebuild(*, batch_size: int = BATCH_SIZE) -> int:
    """Rebuild the search index of every photo in batches; return how many photos.

    For a taxonomy change that moves tags between categories, which changes the index of
    every photo carrying those tags.
    """
    done, last_pk = 0, 0
    ids = Photo.objects.order_by("pk").values_list("pk", flat=True)
    while batch := list(ids.filter(pk__gt=last_pk)[:batch_size]):
        photos_search_index_refresh(batch)
        done, last_pk = done + len(batch), batch[-1]
    return done
