#!/usr/bin/env python
"""Server CPU per request, per endpoint: the figure a shared, loaded machine does not distort.

Sends each request of bench/load.py's mix (the feed, a photo, a search, Explore, and a grid's
thumbnail through the media check) ``--requests`` times in-process, through Django's whole stack
(middleware, DRF, token auth, serialisation) with the production settings, against the seeded load
site, and reads per request the CPU time of the Python process (``time.process_time``) and of its
PostgreSQL backend (``/proc/<pid>/stat``), and the queries one request runs. Wall-clock rates
measured on a shared machine say more about the neighbours than about the code; CPU time does not.

``--compare DIR`` measures the code checked out at DIR (``/work/main``: the code before a change)
in the same run on the same site and requests, and prints both side by side with the ratio.
Requests rotate over the clients' tokens (different viewers); each endpoint is warmed first (code
paths, per-process compiled queries, caches) so the figures are the steady state.

    .venv/bin/python bench/request_cpu.py [--db-name socialsite_load] [--requests 200] [--compare /work/main]

The site is bench/load.py's (same ``--users``/``--photos``, seeded when missing, kept for load.py;
``--drop`` drops it). REDIS_URL, when set, is the cache. The last line is one JSON object.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402 - bench/load.py: the site and its clients

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ("feed", "photo", "search", "explore", "thumbnail")

# Runs in a fresh interpreter inside the code tree measured (this one or --compare's).
CHILD = r"""
import json, os, random, sys, time
root, site_file, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
os.environ.update(
    DJANGO_SETTINGS_MODULE="socialsite.settings", DJANGO_SECRET_KEY="bench-only-not-secret",
    DJANGO_ALLOWED_HOSTS="testserver", DJANGO_SECURE_SSL_REDIRECT="0", LOG_LEVEL="WARNING",
    MEDIA_ACCEL_REDIRECT="/_protected_media/",
)
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from photos.models import Photo

site = json.load(open(site_file))
thumbs = list(Photo.objects.filter(pk__in=site["photo_ids"]).values_list("thumbnail", flat=True))
searches = site["searches"]
tick = os.sysconf("SC_CLK_TCK")

def backend_cpu():
    pid = connection.connection.info.backend_pid
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return pid, (int(fields[11]) + int(fields[12])) / tick

def paths(endpoint, rng, n):
    for _ in range(n):
        yield {
            "feed": lambda: "/api/v1/feed/",
            "photo": lambda: f"/api/v1/photos/{rng.choice(site['photo_ids'])}/",
            "search": lambda: "/api/v1/search/?q=" + rng.choice(searches).replace(" ", "+"),
            "explore": lambda: "/api/v1/recommendations/",
            "thumbnail": lambda: "/media/" + rng.choice(thumbs),
        }[endpoint]()

clients = [Client(HTTP_AUTHORIZATION=f"Token {token}") for token in site["tokens"]]
out = {}
for endpoint in site["endpoints"]:
    rng = random.Random(endpoint)
    for i, path in enumerate(paths(endpoint, rng, 20)):  # warm
        assert clients[i % len(clients)].get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        clients[0].get(next(paths(endpoint, rng, 1)))
    query_count = len(queries)  # now: the next request's start clears the log it reads
    work = list(paths(endpoint, rng, count))
    pid, db_before = backend_cpu()
    started = time.process_time()
    wall = time.perf_counter()
    for i, path in enumerate(work):
        response = clients[i % len(clients)].get(path)
        assert response.status_code == 200, (path, response.status_code)
    python_ms = (time.process_time() - started) * 1000 / count
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    pid_after, db_after = backend_cpu()
    assert pid == pid_after, "the database connection was replaced during the run"
    out[endpoint] = {
        "python_ms": round(python_ms, 2), "db_ms": round((db_after - db_before) * 1000 / count, 2),
        "wall_ms": round(wall_ms, 2), "queries": query_count,
    }
print(json.dumps(out))
"""


def _measure(root: Path, site_file: Path, count: int, database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": load.MEDIA_ROOT}
    env = {key: value for key, value in env.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", CHILD, str(root), str(site_file), str(count)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"measuring {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50, help="viewers (tokens) the requests rotate over")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--compare", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--db-name", default=load.DB_NAME)
    parser.add_argument("--fresh", action="store_true", help="re-seed even if the database holds the site")
    parser.add_argument("--drop", action="store_true", help="drop the site's database at the end")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not server_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/request_cpu.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    database_url = urlunsplit(urlsplit(server_url)._replace(path=f"/{args.db_name}"))
    site = load._prepare_site(server_url, database_url, args)
    site["searches"] = load.SEARCHES
    site["endpoints"] = args.endpoints.split(",")
    handle, name = tempfile.mkstemp(prefix="request-cpu-", suffix=".json")
    site_file = Path(name)
    with os.fdopen(handle, "w") as out:
        json.dump({key: site[key] for key in ("tokens", "photo_ids", "searches", "endpoints")}, out)
    load_before = os.getloadavg()[0]
    try:
        runs = {"this": _measure(ROOT, site_file, args.requests, database_url)}
        if args.compare:
            runs["compare"] = _measure(args.compare.resolve(), site_file, args.requests, database_url)
    finally:
        site_file.unlink()
        _revoke_tokens(database_url, site["tokens"])
        if args.drop:
            with load._admin(server_url) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {args.db_name}")
    print(f"\nCPU ms per request ({args.requests} each; python = the Django process, db = its PostgreSQL backend)")
    header = f"{'endpoint':<10} {'python':>7} {'db':>6} {'total':>7} {'queries':>7}"
    if args.compare:
        header += f"   | {args.compare}: {'python':>6} {'db':>6} {'total':>7} {'queries':>7}  ratio"
    print(header)
    result = {"requests": args.requests, "photos": args.photos, "users": args.users, "endpoints": {}}
    for endpoint in site["endpoints"]:
        this = runs["this"][endpoint]
        total = this["python_ms"] + this["db_ms"]
        line = f"{endpoint:<10} {this['python_ms']:>7.2f} {this['db_ms']:>6.2f} {total:>7.2f} {this['queries']:>7}"
        entry = {**this, "total_ms": round(total, 2)}
        if args.compare:
            other = runs["compare"][endpoint]
            other_total = other["python_ms"] + other["db_ms"]
            ratio = other_total / total if total else float("inf")
            line += (
                f"   | {' ' * len(str(args.compare))}  {other['python_ms']:>6.2f} {other['db_ms']:>6.2f} "
                f"{other_total:>7.2f} {other['queries']:>7}  {ratio:.2f}x"
            )
            entry["compare"] = {**other, "total_ms": round(other_total, 2)}
            entry["compare_over_this"] = round(ratio, 2)
        result["endpoints"][endpoint] = entry
        print(line)
    result["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(f"load average {result['load_avg']}")
    print(json.dumps(result))


def _revoke_tokens(database_url: str, tokens: list[str]) -> None:
    """Delete the tokens load._prepare_site made for this run (knox keys: the first 8 characters)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("DELETE FROM knox_authtoken WHERE token_key = ANY(%s)", [[token[:8] for token in tokens]])


if __name__ == "__main__":
    main()
