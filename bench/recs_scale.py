#!/usr/bin/env python
"""Measure Explore at scale on PostgreSQL: item model rebuild time and memory, recommendations API p95.

Seeds a synthetic site with ``manage.py seed`` (10,000 users, 100,000 photos, 1,000,000 views by
default) into its own throwaway database, rebuilds the item model in a fresh child process (as a
Celery worker would, so its peak memory is the rebuild's own), twice; after the second, the same
child records REFRESH_VIEWS new views (half a minute of a busy site) and times the incremental
refresh (``photos.explore.refresh``) that beat runs every 30 s. Then it asks the recommendations
API for signed-in people drawn at random, in-process through DRF's test client, with the live fill
and the refreshed rows in place. Floors: rebuild <= 30 s, API p95 <= 40 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialsite .venv/bin/python bench/recs_scale.py \\
        [--users 10000] [--photos 100000] [--views 1000000] [--requests 400] [--database NAME] [--keep]
        [--profile N]

DATABASE_URL names the server; the benchmark's database is ``socialsite_recs_bench`` (``--database``),
created and dropped by the run; ``--keep`` leaves it behind and reuses it next time without seeding
again (drop it yourself when done). Each request's time is split into SQL (the time spent in the
database driver, queries included) and Python (the rest), and its process CPU time is given;
``--profile N`` prints cProfile's top functions over N more requests. The last line printed is one
JSON object with the figures.
"""

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import ROOT, django_bench_env  # noqa: E402

