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
import io
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from PIL import Image

from tests.conftest import service_required

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
# The Dockerfile's build step that collects static files; the test runs it as the image build would.
COLLECTSTATIC = "DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput"
APP_SERVICES = ("migrate", "web", "worker", "beat")

# $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME
_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>\w+))")


class InterpolationError(ValueError):
    pass


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Return ``value`` (a loaded compose document or part of it) with variables substituted as compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"]
        # With a colon, an empty value counts as unset; without, only a missing one does.
        unset = not env.get(name) if op and op.startswith(":") else name not in env
        if op and op.endswith("?") and unset:
            raise InterpolationError(f"required variable {name} is missing a value: {arg}")
        if op and op.endswith("-") and unset:
            return arg
        return env.get(name, "")

    return _VARIABLE.sub(substitute, value)


def load_compose(env: Mapping[str, str]) -> dict:
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), env)


def healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD":
        return test[1:]
    assert test[0] == "CMD-SHELL", test
    return ["/bin/sh", "-c", test[1]]


def command_argv(service: dict, container_tmp: Path) -> list[str]:
    command = service["command"]
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    # A container's /tmp is its own: give each service a private one here too.
    return [arg.replace("/tmp/", f"{container_tmp}/") for arg in argv]


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
    cache = services["worker"]["environment"]["RECOGNITION_CACHE_DIR"]
    assert f"recognition-cache:{cache}" in services["worker"]["volumes"]
    assert "-Q celery,explain" in services["worker"]["command"]
    assert {"media", "recognition-cache", "pgdata"} <= set(compose["volumes"])


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class Services:
    """The app services as local processes, each in its own process group, with its log in a file."""

    def __init__(self, compose: dict, overrides: dict[str, dict[str, str]], workdir: Path):
        self.compose = compose
        self.overrides = overrides
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen] = {}
        self.one_shot: set[str] = set()  # expected to exit (migrate)

    def env(self, name: str) -> dict[str, str]:
        service = self.compose["services"][name]
        environment = service["environment"]
        assert isinstance(environment, dict), "the test reads the mapping form of `environment`"
        venv_bin = str(Path(sys.executable).parent)  # the image puts its venv first on PATH
        base = {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "HOSTNAME": socket.gethostname(),  # Docker sets it to the container's host name
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "socialsite.settings",  # the Dockerfile's ENV
        }
        return base | {key: str(value) for key, value in environment.items()} | self.overrides[name]

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, name: str, *, one_shot: bool = False) -> subprocess.Popen:
        container_tmp = self.workdir / f"{name}-tmp"
        container_tmp.mkdir(exist_ok=True)
        process = subprocess.Popen(  # noqa: S603 - the project's own compose commands
            command_argv(self.compose["services"][name], container_tmp),
            cwd=ROOT,
            env=self.env(name),
            stdout=self.log(name).open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        if one_shot:
            self.one_shot.add(name)
        return process

    def healthcheck(self, name: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            healthcheck_argv(self.compose["services"][name]),
            cwd=ROOT,
            env=self.env(name),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{self.log(name).read_text(errors='replace')[-4000:]}" for name in self.processes
        )

    def wait_for(self, predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if name not in self.one_shot and process.poll() is not None:
                    pytest.fail(f"{name} exited ({process.returncode}) while waiting for {what}:\n{self.logs()}")
            value = predicate()
            if value:
                return value
            time.sleep(0.5)
        pytest.fail(f"timed out after {timeout}s waiting for {what}:\n{self.logs()}")


def chelsea_jpeg() -> bytes:
    """Return scikit-image's bundled photo of a cat, as a JPEG."""
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.compose
def test_compose_services_register_upload_and_tag_a_photo(throwaway_database, redis_broker, tmp_path):
    import requests

    compose = load_compose({"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})
    port = _free_port()
    local = {
        "DATABASE_URL": throwaway_database,
        "REDIS_URL": redis_broker,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "RECOGNITION_CACHE_DIR": str(settings.RECOGNITION_CACHE_DIR),
        "STATIC_ROOT": str(tmp_path / "static"),  # inside the image: collected at build time
    }
    overrides = {
        "migrate": local,
        "web": local | {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}"},
        "worker": local,
        # Beat's first sweep is due after this, instead of after five minutes.
        "beat": local | {"RECOGNITION_SWEEP_SECONDS": "2"},
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
        base = f"http://127.0.0.1:{port}"
        stylesheet = requests.get(f"{base}/static/admin/css/base.css", timeout=30)  # static without nginx
        assert stylesheet.status_code == 200 and stylesheet.headers["Content-Type"].startswith("text/css")
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
        for name in ("web", "worker", "beat"):
            check = services.healthcheck(name)
            assert check.returncode == 0, f"{name}: {check.stdout}{check.stderr}\n{services.logs()}"
            assert services.processes[name].poll() is None, f"{name} died:\n{services.logs()}"

        # The healthchecks are live: they fail once their service is gone.
        for name in ("web", "beat"):
            services.stop(name)
            assert services.healthcheck(name).returncode != 0, name
    finally:
        services.stop_all()
