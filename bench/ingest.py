#!/usr/bin/env python
"""Benchmark ingest end to end: 12 MP JPEGs posted to gunicorn, processed by a Celery worker, tagged.

For each code path, in the same run: a fresh PostgreSQL database, gunicorn with one worker on
127.0.0.1 (production settings) and one Celery worker (``--concurrency``, default 2 processes)
on Redis. It posts ``--photos`` grainy 12 MP JPEGs (bench/tagging.py's) through the API with
``--clients`` concurrent clients and waits until all are tagged, then posts ``--lone`` photos one
at a time to a warm worker, each waited for. It prints the upload request's server time (from
gunicorn's access log, p50/p95), upload->tagged time (p50/p95), end-to-end photos/s, and the CPU
of web and worker together per photo (from /proc), plus where the worker's time goes.

The baseline is today's path (the web request normalises the upload, the worker decodes the
stored copy again): the code of the commit before photos/processing/ existed, exported with
``git archive`` into a temp folder (``--baseline-ref`` to pick another, ``--no-baseline`` to skip).

    .venv/bin/python bench/ingest.py [--photos 60] [--lone 10] [--clients 2] [--keep]

DATABASE_URL names the PostgreSQL server (databases bench_ingest and bench_ingest_baseline, or
``--db-prefix``, are created and dropped); REDIS_URL the broker (default redis://127.0.0.1:6379/14; it is flushed).
Everything it creates (databases, temp media, the exported baseline) is removed unless --keep.
The last line is one JSON object.
"""

