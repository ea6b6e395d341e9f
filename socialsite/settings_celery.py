"""Celery's settings (read into socialsite.settings): the broker, how tasks are run, their queues and beat.

Read from the environment like the rest of the settings (see README for the variables).
"""

from datetime import timedelta
from pathlib import Path

import environ

env = environ.Env()
VAR_DIR = Path(__file__).resolve().parent.parent / "var"
REDIS_URL = env.str("REDIS_URL", default="")

# Celery: Redis when configured, otherwise kombu's filesystem transport so that
# `make run` has a real worker process with no server to install.
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(VAR_DIR / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the longest task, so an unacked task is redelivered only when its worker died.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Grad-CAM explanations are slow (TensorFlow) and asked for on demand: their own queue keeps
# them from delaying the tagging of new uploads. Every worker command consumes both queues.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Data exports are on demand and long too: they wait there rather than in front of new uploads.
CELERY_TASK_ROUTES = {
    "recognition.tasks.explain_photo": {"queue": "explain"},
    "photos.tasks.build_data_export": {"queue": "explain"},
    # Training a learned tag takes seconds of CPU: never in front of new uploads.
    "photos.learned.tasks.train_learned_tag": {"queue": "explain"},
}
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-pending-photos": {
        "task": "recognition.tasks.requeue_stale_photos",
        "schedule": timedelta(seconds=env.int("RECOGNITION_SWEEP_SECONDS", default=300)),
    },
    "rebuild-item-model": {
        "task": "photos.tasks.rebuild_item_model",
        "schedule": timedelta(minutes=30),
    },
    # Explore reacts within a minute: the neighbours of photos touched since the last run (photos.explore.refresh).
    "refresh-item-model": {
        "task": "photos.tasks.refresh_item_model",
        "schedule": timedelta(seconds=min(env.int("EXPLORE_REFRESH_SECONDS", default=30), 60)),
    },
    "delete-expired-data-exports": {
        "task": "photos.tasks.delete_expired_data_exports",
        "schedule": timedelta(hours=1),
    },
    # The similar-photos index, rebuilt from the embeddings in the database (photos/similar/).
    "rebuild-similar-index": {
        "task": "photos.tasks.rebuild_similar_index",
        "schedule": timedelta(seconds=env.int("SIMILAR_INDEX_REBUILD_SECONDS", default=600)),
    },
    "collect-orphaned-media": {
        "task": "photos.tasks.collect_orphaned_media",
        "schedule": timedelta(days=1),
    },
}

# What socialsite.settings takes from here: the Celery settings, not this module's own helpers.
__all__ = ["BROKER_DIR", *(name for name in dir() if name.startswith("CELERY_"))]
