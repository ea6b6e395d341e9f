"""The Celery app: configured from Django settings under the ``CELERY_`` namespace."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialsite.settings")

app = Celery("socialsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _yield_the_cpu_to_the_site(**kwargs) -> None:
    """Lower each worker process's CPU priority: on a shared machine, decoding waits and requests do not."""
    from django.conf import settings

    if settings.WORKER_NICENESS:
        os.nice(settings.WORKER_NICENESS)
