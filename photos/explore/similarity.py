"""Explore's item model as pure array functions: no ORM, no settings, only numpy and scipy.sparse.

``photos.explore.item_model`` loads interactions from the database, calls these and stores the result.
Photos are similar when the same people interacted with both ("people who viewed this also
viewed that"): the cosine of their time-decayed audience vectors, computed for all pairs at once
by a sparse matrix product, in blocks of photos so that memory stays bounded whatever the size.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

# A block's similarity matrix holds at most about this many entries before filtering. Small blocks
# cap memory and stay in cache: at a million views, 1M ran faster (4.7 s) than 8M (6.4 s, +300 MB).
BLOCK_WORK = 1_000_000
# The fewest people in common a neighbour pair may rest on, whatever the caller asks.
MIN_PEOPLE = 3


@dataclass(frozen=True)
class Neighbours:
    """The top neighbours of each photo, as parallel arrays of photo ids, scores and audience overlap."""

    photo: np.ndarray
    neighbour: np.ndarray
    score: np.ndarray
    people: np.ndarray

    def __len__(self) -> int:
        return len(self.photo)


def decay(ages_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """Return the weight left after ``ages_days`` when a signal halves every ``half_life_days``."""
    return np.exp2(-np.maximum(ages_days, 0.0) / half_life_days)


def top_k_per_group(groups: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of the ``k`` highest scores of each group, grouped, best first within a group."""
    order = np.lexsort((-scores, groups))
    sorted_groups = groups[order]
    # Each entry's rank within its group: its position minus where its group starts.
    starts = np.searchsorted(sorted_groups, sorted_groups, side="left")
    return order[np.arange(len(order)) - starts < k]


def most_recent_per_user(users: np.ndarray, ages_days: np.ndarray, limit: int) -> np.ndarray:
    """Return the indices of each user's ``limit`` most recent interactions.

    A handful of very active people would otherwise dominate both the cost (the product grows
    with the square of a person's history) and the similarities.
    """
    return top_k_per_group(users, -ages_days, limit)


def interaction_matrix(
    users: np.ndarray, photos: np.ndarray, values: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """Return the people x photos matrix (repeated pairs summed) and the photo id of each column."""
    user_ids, user_index = np.unique(users, return_inverse=True)
    photo_ids, photo_index = np.unique(photos, return_inverse=True)
    matrix = sparse.coo_array(
        (values.astype(np.float64), (user_index, photo_index)), shape=(len(user_ids), len(photo_ids))
    ).tocsr()
    matrix.sum_duplicates()
    return matrix, photo_ids


def _blocks(work: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Cut 0..len(work) into consecutive ranges whose summed ``work`` stays near ``budget``."""
    bounds = [0]
    cumulative = np.cumsum(work)
    while bounds[-1] < len(work):
        done = cumulative[bounds[-1] - 1] if bounds[-1] else 0
        end = int(np.searchsorted(cumulative, done + budget, side="right"))
        bounds.append(max(end, bounds[-1] + 1))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def column_norms(matrix: sparse.csr_array) -> np.ndarray:
    """Return the Euclidean norm of each column (a photo's audience vector)."""
    return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0), dtype=np.float64)).ravel()


def item_neighbours(
    matrix: sparse.csr_array,
    photo_ids: np.ndarray,
    *,
    k: int,
    min_people: int,
    block_work: int = BLOCK_WORK,
    norms: np.ndarray | None = None,
    only: np.ndarray | None = None,
) -> Neighbours:
    """Return each photo's ``k`` most similar photos by cosine of their audiences.

    ``matrix`` is people x photos with non-negative weights. A pair needs at least ``min_people``
    people in common: a shared viewer or two is noise, and showing the pair to one of them (or to
    one fake account) would reveal what the other one viewed.

    ``only`` (column indices) limits the result to those photos' neighbours, and ``norms`` gives
    the columns' norms: the incremental refresh passes the people of a few photos only, and the
    site-wide norms of the other photos, which that partial matrix cannot know.
    """
    if min_people < MIN_PEOPLE:
        raise ValueError(
            f"min_people must be at least {MIN_PEOPLE} so a pair never exposes one or two people, got {min_people}"
        )
    matrix = sparse.csr_array(matrix, dtype=np.float64)
    norms = column_norms(matrix) if norms is None else norms
    normalised = (matrix @ sparse.diags_array(1.0 / np.where(norms > 0, norms, 1.0))).tocsr()
    binary = normalised.copy()
    binary.data = np.ones_like(binary.data)
    # photos x people, so that a block of photos is a slice of rows.
    normalised_t, binary_t = normalised.T.tocsr(), binary.T.tocsr()
    index = np.arange(len(photo_ids)) if only is None else np.asarray(only, dtype=np.int64)
    if only is not None:
        normalised_t, binary_t = normalised_t[index], binary_t[index]
    history_sizes = np.diff(binary.indptr)
    work = binary_t @ history_sizes.astype(np.float64)
    parts: list[tuple[np.ndarray, ...]] = []
    for start, end in _blocks(work, block_work):
        similarity = normalised_t[start:end] @ normalised
        overlap = binary_t[start:end] @ binary
        # Operands with the same sparsity give products whose entries line up one for one (the
        # product's order depends on the structure only), which saves sorting tens of millions.
        if not np.array_equal(similarity.indices, overlap.indices):
            raise RuntimeError("similarity and overlap products differ in sparsity: weights must be positive")
        rows = index[np.repeat(np.arange(start, end), np.diff(similarity.indptr))]
        keep = (overlap.data >= min_people) & (similarity.indices != rows)
        rows, cols = rows[keep], similarity.indices[keep]
        scores, people = similarity.data[keep], overlap.data[keep]
        best = top_k_per_group(rows, scores, k)
        parts.append((rows[best], cols[best], scores[best], people[best]))
    if not parts:
        empty = np.array([], dtype=np.int64)
        return Neighbours(empty, empty, np.array([], dtype=np.float64), empty)
    rows, cols, scores, people = (np.concatenate(column) for column in zip(*parts, strict=True))
    return Neighbours(photo_ids[rows], photo_ids[cols], scores, people.astype(np.int64))


def listed_at_most(neighbours: Neighbours, limit: int) -> Neighbours:
    """Return ``neighbours`` without the pairs past the ``limit`` closest that list the same photo.

    A photo many people saw is among the nearest of tens of thousands: a person who saw it would
    make Explore read all those rows. Its ``limit`` closest keep it; with squared similarities the
    others add little.
    """
    keep = np.sort(top_k_per_group(neighbours.neighbour, neighbours.score, limit))
    return Neighbours(
        neighbours.photo[keep], neighbours.neighbour[keep], neighbours.score[keep], neighbours.people[keep]
    )


def popularity(photos: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct photos and the sum of ``values`` for each."""
    photo_ids, index = np.unique(photos, return_inverse=True)
    return photo_ids, np.bincount(index, weights=values, minlength=len(photo_ids))
