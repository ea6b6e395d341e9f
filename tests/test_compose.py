"""docker-compose.yml, proven without Docker: its app services' commands run here, as compose would run them.

No container engine runs on this machine, so the test reads the compose file, interpolates it the way
compose does, and starts each app service's ``command`` with that service's ``environment`` as a real
process. Only what a container would get from its own network and volumes is pointed at this machine:
the database (a throwaway PostgreSQL database), Redis, media (a temp dir), the converted-model cache
(the one the other worker tests share), the web port (a free local one) and the container's private /tmp.
Then a user registers and uploads a real photo through gunicorn, the worker tags it "cat", beat sends
its schedule, and every service's healthcheck answers (and fails once the service is gone).
"""

import fnmatch
import secrets
import subprocess

import pytest
from django.conf import settings

from tests.compose import (
    COLLECTSTATIC,
    DOCKERFILE,
    ROOT,
    InterpolationError,
    Services,
    chelsea_jpeg,
    free_port,
    interpolate,
    load_compose,
)
from tests.helpers import service_required


def test_compose_file_refuses_to_start_without_a_secret_key():
    with pytest.raises(InterpolationError, match="DJANGO_SECRET_KEY"):
        load_compose({})
    with pytest.raises(InterpolationError, match="DJANGO_SECRET_KEY"):
        load_compose({"DJANGO_SECRET_KEY": ""})


def test_interpolation_follows_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${MISSING-d} $SET $$HOSTNAME", env) == "x d  d x $HOSTNAME"
    with pytest.raises(InterpolationError):
        interpolate("${EMPTY:?no}", env)
    assert interpolate("${EMPTY?no}", env) == ""


def test_app_services_start_in_order_and_keep_their_data_in_volumes():
    compose = load_compose({"DJANGO_SECRET_KEY": "k"})
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"
        assert services[name]["image"] == services["migrate"]["image"]  # one image
        assert services[name]["healthcheck"]["test"]
    assert "media:/app/var/media" in services["web"]["volumes"]
    assert "media:/app/var/media" in services["worker"]["volumes"]
    originals = services["worker"]["environment"]["ORIGINALS_ROOT"]
    for name in ("web", "worker"):  # the web stores uploads as sent, the worker decodes them
        assert f"originals:{originals}" in services[name]["volumes"]
    cache = services["worker"]["environment"]["RECOGNITION_CACHE_DIR"]
    assert f"recognition-cache:{cache}" in services["worker"]["volumes"]
    assert "-Q celery,explain" in services["worker"]["command"]
    assert {"media", "originals", "recognition-cache", "pgdata", "static"} <= set(compose["volumes"])


def test_nginx_fronts_the_web_and_sends_media_only_where_django_points():
    services = load_compose({"DJANGO_SECRET_KEY": "k"})["services"]
    nginx, web = services["nginx"], services["web"]
    assert "ports" not in web and nginx["ports"] == ["8000:80"]  # every request passes nginx
    assert web["environment"]["MEDIA_ACCEL_REDIRECT"] == nginx["environment"]["MEDIA_INTERNAL"]
    assert web["environment"]["DJANGO_NUM_PROXIES"] == "1"
    assert nginx["environment"]["WEB_UPSTREAM"] == "web:8000"
    # nginx reads the files the app writes, and writes none of them.
    assert {"media:/srv/media:ro", "static:/srv/static:ro"} <= set(nginx["volumes"])
    assert "static:/app/var/staticfiles" in services["migrate"]["volumes"]
    assert "collectstatic" in services["migrate"]["command"]
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"


def _ignored_by_docker(name: str) -> bool:
    """Return whether a top-level entry of the build context matches .dockerignore (no `!` rules used)."""
    patterns = [line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()]
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns if pattern and not pattern.startswith("#"))


