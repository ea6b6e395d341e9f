"""Set up Django for a benchmark: its own throwaway database and media folder."""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def django_bench_env(name: str, *, keep: bool = False) -> Iterator[Path]:
    """Configure Django with a fresh database called ``name`` and a temp MEDIA_ROOT; yield MEDIA_ROOT.

    ``keep`` reuses the database when it exists and leaves it behind afterwards (to measure again
    without seeding again); the caller says so and drops it in the end.
    """
    sys.path.insert(0, str(ROOT))
    media = Path(tempfile.mkdtemp(prefix=f"{name}-media-"))
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialsite.test_settings")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(ROOT / "var" / f"{name}.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=keep)
    try:
        yield media
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0, keepdb=keep)
        shutil.rmtree(media, ignore_errors=True)
