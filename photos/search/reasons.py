"""Why a search result matched: its tags that match the query, and whether its caption does."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from photos.models import Photo
from photos.search.text import ParsedQuery, text_keys
from photos.tag_rows import tags_of


def page_tag(page: Any) -> tuple[str, list[str]] | None:
    """Return the name and categories of a tag page's tag as its photos carry it (None without photos)."""
    for photo in page.photos:
        for matched in photo.matched_tags:
            if matched.match == "tag":
                tag = next(pt.tag for pt in photo.photo_tags.all() if pt.tag.name == matched.name)
                return tag.name, tag.categories or []
    return None


@dataclass(frozen=True)
class MatchedTag:
    """A tag of a result and how it matched the query."""

    name: str
    source: str
    confidence: float
    match: str  # "tag", "category" or "class"
    on: str  # the name that matched: the tag, one of its categories or a CNN class


@lru_cache(maxsize=4096)
def _name_keys(name: str) -> frozenset[str]:
    keys = text_keys(name)
    return frozenset([" ".join(keys), *keys]) if keys else frozenset()


def _matches(name: str, wanted: set[str]) -> bool:
    return not _name_keys(name).isdisjoint(wanted)


def match_reasons(photo: Photo, query: ParsedQuery) -> tuple[list[MatchedTag], bool]:
    """Return the photo's tags that match ``query`` (best reason each) and whether its caption does.

    Works on the tags already loaded with the photo: explaining a page costs no query.
    """
    wanted = {*query.terms, *query.pairs, *query.phrases}
    matched = []
    for tag in tags_of(photo):
        candidates = [
            ("tag", [tag.name]),
            ("category", tag.categories or []),
            ("class", [str(seen.get("name", "")) for seen in tag.classes or []]),
        ]
        for kind, names in candidates:
            name = next((name for name in names if _matches(name, wanted)), None)
            if name is not None:
                matched.append(MatchedTag(tag.name, tag.source, tag.confidence, kind, name))
                break
    return matched, bool(wanted & set(text_keys(photo.caption)))
