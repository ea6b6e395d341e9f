"""Explore's co-view arithmetic on MovieLens-100K, as implicit feedback: real people's choices.

The ratings are read at benchmark time out of the ``recbole`` wheel on PyPI (it ships
``dataset_example/ml-100k/ml-100k.inter``), fetched with ``pip download --no-deps`` into a cache
folder outside the repository: the dataset's licence forbids redistributing it, so it is never
committed. Every rating counts as one interaction (weight 1; a random split has no "recent").

A random 80/20 split of the ratings; each person's held-out ratings are what a top 10 should
find among the films they have not rated in training. Three rankings:

- popularity: the films with the most training ratings;
- co-view: ``photos.explore.similarity.item_neighbours`` on the training matrix with the product's
  NEIGHBOURS_PER_PHOTO and LISTED_AT_MOST, and its privacy threshold (MIN_PEOPLE_IN_COMMON people behind every pair,
  kept as is: the rule costs a little accuracy here and the figure is the product's), read and
  summed as ``photos.explore.scoring`` does (candidate side, similarities squared);
- blend: co-view plus popularity, each scaled to 0..1 per person, with the product's weights
  (content does not apply: films have no CNN tags).

Published anchors for this split (RecBole): MostPopular NDCG@10 about 0.22, ItemKNN about 0.39.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from scipy import sparse

CACHE = Path.home() / ".cache" / "socialsite-bench"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"
TEST_SHARE = 0.2
K = 10


def ratings(cache: Path = CACHE) -> np.ndarray:
    """Return the ML-100K ratings as rows (user, item, timestamp), downloading the wheel once."""
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("recbole-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "recbole", "-d", str(cache)], check=True
        )
        wheels = sorted(cache.glob("recbole-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        lines = wheel.read(MEMBER).decode().splitlines()[1:]  # a header names the columns
    rows = np.array([line.split("\t") for line in lines if line.strip()], dtype=np.float64)
    return np.column_stack([rows[:, 0], rows[:, 1], rows[:, 3]]).astype(np.int64)


def _metrics(scores: np.ndarray, train: sparse.csr_array, held: dict[int, np.ndarray]) -> dict:
    discount = 1 / np.log2(np.arange(2, K + 2))
    hits, gains = 0, 0.0
    for user, relevant in held.items():
        row = scores[user].astype(np.float64).copy()
        row[train.indices[train.indptr[user] : train.indptr[user + 1]]] = -np.inf
        row[0] = -np.inf  # ids start at 1
        top = np.argpartition(-row, K)[:K]
        top = top[np.lexsort((top, -row[top]))]
        found = np.isin(top, relevant)
        hits += bool(found.any())
        gains += float((found * discount).sum() / discount[: min(len(relevant), K)].sum())
    return {"hit_rate_at_10": round(hits / len(held), 4), "ndcg_at_10": round(gains / len(held), 4)}


def _scaled(scores: np.ndarray) -> np.ndarray:
    tops = scores.max(axis=1, keepdims=True)
    return scores / np.where(tops > 0, tops, 1.0)


def evaluate(seed: int = 1) -> dict:
    """Return hit-rate@10 and NDCG@10 of popularity, co-view and the blend on a random 80/20 split."""
    from photos.explore import similarity
    from photos.explore.item_model import (
        LISTED_AT_MOST,
        MAX_PER_PERSON,
        MIN_PEOPLE_IN_COMMON,
        NEIGHBOURS_PER_PHOTO,
    )
    from photos.explore.scoring import CO_VIEW_POWER
    from photos.explore.selectors import BLEND

    rows = ratings()
    users, items, times = rows[:, 0], rows[:, 1], rows[:, 2]
    held_out = np.random.default_rng(seed).random(len(rows)) < TEST_SHARE
    shape = (int(users.max()) + 1, int(items.max()) + 1)
    train = sparse.csr_array((np.ones(int((~held_out).sum())), (users[~held_out], items[~held_out])), shape=shape)
    held: dict[int, np.ndarray] = {}
    for user in np.unique(users[held_out]):
        held[int(user)] = items[held_out & (users == user)]

    popularity = np.asarray(train.sum(axis=0)).ravel()
    popular = np.broadcast_to(popularity, shape)

    # As the rebuild does: each person's latest MAX_PER_PERSON interactions make the neighbours.
    ages = (times.max() - times[~held_out]) / 86400.0
    keep = similarity.most_recent_per_user(users[~held_out], ages, MAX_PER_PERSON)
    matrix = sparse.csr_array(
        (np.ones(len(keep)), (users[~held_out][keep], items[~held_out][keep])), shape=shape, dtype=np.float64
    )
    neighbours = similarity.item_neighbours(
        matrix, np.arange(shape[1]), k=NEIGHBOURS_PER_PHOTO, min_people=MIN_PEOPLE_IN_COMMON
    )
    neighbours = similarity.listed_at_most(neighbours, LISTED_AT_MOST)
    # Explore reads the candidates that list a history item among their nearest (anchor = neighbour).
    closeness = sparse.csr_array(
        (neighbours.score**CO_VIEW_POWER, (neighbours.neighbour, neighbours.photo)), shape=(shape[1], shape[1])
    )
    co_view = (train @ closeness).toarray()
    blend = BLEND.co_view * _scaled(co_view) + BLEND.popularity * _scaled(np.asarray(popular, dtype=np.float64))
    return {
        "ratings": len(rows),
        "people": len(np.unique(users)),
        "items": len(np.unique(items)),
        "neighbour_pairs": len(neighbours),
        "popularity": _metrics(popular, train, held),
        "co_view": _metrics(co_view, train, held),
        "blend": _metrics(blend, train, held),
    }
