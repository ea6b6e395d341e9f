"""gunicorn settings: ``gunicorn -c python:socialsite.gunicorn socialsite.wsgi:application``."""

import gc
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
preload_app = True
# GUNICORN_ACCESSLOG="" turns the access log off (behind nginx, nginx logs the requests).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None


def pre_fork(server, worker) -> None:
    # Django's start-up objects live as long as the process: moved out of the collector's
    # reach, they cost no full collections (the p99 spikes) and their pages stay shared.
    gc.freeze()
