#!/usr/bin/env python
"""Load benchmark: nginx and gunicorn on loopback serving a seeded site to concurrent API clients.

Seeds a synthetic site (``manage.py seed``) into its own PostgreSQL database, builds Explore's item
model, starts gunicorn with the production settings on 127.0.0.1 only behind Debian's nginx with the
project's config (socialsite/nginx.conf.template: media checked by Django, sent by nginx), and lets ``--clients``
signed-in clients (threads, each with its own keep-alive connection and token) browse for
``--duration`` seconds: the feed, a photo, a search and Explore, in random order, each client
pausing a random think time (mean ``--think`` seconds) between requests as people do. Prints
requests per second, p50/p95/p99 overall and per endpoint, and errors; the floor is zero 5xx and
zero failed requests, and an overall p95 of at most 100 ms.

    .venv/bin/python bench/load.py [--users 1000] [--photos 20000] [--duration 60] [--clients 50]
                                   [--think 1.0] [--workers 3] [--fresh] [--drop]
    .venv/bin/python bench/load.py --saturate [--connections 1,2,4,8,16,32] [--step-seconds 20]

``--saturate`` finds the highest request rate the server keeps at p95 <= 100 ms: Debian's ``wrk`` (C,
one thread, ``bench/load.lua``) sends the same mix with the clients' tokens over 1, 2, 4, ...
keep-alive connections with no think time, a step each; the rate of the busiest step whose p95 holds
is ``saturated_rps``. wrk's own CPU is measured and printed: it leaves the cores to the server. Each grid
page of the mix (feed, search, Explore) is followed by ``--thumbnails`` (24: the page) thumbnail requests
with the same token, through nginx's X-Accel-Redirect check; ``saturated_api_rps`` is the API's part.
``--profile N`` samples the gunicorn workers with py-spy during an extra step at N connections and
prints where their time goes (top frames of this project, Django, DRF and the database driver).

Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/) with the database
``socialsite_load`` (``--db-name``), which it creates, reuses while it holds the requested site, and drops with
--drop. REDIS_URL, when set, is the cache of the served site. The last line is one JSON object.
"""

import argparse
import atexit
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "socialsite_load"
FLOOR_P95_MS = 100.0
FLOOR_SATURATED_RPS = 270.0  # three times the 90 requests/s measured before the performance work
SEARCHES = ["dog", "cat", "beach", "coffee", "flower", "animal", "food", "vehicle", "tabby", "dog beach", "qwzxv"]
ENDPOINTS = ("feed", "photo", "search", "explore")
GRIDS = ("feed", "search", "explore")  # pages of thumbnails
MEDIA_INTERNAL = "/_protected_media/"
MEDIA_ROOT = tempfile.mkdtemp(prefix="load-bench-media-")
# Removed however the run ends (--saturate, bench/request_cpu.py importing this module, an error).
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)


def _admin(server_url: str):
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(server_url)._replace(path="/postgres")), autocommit=True)


def _site_in(database_url: str) -> tuple[int, int] | None:
    """Return (photos, users) of the site in the database, or None when there is no migrated site."""
    import psycopg

    try:
        with psycopg.connect(database_url) as db:
            return db.execute(
                "SELECT (SELECT count(*) FROM photos_photo), (SELECT count(*) FROM photos_user)"
            ).fetchone()
    except psycopg.Error:
        return None


