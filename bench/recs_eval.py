#!/usr/bin/env python
"""Measure Explore's ranking quality on a synthetic population with planted interests.

People fall into interest groups, each fond of one group of tags (a CNN category). A person's
views are mostly photos with their group's tags (well-liked photos more often), some are the
site's popular photos, some are random noise; a few interest views become likes. Each person's
last views are held out; the item model is rebuilt from the rest, exactly as the beat task does,
and Explore (the real ``photos.explore.selectors`` code, through its database queries) ranks for
each person. Hit-rate@10 and NDCG@10 are reported for the blend and, in the same run, for the
popularity baseline (most popular photos the person has not seen). Floor: blend hit-rate >= 3x.
For scale, it also reports a planted oracle, which knows each person's group and shows its most
viewed photos: a ceiling for content-and-popularity methods, not a bound for the blend, and the
intra-list diversity of each top 10 (``photos.explore.diversity``: 1 minus the cosine of tag sets).

Then the same co-view arithmetic on real people's data: MovieLens-100K as implicit feedback, a
random 80/20 split (``bench/recs_ml100k.py``: fetched from the recbole wheel at run time, never
committed). Floor: co-view NDCG@10 >= 0.38 (published anchors: MostPopular 0.22, ItemKNN 0.39).

    .venv/bin/python bench/recs_eval.py [--people 1500] [--photos 6000] [--held-out 2] [--seed 1]

Uses DATABASE_URL when set (PostgreSQL), otherwise SQLite, in a throwaway database.
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import recs_ml100k  # noqa: E402
from _django import django_bench_env  # noqa: E402

# Sixteen interests of three tags each, about as many as the taxonomy has categories people follow.
GROUPS = 16
TAGS_PER_GROUP = 3
SHARES = {"interest": 0.70, "popular": 0.10, "noise": 0.20}
LIKE_SHARE = 0.1
DAYS = 60
K = 10
FLOOR = 3.0
ML100K_FLOOR = 0.38


@contextmanager
def timestamps_as_given(*fields):
    """Let bulk_create keep generated timestamps instead of stamping ``now`` (auto_now_add)."""
    for model, name in fields:
        model._meta.get_field(name).auto_now_add = False
    try:
        yield
    finally:
        for model, name in fields:
            model._meta.get_field(name).auto_now_add = True


def zipf_cumulative(count: int, exponent: float) -> list[float]:
    total, cumulative = 0.0, []
    for rank in range(1, count + 1):
        total += rank**-exponent
        cumulative.append(total)
    return cumulative


def build_population(rng: random.Random, people: int, photos: int, held_out: int):
    """Create people, tagged photos and train interactions.

    Return the people, their held-out photos, and for each person the photos of their interest
    group ranked by train views (what an oracle that knows the planted groups would show).
    """
    from django.utils import timezone

    from photos.models import Like, Photo, PhotoTag, PhotoView, Tag, User

    users = User.objects.bulk_create([User(username=f"eval{i}", password="!") for i in range(people)])
    tags = Tag.objects.bulk_create(
        [
            Tag(name=f"g{group}t{i}", categories=[f"category{group}"])
            for group in range(GROUPS)
            for i in range(TAGS_PER_GROUP)
        ]
    )
    rows = Photo.objects.bulk_create(
        [
            # Tagged, as the worker leaves a processed photo: only those are seen by others.
            Photo(
                owner=rng.choice(users),
                image="eval.jpg",
                thumbnail="eval.jpg",
                caption=f"photo {i}",
                status=Photo.Status.TAGGED,
            )
            for i in range(photos)
        ]
    )
    by_group: dict[int, list[int]] = {group: [] for group in range(GROUPS)}
    photo_tags = []
    for photo in rows:
        tag_index = rng.randrange(len(tags))
        by_group[tag_index // TAGS_PER_GROUP].append(photo.pk)
        photo_tags.append(PhotoTag(photo=photo, tag=tags[tag_index], source="auto", confidence=rng.uniform(0.5, 1)))
        if rng.random() < 0.3:  # a second, unrelated tag: content is a noisy signal, as with a real CNN
            photo_tags.append(
                PhotoTag(photo=photo, tag=rng.choice(tags), source="auto", confidence=rng.uniform(0.3, 0.7))
            )
    PhotoTag.objects.bulk_create(photo_tags, ignore_conflicts=True)
    # Photo appeal: a Zipf order within each group and over the whole site.
    for group_photos in by_group.values():
        rng.shuffle(group_photos)
    site = [photo.pk for photo in rows]
    rng.shuffle(site)
    group_weights = {group: zipf_cumulative(len(p), 0.9) for group, p in by_group.items()}
    site_weights = zipf_cumulative(len(site), 1.1)

    now = timezone.now()
    views, likes, held, groups = [], [], {}, {}
    for user in users:
        group = groups[user.pk] = rng.randrange(GROUPS)
        count = max(held_out + 3, int(rng.lognormvariate(math.log(25), 0.6)))
        chosen: dict[int, str] = {}
        while len(chosen) < count:
            source = rng.choices(list(SHARES), weights=list(SHARES.values()))[0]
            if source == "interest":
                photo_id = rng.choices(by_group[group], cum_weights=group_weights[group])[0]
            elif source == "popular":
                photo_id = rng.choices(site, cum_weights=site_weights)[0]
            else:
                photo_id = rng.choice(site)
            chosen.setdefault(photo_id, source)
        times = sorted(now - timedelta(days=rng.uniform(0, DAYS)) for _ in range(count))
        ordered = list(chosen.items())
        rng.shuffle(ordered)  # the order of draws favours appealing photos first; real timing does not
        held[user.pk] = {photo_id for photo_id, _ in ordered[-held_out:]}
        for (photo_id, source), at in zip(ordered[:-held_out], times[:-held_out], strict=True):
            views.append(PhotoView(user=user, photo_id=photo_id, viewed_at=at))
            if source == "interest" and rng.random() < LIKE_SHARE:
                likes.append(Like(user=user, photo_id=photo_id, created_at=at))
    with timestamps_as_given((PhotoView, "viewed_at"), (Like, "created_at")):
        PhotoView.objects.bulk_create(views, batch_size=5000)
        Like.objects.bulk_create(likes, batch_size=5000)
    counts = Counter(view.photo_id for view in views)
    ranked_groups = {group: sorted(p, key=lambda photo_id: -counts[photo_id]) for group, p in by_group.items()}
    seen: dict[int, set[int]] = {}
    for view in views:
        seen.setdefault(view.user_id, set()).add(view.photo_id)
    oracle = {
        user.pk: [p for p in ranked_groups[groups[user.pk]] if p not in seen.get(user.pk, set())][:K] for user in users
    }
    return users, held, oracle, len(views), len(likes)


def ndcg(ranked: list[int], relevant: set[int]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, photo_id in enumerate(ranked[:K]) if photo_id in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return dcg / ideal


def evaluate(users, held: dict[int, set[int]], oracle: dict[int, list[int]]) -> dict:
    from photos.explore.diversity import intra_list_diversity
    from photos.explore.selectors import BLEND, POPULARITY_ONLY, ranked_for
    from photos.models import PhotoTag

    tags: dict[int, set[int]] = {}
    for photo_id, tag_id in PhotoTag.objects.values_list("photo_id", "tag_id"):
        tags.setdefault(photo_id, set()).add(tag_id)

    figures = {
        "planted_oracle": {
            "hit_rate_at_10": round(sum(bool(held[u.pk] & set(oracle[u.pk])) for u in users) / len(users), 4),
            "ndcg_at_10": round(sum(ndcg(oracle[u.pk], held[u.pk]) for u in users) / len(users), 4),
        }
    }
    for name, weights in (("blend", BLEND), ("popularity", POPULARITY_ONLY)):
        hits, gains, diversity = 0, 0.0, 0.0
        started = time.perf_counter()
        for user in users:
            top = [photo_id for photo_id, _, _ in ranked_for(user, weights=weights)[:K]]
            hits += bool(held[user.pk] & set(top))
            gains += ndcg(top, held[user.pk])
            diversity += intra_list_diversity([tags.get(photo_id, set()) for photo_id in top])
        figures[name] = {
            "hit_rate_at_10": round(hits / len(users), 4),
            "ndcg_at_10": round(gains / len(users), 4),
            "intra_list_diversity": round(diversity / len(users), 4),
            "ms_per_person": round((time.perf_counter() - started) * 1000 / len(users), 2),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--photos", type=int, default=6000)
    parser.add_argument("--held-out", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="socialsite_recs_eval", help="the throwaway database's name")
    args = parser.parse_args()
    with django_bench_env(args.database):
        from django.db import connection

        from photos.explore.item_model import item_model_rebuild

        started = time.perf_counter()
        users, held, oracle, views, likes = build_population(
            random.Random(args.seed), args.people, args.photos, args.held_out
        )
        print(
            f"population: {args.people} people in {GROUPS} interest groups, {args.photos} photos, "
            f"{views} train views, {likes} likes, {args.held_out} views held out each "
            f"({time.perf_counter() - started:.1f} s, {connection.vendor})"
        )
        report = item_model_rebuild()
        print(f"item model: {report.neighbours} neighbour pairs, {report.popular} pool entries, {report.seconds} s")
        figures = evaluate(users, held, oracle)
        for name, values in figures.items():
            timing = f"  {values['ms_per_person']} ms/person" if "ms_per_person" in values else ""
            print(f"{name:<15} hit-rate@10 {values['hit_rate_at_10']:.3f}  NDCG@10 {values['ndcg_at_10']:.3f}{timing}")
        ratio = figures["blend"]["hit_rate_at_10"] / max(figures["popularity"]["hit_rate_at_10"], 1e-9)
        print(f"blend / popularity hit-rate: {ratio:.2f}x (floor {FLOOR}x)")
        started = time.perf_counter()
        ml100k = recs_ml100k.evaluate(seed=args.seed)
        print(
            f"MovieLens-100K: {ml100k['ratings']} ratings, {ml100k['people']} people, {ml100k['items']} films, "
            f"random 80/20, {ml100k['neighbour_pairs']} neighbour pairs ({time.perf_counter() - started:.1f} s)"
        )
        for name in ("popularity", "co_view", "blend"):
            values = ml100k[name]
            print(f"ml100k {name:<11} hit-rate@10 {values['hit_rate_at_10']:.3f}  NDCG@10 {values['ndcg_at_10']:.3f}")
        print(f"ml100k co-view NDCG@10 floor {ML100K_FLOOR} (anchors: MostPopular 0.22, ItemKNN 0.39)")
        summary = {
            "benchmark": "recs_eval",
            "database": connection.vendor,
            "people": args.people,
            "photos": args.photos,
            "train_views": views,
            "likes": likes,
            "held_out_per_person": args.held_out,
            **{f"{name}_{key}": value for name, values in figures.items() for key, value in values.items()},
            "hit_rate_ratio": round(ratio, 2),
            "ml100k_ndcg_at_10": ml100k["co_view"]["ndcg_at_10"],
            "ml100k_popularity_ndcg_at_10": ml100k["popularity"]["ndcg_at_10"],
            **{
                f"ml100k_{name}_{key}": ml100k[name][key]
                for name in ("popularity", "co_view", "blend")
                for key in ml100k[name]
            },
            "floor_met": ratio >= FLOOR and ml100k["co_view"]["ndcg_at_10"] >= ML100K_FLOOR,
        }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
