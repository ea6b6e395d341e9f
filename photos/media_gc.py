"""Sweep stored files that no row names: what a crash, a lost on-commit delete or an old bug left.

django_cleanup deletes a file when its row goes or the file is replaced; this collects what it could
not (a process killed between commit and delete, files written for an upload that never committed).
"""

import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.core.files.storage import Storage
from django.db.models import Model
from django.utils import timezone
from tqdm import tqdm

from photos.export.models import DataExport
from photos.faces.models import PhotoFaces
from photos.models import Photo, PhotoTag, User

DEFAULT_GRACE = timedelta(hours=1)
# Candidates are checked against the database in batches: memory stays flat on any number of files,
# and a name is looked up just before its file is deleted, not once at the start of a long listing.
BATCH_SIZE = 500
# Every field that names a stored file. Only their folders are swept: nothing else in the storage
# (a shared bucket, files another program keeps there) is ever touched.
FILE_FIELDS: tuple[tuple[type[Model], str], ...] = (
    (Photo, "image"),
    (Photo, "thumbnail"),
    (Photo, "blurred_thumbnail"),
    (Photo, "original"),  # on its own storage, never served: swept there
    (PhotoTag, "explanation"),
    (User, "avatar"),
    (DataExport, "file"),  # on its own storage, never served as media: swept there
    (PhotoFaces, "unblurred_image"),  # on the originals' storage, never served: swept there
    (PhotoFaces, "unblurred_thumbnail"),
)


@dataclass
class MediaGcReport:
    scanned: int = 0
    kept_fresh: int = 0
    removed_bytes: int = 0
    dry_run: bool = False
    removed: list[str] = field(default_factory=list)


def _folders() -> list[tuple[Storage, str]]:
    """Return each (storage, folder) that file fields write to, once."""
    folders: dict[tuple[int, str], tuple[Storage, str]] = {}
    for model, name in FILE_FIELDS:
        field = model._meta.get_field(name)
        folder = field.upload_to.rstrip("/")
        folders.setdefault((id(field.storage), folder), (field.storage, folder))
    return sorted(folders.values(), key=lambda pair: pair[1])


def stored_names(storage: Storage, folder: str) -> Iterator[str]:
    """Yield the name of every file under ``folder``, walking it with ``listdir`` (local disk or S3)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a folder no upload has made yet
        return
    for name in sorted(files):
        yield posixpath.join(folder, name)
    for child in sorted(folders):
        yield from stored_names(storage, posixpath.join(folder, child))


def referenced_names(names: Iterable[str]) -> set[str]:
    """Return which of ``names`` a row still names (one indexed query per file field)."""
    names = list(names)
    found: set[str] = set()
    for model, name in FILE_FIELDS:
        found.update(model.objects.filter(**{f"{name}__in": names}).values_list(name, flat=True))
    return found


def media_gc(*, grace: timedelta = DEFAULT_GRACE, dry_run: bool = False, progress: bool = False) -> MediaGcReport:
    """Delete the stored files no row names that are older than ``grace``; return what was removed.

    The grace period spares files of uploads still being written: a file is stored before its row
    commits. ``dry_run`` reports what would be removed and deletes nothing.
    """
    cutoff = timezone.now() - grace
    report = MediaGcReport(dry_run=dry_run)
    for storage, folder in _folders():
        listing = tqdm(stored_names(storage, folder), desc=folder, unit="file", disable=not progress)
        _sweep(storage, listing, cutoff=cutoff, report=report)
    return report


def _sweep(storage: Storage, listing: Iterable[str], *, cutoff, report: MediaGcReport) -> None:
    dry_run = report.dry_run
    listing = iter(listing)
    while batch := list(islice(listing, BATCH_SIZE)):
        report.scanned += len(batch)
        candidates = []
        for name in batch:
            try:
                old = storage.get_modified_time(name) < cutoff
            except FileNotFoundError:  # deleted since it was listed
                continue
            if old:
                candidates.append(name)
            else:
                report.kept_fresh += 1
        referenced = referenced_names(candidates) if candidates else set()
        for name in candidates:
            if name in referenced:
                continue
            try:
                size = storage.size(name)
            except FileNotFoundError:
                continue
            if not dry_run:
                storage.delete(name)
            report.removed.append(name)
            report.removed_bytes += size
