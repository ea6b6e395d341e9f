"""docker-compose.yml read and run the way compose would, without a container engine (see tests/test_compose.py)."""

import contextlib
import io
import os
import re
import shlex
import shutil
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
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
# The Dockerfile's build step that collects static files; the test runs it as the image build would.
COLLECTSTATIC = "DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput"

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


NGINX_TEMPLATE = ROOT / "socialsite" / "nginx.conf.template"
_TEMPLATE_VARIABLE = re.compile(r"\$\{(\w+)\}")


def nginx_server_block(env: Mapping[str, str]) -> str:
    """Return the template filled as the nginx image's envsubst step does: only ${NAME}s set in ``env``."""
    return _TEMPLATE_VARIABLE.sub(lambda match: env.get(match[1], match[0]), NGINX_TEMPLATE.read_text())


def nginx_argv(env: Mapping[str, str], workdir: Path) -> list[str]:
    """Write the nginx image's main config around the project's server block, for Debian's nginx; return its argv.

    Like the image's /etc/nginx/nginx.conf: mime types, then conf.d (here the one rendered file); only
    the pid, logs and temp folders move into ``workdir``, which a container would have to itself.
    """
    workdir.mkdir(exist_ok=True)
    (workdir / "default.conf").write_text(nginx_server_block(env))
    user = "user root;\n" if os.geteuid() == 0 else ""  # the test's files are root's own
    temp = "\n".join(
        f"    {kind}_temp_path {workdir}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log {workdir}/access.log;\n{temp}\n    include {workdir}/default.conf;\n}}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's package (.ci/run installs it)
    return [nginx, "-e", "stderr", "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Services:
    """The app services as local processes, each in its own process group, with its log in a file."""

    def __init__(self, compose: dict, overrides: dict[str, dict[str, str]], workdir: Path):
        self.compose = compose
        self.overrides = overrides
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen] = {}
        self.one_shot: set[str] = set()  # expected to exit (migrate)
        self._log_files: list = []

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
        log = self.log(name).open("wb")
        self._log_files.append(log)
        service = self.compose["services"][name]
        # nginx runs its image's own command on the project's template: Debian's nginx stands in for it.
        argv = (
            command_argv(service, container_tmp) if "command" in service else nginx_argv(self.env(name), container_tmp)
        )
        process = subprocess.Popen(  # noqa: S603 - the project's own compose commands
            argv,
            cwd=ROOT,
            env=self.env(name),
            stdout=log,
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
        """Kill the service's whole process group (gunicorn's and celery's children too)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        for log in self._log_files:
            log.close()

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