def _prepare_site(server_url: str, database_url: str, args: argparse.Namespace) -> dict:
    """Create, migrate and seed the database unless it holds this site; return what the clients need."""
    reuse = not args.fresh and _site_in(database_url) == (args.photos, args.users)
    if not reuse:
        with _admin(server_url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {args.db_name}")
            admin.execute(f"CREATE DATABASE {args.db_name}")
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = MEDIA_ROOT  # the seeded site's few shared JPEGs
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialsite.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from knox.models import AuthToken

    from photos.explore.item_model import item_model_rebuild
    from photos.management.commands.seed import ANCHOR, shared_images
    from photos.models import Photo, User

    call_command("migrate", verbosity=0)
    shared_images()  # the files every seeded photo points at, in this run's MEDIA_ROOT
    seconds = None
    if not reuse:
        started = time.perf_counter()
        call_command(
            "seed", users=args.users, photos=args.photos, follows=args.users * 10, views=args.photos * 2, verbosity=0
        )
        # The seeded history ends at ANCHOR: build Explore as the beat task would the day after.
        item_model_rebuild(now=ANCHOR + timedelta(days=1))
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # The clients: the public accounts that follow the most people (the busiest feeds).
    people = list(
        User.objects.filter(is_private=False)
        .annotate(n=Count("following_set", filter=Q(following_set__status="accepted")))
        .order_by("-n", "pk")[: args.clients]
    )
    tokens = [AuthToken.objects.create(user=person)[1] for person in people]
    photos = list(
        Photo.objects.filter(visibility="public", owner__is_private=False, is_hidden=False)
        .order_by("?")
        .values_list("pk", "thumbnail")[:2000]
    )
    connection.close()
    return {
        "tokens": tokens,
        "photo_ids": [pk for pk, _ in photos],
        "thumbnails": [thumbnail for _, thumbnail in photos],
        "seed_s": seconds,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_gunicorn(port: int, workers: int, database_url: str) -> subprocess.Popen:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "socialsite.settings",  # production settings: DEBUG off
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": MEDIA_ROOT,
        "LOG_LEVEL": "WARNING",
        # Behind nginx, as in docker-compose.yml: media are checked here and sent by nginx.
        "MEDIA_ACCEL_REDIRECT": MEDIA_INTERNAL,
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        "python:socialsite.gunicorn",
        "socialsite.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--preload",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _start_nginx(port: int, web_port: int, workdir: Path) -> subprocess.Popen:
    """Start Debian's nginx with the project's server block (socialsite/nginx.conf.template) in front of gunicorn."""
    sys.path.insert(0, str(ROOT))
    from tests.compose import nginx_argv  # renders the template as the nginx image does

    env = {
        "NGINX_PORT": f"127.0.0.1:{port}",
        "WEB_UPSTREAM": f"127.0.0.1:{web_port}",
        "STATIC_DIR": str(workdir / "static"),
        "MEDIA_DIR": MEDIA_ROOT,
        "MEDIA_INTERNAL": MEDIA_INTERNAL,
        "NGINX_MAX_BODY": "30m",
    }
    return subprocess.Popen(nginx_argv(env, workdir), stdout=subprocess.DEVNULL)  # noqa: S603


def _wait_ready(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(f"{base}/api/v1/tags/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer in time")


class Recorder:
    """Latencies and outcomes from every client thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.failures: Counter = Counter()

    def add(self, endpoint: str, ms: float, status: int | None, failure: str | None = None) -> None:
        with self.lock:
            if failure:
                self.failures[failure] += 1
                return
            self.ms[endpoint].append(ms)
            self.statuses[status] += 1


def _client(base: str, token: str, site: dict, seed: int, until: float, think: float, recorder: Recorder) -> None:
    import requests

    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    time.sleep(rng.uniform(0, 2 * think))  # people arrive one by one, not all in the same millisecond
    while time.monotonic() < until:
        endpoint = rng.choice(ENDPOINTS)
        url, params = {
            "feed": (f"{base}/api/v1/feed/", None),
            "photo": (f"{base}/api/v1/photos/{rng.choice(site['photo_ids'])}/", None),
            "search": (f"{base}/api/v1/search/", {"q": rng.choice(SEARCHES)}),
            "explore": (f"{base}/api/v1/recommendations/", None),
        }[endpoint]
        started = time.perf_counter()
        try:
            response = session.get(url, params=params, timeout=10)
            response.content  # noqa: B018 - read the whole body, as a client would
        except requests.RequestException as error:
            recorder.add(endpoint, 0.0, None, failure=type(error).__name__)
        else:
            recorder.add(endpoint, (time.perf_counter() - started) * 1000, response.status_code)
        time.sleep(rng.uniform(0, 2 * think))


def _mix_file(site: dict, thumbnails: int, count: int = 20_000, seed: int = 7) -> Path:
    """Write ``count`` API requests of the same mix as the think-time clients, one per line, for bench/load.lua.

    Each grid page (feed, search, Explore) is followed by ``thumbnails`` thumbnail requests with the same
    token, as a browser showing the page makes them: to nginx, which asks Django's media check first.
    """
    from urllib.parse import quote_plus

    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        endpoint = rng.choice(ENDPOINTS)
        token = rng.choice(site["tokens"])
        path = {
            "feed": "/api/v1/feed/",
            "photo": f"/api/v1/photos/{rng.choice(site['photo_ids'])}/",
            "search": f"/api/v1/search/?q={quote_plus(rng.choice(SEARCHES))}",
            "explore": "/api/v1/recommendations/",
        }[endpoint]
        lines.append(f"{endpoint} {token} {path}")
        if endpoint in GRIDS:
            lines += [f"thumbnail {token} /media/{rng.choice(site['thumbnails'])}" for _ in range(thumbnails)]
    handle, name = tempfile.mkstemp(prefix="load-bench-mix-", suffix=".txt")
    with os.fdopen(handle, "w") as out:
        out.write("\n".join(lines) + "\n")
    return Path(name)


def _wrk_step(base: str, mix: Path, connections: int, seconds: float) -> dict:
    """Run wrk for one step; return its JSON line plus requests/s and the CPU wrk itself used."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(  # noqa: S603 - Debian's wrk on loopback
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:.0f}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "load.lua"),
            base,
        ],
        env={**os.environ, "LOAD_REQUESTS": str(mix)},
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    step = json.loads(done.stdout.strip().splitlines()[-1])
    step["connections"] = connections
    step["rps"] = round(step["requests"] / step["duration_s"], 1)
    step["errors"] = sum(
        step[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts", "non_2xx_3xx")
    )
    wrk_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    step["wrk_cpu_pct"] = round(100 * wrk_cpu / step["duration_s"], 1)
    return step


def _profile(base: str, mix: Path, connections: int, seconds: float, server: subprocess.Popen) -> None:
    """Sample every gunicorn worker with py-spy during a step and print the heaviest frames, inclusive and self."""
    out = Path(tempfile.mkstemp(prefix="load-bench-profile-", suffix=".txt")[1])
    spy = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(server.pid),
            "--subprocesses",
            "--rate",
            "200",
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    step = _wrk_step(base, mix, connections, seconds)
    spy.wait(timeout=seconds + 60)
    inclusive, own, total = Counter(), Counter(), 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if "(" in frame]
        if not frames:
            continue
        total += int(count)
        own[_frame_name(frames[-1])] += int(count)
        for name in {_frame_name(frame) for frame in frames}:
            inclusive[name] += int(count)
    out.unlink()
    print(f"\nprofile at {connections} connections: {step['rps']} requests/s, {total} samples of the workers")
    print("inclusive  self   frame")
    for name, count in inclusive.most_common(40):
        if any(part in name for part in ("photos/", "socialsite/", "rest_framework/", "django/", "knox/", "psycopg/")):
            print(f"{100 * count / total:>8.1f}% {100 * own[name] / total:>5.1f}%  {name}")
    print("top self time:")
    for name, count in own.most_common(15):
        print(f"{100 * count / total:>8.1f}%  {name}")
    print("this project's frames (inclusive):")
    ours = [(name, count) for name, count in inclusive.most_common() if name.split("(")[-1].startswith("photos/")]
    for name, count in ours[:25]:
        print(f"{100 * count / total:>8.1f}%  {name}")


