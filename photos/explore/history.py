"""Reads of a person's history: what they recently viewed, liked and commented on, and what it shows.

Explore ranks from the latest few photos, and the "Your interests" chart on a person's own
profile shows a longer stretch; both with the same weights (recent photos, likes and comments
weigh more), so the chart tells what Explore works from.

A history holds only photos the person may still see (``photos_visible_to``): a photo made
private, hidden from followers after a follow ended, or of someone in a block with them says
nothing any more, neither its tags (an owner may retag it later) nor its categories nor counts.
"""

from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet, Value

from photos.explore.compiled import CompiledQuery, ids_parameter
from photos.explore.item_model import SIGNAL_WEIGHTS
from photos.models import Comment, Like, PhotoTag, PhotoView, User
from photos.selectors import Viewer, photos_visible_to

HISTORY_SIZE = 30
CHART_HISTORY_SIZE = 200
HALF_LIFE_DAYS = 14.0
CHART_ROWS = 8
# What a person did, in the words the reasons use, in the order they are listed.
VERBS = {"view": "viewed", "like": "liked", "comment": "commented on"}


@dataclass
class Seen:
    """A photo of the recent history: how much it says about taste and what the person did with it."""

    photo_id: int
    weight: float = 0.0
    kinds: set[str] = field(default_factory=set)


@dataclass
class Interest:
    """A tag or category in the history: its recency-weighted weight and the photos that carry it."""

    name: str
    weight: float = 0.0
    photo_ids: set[int] = field(default_factory=set)


@dataclass
class TasteProfile:
    """The tags and categories of the recent history, with the total weight they are shares of."""

    history: dict[int, Seen]
    tags: dict[int, Interest]
    categories: dict[str, Interest]
    total: float = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(seen.weight for seen in self.history.values()) or 1.0

    def top_tag_ids(self, count: int) -> list[int]:
        """Return the ids of the ``count`` heaviest tags."""
        return sorted(self.tags, key=lambda tag_id: -self.tags[tag_id].weight)[:count]

    def top_categories(self, count: int) -> list[str]:
        """Return the names of the ``count`` heaviest categories."""
        return sorted(self.categories, key=lambda name: -self.categories[name].weight)[:count]

    def verb(self, photo_ids: set[int]) -> str:
        """Return what the person did with these photos, truthfully: "viewed", "viewed or liked"..."""
        kinds = set().union(*(self.history[photo_id].kinds for photo_id in photo_ids))
        return " or ".join(verb for kind, verb in VERBS.items() if kind in kinds)


@dataclass(frozen=True)
class InterestShare:
    name: str
    share: float
    photos: int


@dataclass(frozen=True)
class Interests:
    """What the chart shows: the top tags and categories with their share of the history."""

    photos: int
    tags: list[InterestShare]
    categories: list[InterestShare]

    @property
    def charts(self) -> list[tuple[str, list[InterestShare]]]:
        return [("Tags", self.tags), ("Categories", self.categories)]


def _history_rows(user: User, *, limit: int) -> QuerySet:
    visible = photos_visible_to(user).order_by().values("pk")
    # order_by(): a compound query's parts must not be ordered (Comment has a default ordering).
    views = PhotoView.objects.filter(user=user, photo_id__in=visible).order_by()
    likes = Like.objects.filter(user=user, photo_id__in=visible).order_by()
    comments = Comment.objects.filter(author=user, photo_id__in=visible).order_by()
    views = views.values_list("photo_id", "viewed_at", Value("view"))
    likes = likes.values_list("photo_id", "created_at", Value("like"))
    comments = comments.values_list("photo_id", "created_at", Value("comment"))
    return views.union(likes, comments, all=True).order_by("-viewed_at")[:limit]


_HISTORY = {limit: CompiledQuery(partial(_history_rows, limit=limit)) for limit in (HISTORY_SIZE, CHART_HISTORY_SIZE)}


def recent_history(user: User, *, limit: int = HISTORY_SIZE) -> dict[int, Seen]:
    """Return the photos of the ``limit`` latest views, likes and comments of ``user``, in one query.

    Only photos ``user`` may see now count: the visibility rule is a subquery of each part, so a
    photo that went out of sight leaves the history without a query more. Weights halve every
    HALF_LIFE_DAYS before the latest interaction, so what someone looked at this week counts
    more than last month, and a like or comment more than a view.
    """
    query = _HISTORY.get(limit) or CompiledQuery(partial(_history_rows, limit=limit))
    rows = query.rows(user)
    history: dict[int, Seen] = {}
    for photo_id, at, kind in rows:
        seen = history.setdefault(photo_id, Seen(photo_id))
        age_days = (rows[0][1] - at).total_seconds() / 86400
        seen.weight += SIGNAL_WEIGHTS[kind] * 2 ** (-age_days / HALF_LIFE_DAYS)
        seen.kinds.add(kind)
    return history


def _tag_rows(viewer: Viewer, photo_ids: list[int]) -> QuerySet:
    rows = PhotoTag.objects.filter(photo_id__in=ids_parameter(photo_ids))
    return rows.values_list("photo_id", "tag_id", "tag__name", "tag__categories", "confidence")


# The history's photos are visible to its owner already: the tags read is the same for everybody.
_TAGS = CompiledQuery(_tag_rows)


def taste_profile(history: dict[int, Seen]) -> TasteProfile:
    """Return the tags and categories of the photos in ``history``, weighted by the photos' weights."""
    tags: dict[int, Interest] = {}
    categories: dict[str, Interest] = {}
    if history:
        rows = _TAGS.rows(AnonymousUser(), list(history))
        # A tag can come from the CNN and a hashtag at once: count the photo once, at its surest.
        best: dict[tuple[int, int], tuple[str, list[str], float]] = {}
        for photo_id, tag_id, name, tag_categories, confidence in rows:
            known = best.get((photo_id, tag_id))
            if known is None or confidence > known[2]:
                best[photo_id, tag_id] = (name, tag_categories or [], confidence)
        photo_categories: dict[tuple[int, str], float] = {}
        for (photo_id, tag_id), (name, tag_categories, confidence) in best.items():
            interest = tags.setdefault(tag_id, Interest(name))
            interest.weight += history[photo_id].weight * confidence
            interest.photo_ids.add(photo_id)
            for category in tag_categories:
                key = (photo_id, category)
                photo_categories[key] = max(photo_categories.get(key, 0.0), confidence)
        for (photo_id, category), confidence in photo_categories.items():
            interest = categories.setdefault(category, Interest(category))
            interest.weight += history[photo_id].weight * confidence
            interest.photo_ids.add(photo_id)
    return TasteProfile(history=history, tags=tags, categories=categories)


def _shares(interests: list[Interest], total: float) -> list[InterestShare]:
    top = sorted(interests, key=lambda interest: (-interest.weight, interest.name))[:CHART_ROWS]
    return [InterestShare(i.name, round(min(i.weight / total, 1.0), 4), len(i.photo_ids)) for i in top]


def interests_for(user: User) -> Interests:
    """Return what ``user``'s recent history says they like, for their own eyes only (two queries)."""
    profile = taste_profile(recent_history(user, limit=CHART_HISTORY_SIZE))
    return Interests(
        photos=len(profile.history),
        tags=_shares(list(profile.tags.values()), profile.total),
        categories=_shares(list(profile.categories.values()), profile.total),
    )