DB_NAME = "socialsite_recs_bench"
REBUILD_FLOOR_S = 30.0
P95_FLOOR_MS = 40.0
REFRESH_VIEWS = 300


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def rebuild_in_child(*, refresh: bool) -> None:
    """Child process: rebuild the item model on the bench database; print the figures as JSON."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from photos.explore.item_model import item_model_rebuild
    from photos.management.commands.seed import ANCHOR

    before_mb = _peak_rss_mb()
    cpu = time.process_time()
    report = item_model_rebuild(now=ANCHOR)  # the seeded site's "now"
    figures = {
        **report.__dict__,
        "cpu_seconds": round(time.process_time() - cpu, 3),  # this process's; the database's comes on top
        "rss_before_mb": round(before_mb),
        "peak_rss_mb": round(_peak_rss_mb()),
    }
    if refresh:
        # In this process: the rebuild left the watermark and the norms in its (local memory) cache.
        figures["refresh"] = _refresh_after_new_views(random.Random(2))
    print(json.dumps(figures))


def _refresh_after_new_views(rng: random.Random) -> dict:
    """Record REFRESH_VIEWS views by random people of random photos, then time the incremental refresh."""
    from photos.explore.refresh import item_model_refresh
    from photos.management.commands.seed import ANCHOR
    from photos.models import Photo, PhotoView, User

    people = list(User.objects.values_list("pk", flat=True))
    photos = list(Photo.objects.values_list("pk", flat=True))
    PhotoView.objects.bulk_create(
        [PhotoView(user_id=rng.choice(people), photo_id=rng.choice(photos)) for _ in range(REFRESH_VIEWS)]
    )
    PhotoView.objects.filter(viewed_at__gt=ANCHOR).update(viewed_at=ANCHOR)  # the seeded site's "now"
    report = item_model_refresh(now=ANCHOR)
    assert not report.full_rebuild, "the refresh found no model: it must not rebuild here"
    return report.__dict__


def _peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM, which unlike ru_maxrss starts afresh at exec)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def rebuild(database_url: str, *, refresh: bool = False) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "socialsite.test_settings"}
    command = [sys.executable, __file__, "--rebuild-child", *(["--refresh"] if refresh else [])]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


class SqlTimer:
    """A database execute wrapper adding up the time spent in the driver (the query's round trip)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure_api(requests: int, rng: random.Random, *, profile: int = 0) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from rest_framework.test import APIClient

    from photos.models import User

    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS) without touching settings
    # Ids, not thousands of User objects: a web worker does not hold them, and the garbage collector
    # would walk them all in every full collection, adding pauses no server has.
    people = list(User.objects.filter(photo_views__isnull=False).distinct().order_by("pk").values_list("pk", flat=True))
    client = APIClient()

    sql = SqlTimer()

    def get(user: User) -> tuple[float, int]:
        client.force_authenticate(user)
        started = time.perf_counter()
        response = client.get("/api/v1/recommendations/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed, len(response.json()["results"])

    counts = set()
    for user_id in rng.sample(people, 30):  # warm the database's and Python's caches; count the queries
        user = User.objects.get(pk=user_id)
        with CaptureQueriesContext(connection) as queries:
            get(user)
        counts.add(len(queries))
    gc.collect()
    timings, sizes, sql_ms, cpu_ms = [], [], [], []
    with connection.execute_wrapper(sql):
        for user_id in rng.choices(people, k=requests):
            user = User.objects.get(pk=user_id)  # the user is fetched before the clock starts
            sql.seconds, cpu = 0.0, time.process_time()
            elapsed, size = get(user)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            sql_ms.append(sql.seconds * 1000)
            timings.append(elapsed)
            sizes.append(size)
    if profile:
        _profile(get, [User.objects.get(pk=pk) for pk in rng.choices(people, k=profile)])
    python_ms = [total - spent for total, spent in zip(timings, sql_ms, strict=True)]
    return {
        "api_requests": requests,
        "api_p50_ms": round(statistics.median(timings), 1),
        "api_p95_ms": round(_percentile(timings, 95), 1),
        "api_p99_ms": round(_percentile(timings, 99), 1),
        "api_max_ms": round(max(timings), 1),
        "api_sql_ms_mean": round(statistics.mean(sql_ms), 1),
        "api_sql_ms_p95": round(_percentile(sql_ms, 95), 1),
        "api_python_ms_mean": round(statistics.mean(python_ms), 1),
        "api_python_ms_p95": round(_percentile(python_ms, 95), 1),
        "api_cpu_ms_mean": round(statistics.mean(cpu_ms), 1),
        "api_queries_per_request": sorted(counts),
        "api_mean_results": round(statistics.mean(sizes), 1),
    }


def _profile(get, users: list) -> None:
    """Print cProfile's top functions (cumulative time) over one request per user in ``users``."""
    profiler = cProfile.Profile()
    profiler.enable()
    for user in users:
        get(user)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
    print(f"profile of {len(users)} requests:\n{out.getvalue()}")


def _seed(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    call_command(
        "seed",
        users=args.users,
        photos=args.photos,
        follows=args.follows,
        views=args.views,
        seed=1,
        no_item_model=True,
        verbosity=0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=1_000_000)
    parser.add_argument("--follows", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database", default=DB_NAME, help="the benchmark database's name")
    parser.add_argument("--keep", action="store_true", help="reuse the database if seeded, and keep it")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N more requests")
    parser.add_argument("--rebuild-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--refresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rebuild_child:
        return rebuild_in_child(refresh=args.refresh)
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/recs_scale.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL server.")

    with django_bench_env(args.database, keep=args.keep):
        from django.db import connection

        from photos.models import PhotoView

        started = time.perf_counter()
        seeded = args.keep and PhotoView.objects.exists()
        if seeded:
            print(f"reusing the seeded database {args.database}")
        else:
            _seed(args)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # fresh statistics, as autovacuum would leave them
        seconds = time.perf_counter() - started
        if not seeded:
            print(f"seeded {args.users} users, {args.photos} photos, {args.views} views in {seconds:.0f} s")

        bench_url = urlunsplit(urlsplit(server_url)._replace(path=f"/{connection.settings_dict['NAME']}"))
        connection.close()  # the child rebuilds through its own connection
        rebuilds = [rebuild(bench_url), rebuild(bench_url, refresh=True)]
        for number, report in enumerate(rebuilds, 1):
            print(f"rebuild {number}: {report}")
        with connection.cursor() as cursor:
            # Between rebuilds autovacuum clears the replaced rows; do it now rather than during the timing.
            cursor.execute("VACUUM ANALYZE photos_photoneighbor")
            cursor.execute("VACUUM ANALYZE photos_popularphoto")
        api = measure_api(args.requests, random.Random(1), profile=args.profile)
        print(f"recommendations API: {api}")

        slowest = max(report["seconds"] for report in rebuilds)
        summary = {
            "benchmark": "recs_scale",
            "database": connection.vendor,
            "users": args.users,
            "photos": args.photos,
            "views": args.views,
            "interactions_read": rebuilds[0]["interactions"],
            "neighbour_pairs": rebuilds[0]["neighbours"],
            "pool_entries": rebuilds[0]["popular"],
            "rebuild_seconds": [report["seconds"] for report in rebuilds],
            "rebuild_cpu_seconds": [report["cpu_seconds"] for report in rebuilds],
            "rebuild_peak_rss_mb": max(report["peak_rss_mb"] for report in rebuilds),
            "rebuild_rss_before_mb": rebuilds[0]["rss_before_mb"],
            "refresh_new_views": REFRESH_VIEWS,
            "refresh_touched_photos": rebuilds[1]["refresh"]["touched"],
            "refresh_people_read": rebuilds[1]["refresh"]["people"],
            "refresh_seconds": rebuilds[1]["refresh"]["seconds"],
            **api,
            "cpu_load_1min": round(os.getloadavg()[0], 2),
            "floor_met": slowest <= REBUILD_FLOOR_S and api["api_p95_ms"] <= P95_FLOOR_MS,
        }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