import argparse
import json
import os
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tagging import SAMPLES, make_12mp_jpeg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FLOOR_UPLOAD_P95_MS = 60.0
FLOOR_PHOTOS_PER_S = 20.0
FLOOR_TAGGED_P50_S = 1.0
UPLOAD_PATH = "/api/v1/photos/"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_cpu_seconds(pgid: int) -> float:
    """Return the user+system CPU of every live process in the process group ``pgid``."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


class Site:
    """One code path's database, gunicorn and Celery worker; stopped and dropped on exit."""

    def __init__(self, *, name: str, code: Path, server_url: str, redis_url: str, args, workdir: Path) -> None:
        self.name, self.code, self.args = name, code, args
        self.db_name = f"{args.db_prefix}{'' if name == 'new' else '_' + name}"
        self.server_url = server_url
        self.database_url = urlunsplit(urlsplit(server_url)._replace(path=f"/{self.db_name}"))
        self.redis_url = redis_url
        self.dir = workdir / name
        self.access_log = self.dir / "access.log"
        self.processes: list[subprocess.Popen] = []

    def env(self) -> dict:
        return {
            **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "socialsite.settings",  # production settings: DEBUG off
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "MEDIA_ROOT": str(self.dir / "media"),
            "ORIGINALS_ROOT": str(self.dir / "originals"),
            "RECOGNITION_CACHE_DIR": str(ROOT / "var" / "cache" / "recognition"),
            "RECOGNITION_NUM_THREADS": "1",  # one per worker process: --concurrency processes share the cores
            "RECOGNITION_DECODE_THREADS": "1",
            "THROTTLE_UPLOAD": "1000000/hour",
            "LOG_LEVEL": "WARNING",
        }

    def _admin(self):
        import psycopg

        return psycopg.connect(urlunsplit(urlsplit(self.server_url)._replace(path="/postgres")), autocommit=True)

    def start(self) -> str:
        """Create and migrate the database, start gunicorn and the worker; return an API token."""
        import redis

        self.dir.mkdir(parents=True)
        with self._admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.db_name}")
            admin.execute(f"CREATE DATABASE {self.db_name}")
        redis.Redis.from_url(self.redis_url).flushdb()
        python, env = sys.executable, self.env()
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=self.code, env=env, check=True)
        make_token = (
            "from knox.models import AuthToken; from photos.models import User; "
            "print(AuthToken.objects.create(user=User.objects.create_user('bench', password='x' * 20))[1])"
        )
        token = (
            subprocess.run(
                [python, "manage.py", "shell", "-c", make_token],
                cwd=self.code,
                env=env,
                check=True,
                capture_output=True,
            )
            .stdout.decode()
            .split()[-1]
        )
        self.port = _free_port()
        gunicorn = [str(Path(python).parent / "gunicorn"), "--config", "python:socialsite.gunicorn"]
        gunicorn += ["socialsite.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"]
        gunicorn += ["--access-logfile", str(self.access_log), "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"]
        celery = [python, "-m", "celery", "-A", "socialsite", "worker", "--queues=celery,explain"]
        celery += [f"--concurrency={self.args.concurrency}", "--loglevel=WARNING"]
        celery += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        for command, log in ((gunicorn, "web.log"), (celery, "worker.log")):
            out = open(self.dir / log, "wb")  # noqa: SIM115 - lives as long as the process
            self.processes.append(
                subprocess.Popen(
                    command, cwd=self.code, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        self._wait_ready()
        return token

    def _wait_ready(self) -> None:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/api/v1/tags/", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.3)
        sys.exit(f"{self.name}: gunicorn did not answer; see {self.dir / 'web.log'}")

    def cpu_seconds(self) -> tuple[float, float]:
        """Return the CPU seconds used so far by (web, worker)."""
        return tuple(_group_cpu_seconds(process.pid) for process in self.processes)

    def stop(self, *, keep: bool) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if not keep:
            with self._admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")


def _tagged_count(db) -> int:
    return db.execute("SELECT count(*) FROM photos_photo WHERE status = 'tagged'").fetchone()[0]


def _wait_tagged(db, count: int, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _tagged_count(db) >= count:
            return time.monotonic()
        time.sleep(0.005)
    sys.exit(f"only {_tagged_count(db)} of {count} photos tagged after {timeout} s")


def _post(session, base: str, data: bytes, index: int) -> int:
    response = session.post(f"{base}{UPLOAD_PATH}", files={"image": (f"p{index}.jpg", data, "image/jpeg")})
    if response.status_code != 201:
        sys.exit(f"upload answered {response.status_code}: {response.text[:300]}")
    return response.json()["id"]


def _session(token: str):
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


def _client(token: str, base: str, images: list[bytes], indexes: range) -> None:
    session = _session(token)
    for i in indexes:
        _post(session, base, images[i % len(images)], i)


def _server_ms(site: Site) -> list[float]:
    """Return the server time of every successful upload, from gunicorn's access log (%(D)s is in µs)."""
    times = []
    for line in site.access_log.read_text().splitlines():
        method, path, status, micros = line.split()[-4:]
        if method == "POST" and path == UPLOAD_PATH and status == "201":
            times.append(int(micros) / 1000)
    return times


def run_site(site: Site, images: list[bytes], args) -> dict:
    import psycopg

    token = site.start()
    base = f"http://127.0.0.1:{site.port}"
    with psycopg.connect(site.database_url, autocommit=True) as db:
        session = _session(token)
        for i in range(2):  # warm-up, untimed: the worker loads its model
            _post(session, base, images[i], i)
        _wait_tagged(db, 2, timeout=300)
        warm = len(_server_ms(site))

        # Throughput: every photo posted as fast as the clients can, until all are tagged.
        cpu_before = site.cpu_seconds()
        start = time.monotonic()
        done = _tagged_count(db)
        threads = [
            threading.Thread(target=_client, args=(token, base, images, range(c, args.photos, args.clients)))
            for c in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end = _wait_tagged(db, done + args.photos)
        cpu_after = site.cpu_seconds()
        burst_ms = _server_ms(site)[warm:]

        # Latency: one photo at a time to a warm, idle worker.
        lone_s = []
        for i in range(args.lone):
            done = _tagged_count(db)
            t = time.monotonic()
            _post(session, base, images[i % len(images)], i)
            lone_s.append(_wait_tagged(db, done + 1) - t)
        lone_ms = _server_ms(site)[warm + args.photos :]
    site.stop(keep=args.keep)
    web_cpu, worker_cpu = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
    upload_ms = burst_ms + lone_ms
    return {
        "upload_p50_ms": statistics.median(upload_ms),
        "upload_p95_ms": _percentile(upload_ms, 0.95),
        "lone_upload_p95_ms": _percentile(lone_ms, 0.95),
        "tagged_p50_s": statistics.median(lone_s),
        "tagged_p95_s": _percentile(lone_s, 0.95),
        "photos_per_s": args.photos / (end - start),
        "web_cpu_ms_per_photo": web_cpu * 1000 / args.photos,
        "worker_cpu_ms_per_photo": worker_cpu * 1000 / args.photos,
        "cpu_ms_per_photo": (web_cpu + worker_cpu) * 1000 / args.photos,
    }


def worker_stages(images: list[bytes], repeat: int = 8) -> dict[str, float]:
    """Return the CPU ms per photo of the request's checks and each stage of the worker's pass (in this process)."""
    import io

    from PIL import Image, ImageOps

    sys.path.insert(0, str(ROOT))
    from photos.processing import checks, render
    from recognition import pipeline

    cache_dir = ROOT / "var" / "cache" / "recognition"
    pipeline.predict_tags([pipeline.image_input(Image.new("RGB", (300, 300)))], cache_dir=cache_dir, num_threads=1)
    stages = ("web: upload checks", "decode (DCT 1/2)", "display + thumbnail", "CNN views", "CNN predict (views)")
    totals = dict.fromkeys(stages, 0.0)
    for i in range(repeat):
        data = images[i % len(images)]
        t = time.process_time()
        checks.upload_check(io.BytesIO(data), max_bytes=len(data), max_pixels=50_000_000)
        t0 = time.process_time()
        totals["web: upload checks"] += t0 - t
        with Image.open(io.BytesIO(data)) as img:  # the decode alone, as render_original does it
            img.draft("RGB", (img.width // 2, img.height // 2))
            img.load()
            ImageOps.exif_transpose(img, in_place=True)
        t1 = time.process_time()
        rendered = render.render_original(data, max_pixels=50_000_000)
        t2 = time.process_time()
        views = pipeline.image_views(rendered.pixels)  # what the worker feeds the CNN (issue 19)
        t3 = time.process_time()
        pipeline.predict_views_and_embeddings([views], cache_dir=cache_dir, num_threads=1, batch_size=1)
        t4 = time.process_time()
        totals["decode (DCT 1/2)"] += t1 - t0
        totals["display + thumbnail"] += (t2 - t1) - (t1 - t0)
        totals["CNN views"] += t3 - t2
        totals["CNN predict (views)"] += t4 - t3
    return {stage: seconds * 1000 / repeat for stage, seconds in totals.items()}


def _baseline_code(ref: str | None, workdir: Path) -> Path:
    if ref is None:
        added = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "--", "photos/processing/checks.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        ref = f"{added[-1]}^"
    code = workdir / "baseline-code"
    code.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--photos", type=int, default=60, help="photos posted for the throughput figure")
    parser.add_argument("--baseline-photos", type=int, default=20, help="the same for today's (slower) path")
    parser.add_argument("--lone", type=int, default=10, help="photos posted one at a time for upload->tagged")
    parser.add_argument("--clients", type=int, default=2, help="concurrent uploading clients")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--baseline-ref", default=None, help="git ref of today's path (default: before this change)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases, media and logs")
    parser.add_argument("--db-prefix", default="bench_ingest", help="name of the databases created (and dropped)")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    # The machine may be shared: wall-clock figures depend on what else runs, CPU ms per photo much less.
    load_before = os.getloadavg()
    print(f"generating {len(SAMPLES) * 2} grainy 12 MP JPEGs...")
    images = [make_12mp_jpeg(SAMPLES[i % len(SAMPLES)], seed=i) for i in range(len(SAMPLES) * 2)]
    print(f"mean size {statistics.mean(map(len, images)) / 1e6:.1f} MB; work folder {workdir}")
    try:
        results = {}
        paths = [("new", ROOT, args.photos)]
        if not args.no_baseline:
            paths.append(("baseline", _baseline_code(args.baseline_ref, workdir), args.baseline_photos))
        for name, code, photos in paths:
            run_args = argparse.Namespace(**{**vars(args), "photos": photos})
            site = Site(
                name=name, code=code, server_url=server_url, redis_url=redis_url, args=run_args, workdir=workdir
            )
            try:
                results[name] = run_site(site, images, run_args)
            finally:
                site.stop(keep=args.keep)
        stages = worker_stages(images)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = [
        ("upload request p50 (server, ms)", "upload_p50_ms", "{:.1f}"),
        ("upload request p95 (server, ms)", "upload_p95_ms", "{:.1f}"),
        ("upload->tagged p50 (lone, s)", "tagged_p50_s", "{:.2f}"),
        ("upload->tagged p95 (lone, s)", "tagged_p95_s", "{:.2f}"),
        ("end to end photos/s", "photos_per_s", "{:.1f}"),
        ("CPU ms/photo: web", "web_cpu_ms_per_photo", "{:.0f}"),
        ("CPU ms/photo: worker", "worker_cpu_ms_per_photo", "{:.0f}"),
        ("CPU ms/photo: total", "cpu_ms_per_photo", "{:.0f}"),
    ]
    print(f"\n{'':34}{'new':>10}{'baseline':>10}")
    for label, key, fmt in rows:
        cells = [fmt.format(results[name][key]) if name in results else "-" for name in ("new", "baseline")]
        print(f"{label:34}{cells[0]:>10}{cells[1]:>10}")
    print("\nthe request's checks and the worker's pass, CPU ms per photo (timed in-process, 1 thread):")
    for stage, ms in stages.items():
        print(f"  {stage:<24} {ms:6.1f}")
    new = results["new"]
    floors = {
        f"upload p95 <= {FLOOR_UPLOAD_P95_MS:g} ms": new["upload_p95_ms"] <= FLOOR_UPLOAD_P95_MS,
        f"end to end >= {FLOOR_PHOTOS_PER_S:g} photos/s": new["photos_per_s"] >= FLOOR_PHOTOS_PER_S,
        f"lone upload tagged p50 <= {FLOOR_TAGGED_P50_S:g} s": new["tagged_p50_s"] <= FLOOR_TAGGED_P50_S,
    }
    for floor, met in floors.items():
        print(f"floor {floor}: {'met' if met else 'NOT MET'}")
    baseline = results.get("baseline", {})
    summary = {key: round(value, 3) for key, value in new.items()}
    summary |= {"baseline_" + key: round(value, 3) for key, value in baseline.items()}
    summary |= {"stage_cpu_ms": {stage: round(ms, 1) for stage, ms in stages.items()}, "photos": args.photos}
    summary |= {"floors_met": all(floors.values()), "concurrency": args.concurrency, "clients": args.clients}
    load = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    print(f"load average (1, 5, 15 min) before {load['before']}, after {load['after']}; {os.cpu_count()} CPUs")
    summary |= {"load_average": load}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