def _frame_name(frame: str) -> str:
    """``function (path/module.py:line)`` -> ``function (package/module.py)``: one name per function."""
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    short = path.split("site-packages/")[-1].split("/work/main/")[-1]
    return f"{function} ({short.removeprefix(str(ROOT) + '/')})"


def _saturate(base: str, site: dict, args: argparse.Namespace, server: subprocess.Popen) -> dict:
    mix = _mix_file(site, args.thumbnails)
    kinds = Counter(line.split(" ", 1)[0] for line in mix.read_text().splitlines())
    api_share = sum(kinds[endpoint] for endpoint in ENDPOINTS) / sum(kinds.values())
    steps = []
    try:
        if args.profile:
            _profile(base, mix, args.profile, args.step_seconds, server)
        for connections in args.connections:
            _wrk_step(base, mix, connections, 3)  # warm: connections, caches, code paths
            load_before = os.getloadavg()[0]
            step = _wrk_step(base, mix, connections, args.step_seconds)
            step["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            step["api_rps"] = round(step["rps"] * api_share, 1)
            steps.append(step)
            print(
                f"{connections:>3} connections: {step['rps']:>7.1f} requests/s ({step['api_rps']:.1f} API)  "
                f"p50 {step['p50_ms']:>6.1f}  "
                f"p95 {step['p95_ms']:>6.1f}  p99 {step['p99_ms']:>6.1f} ms  errors {step['errors']}  "
                f"wrk CPU {step['wrk_cpu_pct']}%  load {step['load_avg']}",
                flush=True,
            )
            if step["p95_ms"] > 2 * FLOOR_P95_MS:
                break  # past saturation: more connections only queue
    finally:
        mix.unlink()
    holding = [step for step in steps if step["p95_ms"] <= FLOOR_P95_MS and step["errors"] == 0]
    best = max(holding, key=lambda step: step["rps"]) if holding else None
    return {
        "mode": "saturate",
        "photos": args.photos,
        "users": args.users,
        "workers": args.workers,
        "saturated_rps": best["rps"] if best else 0.0,
        # The API requests among them (the rest are thumbnails, --thumbnails per grid page).
        "saturated_api_rps": best["api_rps"] if best else 0.0,
        "thumbnails_per_grid_page": args.thumbnails,
        "api_share": round(api_share, 3),
        "saturated_p95_ms": best["p95_ms"] if best else None,
        "saturated_connections": best["connections"] if best else None,
        "floor_rps": FLOOR_SATURATED_RPS,
        "meets_floor": bool(best) and best["rps"] >= FLOOR_SATURATED_RPS,
        "steps": [
            {
                key: step[key]
                for key in ("connections", "rps", "api_rps", "p50_ms", "p95_ms", "p99_ms", "errors", "wrk_cpu_pct")
            }
            for step in steps
        ],
        "cpus": os.cpu_count(),
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of measured load")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a client's requests (s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--fresh", action="store_true", help="re-seed even if the database holds the site")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    parser.add_argument("--saturate", action="store_true", help="wrk, no think time: the highest rate at p95 <= 100 ms")
    parser.add_argument(
        "--connections",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[1, 2, 4, 8, 16, 32],
        help="wrk keep-alive connections per step (--saturate)",
    )
    parser.add_argument("--step-seconds", type=float, default=20.0, help="measured seconds per step (--saturate)")
    parser.add_argument("--profile", type=int, metavar="N", help="py-spy the workers at N connections first")
    parser.add_argument("--db-name", default=DB_NAME, help="the benchmark's database (created, reused, dropped)")
    parser.add_argument(
        "--thumbnails",
        type=int,
        default=24,
        help="thumbnails fetched after each grid page in --saturate's mix (24: a whole page; 0: the API alone)",
    )
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not server_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/load.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    database_url = urlunsplit(urlsplit(server_url)._replace(path=f"/{args.db_name}"))

    site = _prepare_site(server_url, database_url, args)
    seeded = f"seeded in {site['seed_s']:.0f} s" if site["seed_s"] else "reused"
    print(f"site: {args.photos} photos, {args.users} users ({seeded}); {len(site['tokens'])} clients")
    port, front_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{front_port}"
    server = _start_gunicorn(port, args.workers, database_url)
    nginx_dir = Path(tempfile.mkdtemp(prefix="load-bench-nginx-"))
    front = _start_nginx(front_port, port, nginx_dir)
    try:
        _wait_ready(base, server)
        if args.saturate:
            result = _saturate(base, site, args, server)
            best = result["saturated_rps"]
            print(
                f"\nsaturated: {best:.1f} requests/s at p95 {result['saturated_p95_ms']} ms "
                f"({'meets' if result['meets_floor'] else 'MISSES'} the floor of {FLOOR_SATURATED_RPS:.0f} requests/s "
                f"at p95 <= {FLOOR_P95_MS:.0f} ms); the API's part {result['saturated_api_rps']:.1f} requests/s, "
                f"the rest thumbnails ({args.thumbnails} per grid page; --thumbnails 0 for the API alone)"
            )
            print(json.dumps(result))
            return
        warm = Recorder()  # a few requests per client: connections, caches, code paths
        for i, token in enumerate(site["tokens"]):
            _client(base, token, site, 10_000 + i, time.monotonic() + 0.05, 0.0, warm)
        recorder = Recorder()
        load_before = os.getloadavg()[0]
        until = time.monotonic() + args.duration
        threads = [
            threading.Thread(target=_client, args=(base, token, site, i, until, args.think, recorder))
            for i, token in enumerate(site["tokens"])
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        front.send_signal(signal.SIGQUIT)  # nginx: graceful stop
        front.wait(timeout=30)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)
        shutil.rmtree(nginx_dir, ignore_errors=True)
        if args.drop:
            with _admin(server_url) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {args.db_name}")

    every = [ms for values in recorder.ms.values() for ms in values]
    total = len(every) + sum(recorder.failures.values())
    server_errors = sum(count for status, count in recorder.statuses.items() if status >= 500)
    not_ok = sum(count for status, count in recorder.statuses.items() if status != 200)
    print(f"\n{'endpoint':<9} {'requests':>8} {'p50':>7} {'p95':>7} {'p99':>7}  (ms)")
    for endpoint in ENDPOINTS:
        values = recorder.ms[endpoint]
        print(
            f"{endpoint:<9} {len(values):>8} {statistics.median(values) if values else 0:>7.1f} "
            f"{_percentile(values, 95):>7.1f} {_percentile(values, 99):>7.1f}"
        )
    p95 = _percentile(every, 95)
    meets = server_errors == 0 and not recorder.failures and p95 <= FLOOR_P95_MS
    print(
        f"\n{total / elapsed:.1f} requests/s over {elapsed:.0f} s from {args.clients} clients; statuses "
        f"{dict(recorder.statuses)}, failed requests {dict(recorder.failures)}; p95 {p95:.1f} ms "
        f"{'meets' if meets else 'MISSES'} the floor (no 5xx, no failures, p95 <= {FLOOR_P95_MS:.0f} ms)"
    )
    result = {
        "photos": args.photos,
        "users": args.users,
        "clients": args.clients,
        "think_s": args.think,
        "workers": args.workers,
        "duration_s": round(elapsed, 1),
        "requests": total,
        "rps": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(every), 1) if every else None,
        "p95_ms": round(p95, 1),
        "p99_ms": round(_percentile(every, 99), 1),
        "server_errors": server_errors,
        "non_200": not_ok,
        "failed_requests": sum(recorder.failures.values()),
        **{f"{endpoint}_p95_ms": round(_percentile(recorder.ms[endpoint], 95), 1) for endpoint in ENDPOINTS},
        "floor_p95_ms": FLOOR_P95_MS,
        "meets_floor": meets,
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
