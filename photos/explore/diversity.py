"""Keep Explore's first page varied: a few photos per owner and per tag, and a measure of how varied a list is."""

import math
from collections.abc import Callable, Hashable, Sequence
from itertools import combinations
from typing import TypeVar

Item = TypeVar("Item")
# At most this many photos of one tag (a photo's surest tag) in the first page of Explore.
MAX_PER_TAG = 4


def first_page_varied(
    items: Sequence[Item], tag_of: Callable[[Item], Hashable | None], *, page: int, per_tag: int = MAX_PER_TAG
) -> list[Item]:
    """Return ``items`` reordered so the first ``page`` hold at most ``per_tag`` of any tag.

    Greedy in rank order: an item over its tag's cap moves after the first page, the rest keep
    their order. When too few tags are on offer to fill a page, the page is filled in rank order.
    """
    first: list[Item] = []
    later: list[Item] = []
    counts: dict[Hashable, int] = {}
    for item in items:
        tag = tag_of(item)
        if len(first) < page and (tag is None or counts.get(tag, 0) < per_tag):
            first.append(item)
            if tag is not None:
                counts[tag] = counts.get(tag, 0) + 1
        else:
            later.append(item)
    if len(first) < page:
        first, later = first + later[: page - len(first)], later[page - len(first) :]
    return first + later


def intra_list_diversity(tag_sets: Sequence[set]) -> float:
    """Return the mean dissimilarity of all pairs in a list: 1 minus the cosine of their tag sets.

    0 when every photo has the same tags, 1 when no two share one; a photo without tags shares none.
    """
    pairs = list(combinations(tag_sets, 2))
    if not pairs:
        return 0.0
    total = 0.0
    for a, b in pairs:
        shared = len(a & b)
        total += 1.0 - (shared / math.sqrt(len(a) * len(b)) if shared else 0.0)
    return total / len(pairs)
