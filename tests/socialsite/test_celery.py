"""The Celery app's process set-up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NICE_IN_A_WORKER_PROCESS = """
import os, django
django.setup()
from socialsite.celery import _yield_the_cpu_to_the_site
before = os.nice(0)
_yield_the_cpu_to_the_site()
print(before, os.nice(0))
"""


def test_worker_processes_yield_the_cpu_to_the_site():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "socialsite.test_settings", "WORKER_NICENESS": "7"}
    result = subprocess.run(
        [sys.executable, "-c", NICE_IN_A_WORKER_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    before, after = map(int, result.stdout.split()[-2:])
    assert after == min(before + 7, 19)