def test_image_carries_production_code_only():
    for name in (".venv", "var", ".git", "tests", "bench", "node_modules", ".pytest_cache", "requirements-dev.txt"):
        assert _ignored_by_docker(name), name
    for name in ("manage.py", "requirements.txt", "socialsite", "photos", "recognition", "templates", "static"):
        assert not _ignored_by_docker(name), name
    dockerfile = DOCKERFILE.read_text()
    assert "pip install -r /tmp/requirements.txt" in dockerfile and "requirements-dev" not in dockerfile
    assert COLLECTSTATIC in dockerfile
    final_stage = dockerfile.split("\nFROM ")[-1]
    assert "COPY --from=builder /opt/venv /opt/venv" in final_stage and "\nUSER app\n" in final_stage
    assert "HEALTHCHECK" in final_stage


def test_test_tools_stay_out_of_production_requirements():
    production = (ROOT / "requirements.txt").read_text().lower()
    development = (ROOT / "requirements-dev.txt").read_text().lower()
    assert development.splitlines()[1] == "-r requirements.txt"
    for tool in ("pytest", "factory_boy", "hypothesis", "schemathesis", "playwright", "ruff", "django-filter"):
        assert tool not in production, tool


# --- the real run -------------------------------------------------------------------------------------


@pytest.fixture
def throwaway_database():
    """Create an empty PostgreSQL database on the test server; drop it afterwards. Yield its URL."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        service_required("PostgreSQL", "set DATABASE_URL to a PostgreSQL server to run the compose test")
    import psycopg

    server = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }
    name = f"socialsite_compose_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, **server)
    except psycopg.OperationalError as error:
        service_required("PostgreSQL", str(error))
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        password = f":{server['password']}" if server["password"] else ""
        try:
            yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.compose
def test_compose_services_register_upload_and_tag_a_photo(throwaway_database, redis_broker, tmp_path):
    import requests

    compose = load_compose({"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})
    port, front = free_port(), free_port()
    local = {
        "DATABASE_URL": throwaway_database,
        "REDIS_URL": redis_broker,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ORIGINALS_ROOT": str(tmp_path / "originals"),
        "RECOGNITION_CACHE_DIR": str(settings.RECOGNITION_CACHE_DIR),
        "STATIC_ROOT": str(tmp_path / "static"),  # inside the image: collected at build time
    }
    overrides = {
        "migrate": local,
        "web": local | {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}"},
        "worker": local,
        # Beat's first sweep is due after this, instead of after five minutes.
        "beat": local | {"RECOGNITION_SWEEP_SECONDS": "2"},
        "nginx": {
            "NGINX_PORT": str(front),
            "WEB_UPSTREAM": f"127.0.0.1:{port}",
            "STATIC_DIR": local["STATIC_ROOT"],
            "MEDIA_DIR": local["MEDIA_ROOT"],
        },
    }
    services = Services(compose, overrides, tmp_path)
    build = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", COLLECTSTATIC],
        cwd=ROOT,
        env=services.env("web") | {"DJANGO_SECRET_KEY": ""},  # the build has no secret: the step sets its own
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    try:
        migrate = services.start("migrate", one_shot=True)
        assert migrate.wait(timeout=300) == 0, services.logs()

        for name in ("web", "worker", "beat"):
            services.start(name)

        services.wait_for(lambda: services.healthcheck("web").returncode == 0, timeout=90, what="web's healthcheck")
        services.start("nginx")  # after web is healthy, as its depends_on says
        services.wait_for(lambda: services.healthcheck("nginx").returncode == 0, timeout=30, what="nginx")
        base = f"http://127.0.0.1:{front}"
        stylesheet = requests.get(f"{base}/static/admin/css/base.css", timeout=30)
        assert stylesheet.status_code == 200 and stylesheet.headers["Content-Type"].startswith("text/css")
        assert stylesheet.headers["Cache-Control"] == "max-age=3600"  # nginx's answer, not WhiteNoise's
        registered = requests.post(
            f"{base}/api/v1/auth/register/",
            json={"username": "compose", "password": "correct horse battery staple"},
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
        auth = {"Authorization": f"Token {registered.json()['token']}"}
        uploaded = requests.post(
            f"{base}/api/v1/photos/",
            headers=auth,
            files={"image": ("chelsea.jpg", chelsea_jpeg(), "image/jpeg")},
            data={"caption": "Through the compose services"},
            timeout=30,
        )
        assert uploaded.status_code == 201, uploaded.text
        photo_url = f"{base}/api/v1/photos/{uploaded.json()['id']}/"

        def tagged() -> dict | None:
            body = requests.get(photo_url, headers=auth, timeout=30).json()
            assert body["status"] != "failed", body
            return body if body["status"] == "tagged" else None

        photo = services.wait_for(tagged, timeout=240, what="the worker to tag the photo")
        assert "cat" in {tag["name"] for tag in photo["tags"]}, photo["tags"]
        _media_leaves_nginx_only_past_djangos_check(base, photo, auth, tmp_path / "media")

        # Beat schedules the sweeper and a worker of the compose file runs it.
        services.wait_for(
            lambda: "Sending due task requeue-stale-pending-photos" in services.log("beat").read_text(),
            timeout=60,
            what="beat to send the sweeper",
        )
        services.wait_for(
            lambda: "recognition.tasks.requeue_stale_photos" in services.log("worker").read_text(),
            timeout=60,
            what="the worker to receive the sweeper",
        )
        for name in ("web", "worker", "beat", "nginx"):
            check = services.healthcheck(name)
            assert check.returncode == 0, f"{name}: {check.stdout}{check.stderr}\n{services.logs()}"
            assert services.processes[name].poll() is None, f"{name} died:\n{services.logs()}"

        # The healthchecks are live: they fail once their service is gone.
        for name in ("web", "beat", "nginx"):
            services.stop(name)
            assert services.healthcheck(name).returncode != 0, name
    finally:
        services.stop_all()


def _media_leaves_nginx_only_past_djangos_check(base: str, photo: dict, auth: dict, media_root) -> None:
    """Through the front server: a photo's files go to those who may see it, and no other way in exists."""
    import http.client
    from urllib.parse import urlsplit

    import requests

    name = urlsplit(photo["thumbnail"]).path.removeprefix("/media/")
    stranger = requests.Session()
    owner = requests.Session()
    owner.headers.update(auth)
    sent = owner.get(f"{base}/media/{name}", timeout=30)
    assert sent.status_code == 200 and sent.headers["Content-Type"] == "image/jpeg"
    assert sent.content == (media_root / name).read_bytes()  # nginx sent the file Django pointed at
    assert sent.headers["Cache-Control"] == "private, no-cache" and "X-Accel-Redirect" not in sent.headers
    assert stranger.get(f"{base}/media/{name}", timeout=30).status_code == 200  # public, tagged: anyone

    made_private = owner.patch(f"{base}/api/v1/photos/{photo['id']}/", json={"visibility": "private"}, timeout=30)
    assert made_private.status_code == 200, made_private.text
    last_modified = {"If-Modified-Since": sent.headers["Last-Modified"]}
    assert stranger.get(f"{base}/media/{name}", timeout=30).status_code == 404
    assert stranger.get(f"{base}/media/{name}", headers=last_modified, timeout=30).status_code == 404
    assert owner.get(f"{base}/media/{name}", timeout=30).status_code == 200
    assert owner.get(f"{base}/media/{name}", headers=last_modified, timeout=30).status_code == 304

    # The internal location answers nobody from outside, however it is spelled; nor do dot segments.
    host, port = urlsplit(base).hostname, urlsplit(base).port
    for path in (
        f"/_protected_media/{name}",
        f"/static/../_protected_media/{name}",
        f"/media/../_protected_media/{name}",
        f"/media/avatars/../{name}",
        f"/media/avatars/%2e%2e/{name}",
        f"/media/avatars/..%2f{name}",
        f"/static/%2e%2e/media/{name}",
    ):
        for headers in ({}, auth):
            connection = http.client.HTTPConnection(host, port, timeout=30)  # sends the path as written
            try:
                connection.request("GET", path, headers=headers)
                status = connection.getresponse().status
            finally:
                connection.close()
            assert status == 404, (path, headers, status)
