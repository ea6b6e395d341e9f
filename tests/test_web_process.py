"""The web process never imports TensorFlow: it would cost seconds and hundreds of MB per web worker."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys, django
django.setup()
from django.urls import get_resolver
import recognition.tasks, photos.services, photos.apis.urls, photos.views.social  # the upload and tagging entry points

def walk(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            walk(pattern.url_patterns)
        else:
            pattern.callback  # imports every view module

walk(get_resolver().url_patterns)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {"tensorflow", "keras"})
print(loaded[:5])
sys.exit(1 if loaded else 0)
"""


def test_web_process_does_not_import_tensorflow():
    env = {"DJANGO_SETTINGS_MODULE": "socialsite.test_settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
