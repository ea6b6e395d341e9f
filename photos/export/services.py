"""Writes of data exports: asking for one, building its zip in a worker, and letting it expire.

The zip holds the display copies of the person's photos (the originals are gone once processed, and
the copies are what the site shows) and JSON files: profile, photos with captions, alt text and tags
(with the provenance of each auto tag) and what the worker's detectors found on them (faces: count and
boxes; nudity: labels, boxes, the mark and any review), comments, likes, follows, viewing history and
the tags the person taught the site. Only what the person made or did, or what the site worked out
from it: no other person's photos, captions or comments.
"""

import json
import logging
import tempfile
import zipfile
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from photos.export.models import DataExport
from photos.models import Comment, Follow, Like, Photo, PhotoView, User

logger = logging.getLogger(__name__)
# How often the progress row is written while photos are copied.
PROGRESS_EVERY = 10
# An export queued or running this long was lost with its worker: it no longer holds the person's turn.
STALE_AFTER = timedelta(hours=2)


def data_export_request(*, user: User) -> DataExport:
    """Queue a new export of ``user``'s data, or return the one already being built."""
    from photos.tasks import build_data_export  # tasks import the services

    DataExport.objects.filter(
        user=user,
        status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING],
        created_at__lt=timezone.now() - STALE_AFTER,
    ).update(status=DataExport.Status.FAILED, error="Lost: it took too long. Ask again.")
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=user)
    except IntegrityError:  # one at a time (database constraint)
        return DataExport.objects.get(user=user, status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING])
    transaction.on_commit(lambda: build_data_export.delay(export.pk))
    return export


def _dump(value) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _tags(photo: Photo) -> list[dict]:
    return [
        {
            "name": tag.tag.name,
            "categories": tag.tag.categories,
            "source": tag.source,
            "confidence": tag.confidence,
            "classes": tag.classes,
            "rule": tag.rule,
            "model_version": tag.model_version,
            "taxonomy_version": tag.taxonomy_version,
        }
        for tag in photo.photo_tags.all()
    ]


def _own_copy(photo: Photo):
    """Return the photo's display copy as its owner posted it: the one kept sharp when the site shows faces blurred.

    The blur protects the people in the photo from everyone else; the person asking for their data
    posted the sharp photo and gets it back (its copy lives on the originals' storage, never served).
    """
    found = getattr(photo, "faces", None)
    if found is not None and found.unblurred_image:
        return found.unblurred_image
    return photo.image


def _faces(photo: Photo) -> dict | None:
    """Return what the face detector found (count and boxes: detection only, nobody identified), or None."""
    found = getattr(photo, "faces", None)
    if found is None:
        return None
    return {"count": found.count, "boxes": found.boxes, "model": found.model, "blurred": found.blur}


def _nudity(photo: Photo) -> dict | None:
    """Return what the nudity detector found and did, or None when it has not looked."""
    check = getattr(photo, "nudity", None)
    if check is None:
        return None
    return {
        "score": check.score,
        "marked_sensitive": check.marked,
        "review": check.review,
        "detections": check.detections,
        "model": check.model,
    }


def _learned_tags(user: User) -> list[dict]:
    """Return the tags the person taught the site: name, state, and which of their photos were the examples."""
    learned = user.learned_tags.select_related("tag", "current").prefetch_related("examples").order_by("created_at")
    return [
        {
            "tag": item.tag.name,
            "state": item.state,
            "active": item.is_active,
            "created_at": item.created_at,
            "examples": [
                {"photo": example.photo_id, "positive": example.positive, "origin": example.origin}
                for example in item.examples.all()
            ],
            "precision": item.current.precision if item.current else None,
            "recall": item.current.recall if item.current else None,
        }
        for item in learned
    ]


def _records(user: User) -> dict[str, object]:
    """Return the JSON files of the zip but photos.json (written while the photos are copied)."""
    comments = Comment.objects.filter(author=user).order_by("created_at", "id")
    follows = Follow.objects.filter(follower=user).select_related("followee").order_by("created_at")
    followers = Follow.objects.filter(followee=user).select_related("follower").order_by("created_at")
    return {
        "profile.json": {
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "email": user.email,
            "is_private": user.is_private,
            "date_joined": user.date_joined,
        },
        "comments.json": [
            {"photo": c.photo_id, "text": c.text, "created_at": c.created_at} for c in comments.iterator()
        ],
        "likes.json": [
            {"photo": like["photo_id"], "created_at": like["created_at"]}
            for like in Like.objects.filter(user=user).order_by("created_at").values("photo_id", "created_at")
        ],
        "follows.json": {
            "following": [
                {"username": f.followee.username, "status": f.status, "since": f.created_at} for f in follows
            ],
            "followers": [
                {"username": f.follower.username, "status": f.status, "since": f.created_at} for f in followers
            ],
        },
        "learned_tags.json": _learned_tags(user),
        "history.json": [
            {"photo": view["photo_id"], "viewed_at": view["viewed_at"]}
            for view in PhotoView.objects.filter(user=user).order_by("viewed_at").values("photo_id", "viewed_at")
        ],
    }


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the zip of an export, writing its progress as it goes; quietly skip one gone or done."""
    claimed = DataExport.objects.filter(pk=export_id, status=DataExport.Status.QUEUED).update(
        status=DataExport.Status.RUNNING
    )
    if not claimed:
        return None
    export = DataExport.objects.select_related("user").get(pk=export_id)
    try:
        _build(export)
    except Exception as error:
        logger.exception("data export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED, error=str(error)[:255])
        raise
    return export


def _build(export: DataExport) -> None:
    user = export.user
    photos = list(
        Photo.objects.filter(owner=user)
        .select_related("faces", "nudity")
        .prefetch_related("photo_tags__tag")
        .order_by("created_at", "id")
    )
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            listed = []
            for done, photo in enumerate(photos, start=1):
                entry = None
                if photo.image:
                    copy = _own_copy(photo)
                    entry = f"photos/{photo.pk}{PurePosixPath(copy.name).suffix or '.jpg'}"
                    with copy.open("rb") as image:
                        # JPEG is compressed already: stored, not deflated again.
                        archive.writestr(entry, image.read(), compress_type=zipfile.ZIP_STORED)
                listed.append(
                    {
                        "id": photo.pk,
                        "file": entry,
                        "caption": photo.caption,
                        "visibility": photo.visibility,
                        "created_at": photo.created_at,
                        "width": photo.width,
                        "height": photo.height,
                        "alt_text": photo.alt_text,
                        "alt_text_source": photo.alt_text_source,
                        "tags": _tags(photo),
                        "sensitive": photo.is_sensitive,
                        "faces": _faces(photo),
                        "nudity": _nudity(photo),
                    }
                )
                if done % PROGRESS_EVERY == 0:
                    DataExport.objects.filter(pk=export.pk).update(progress=int(90 * done / len(photos)))
            archive.writestr("photos.json", _dump(listed))
            for name, value in _records(user).items():
                archive.writestr(name, _dump(value))
        spool.seek(0)
        now = timezone.now()
        with transaction.atomic():
            export.file.save(f"{user.pk}-{now:%Y%m%d%H%M%S}.zip", File(spool), save=False)
            export.status = DataExport.Status.READY
            export.progress = 100
            export.size = export.file.size
            export.finished_at = now
            export.expires_at = now + timedelta(hours=settings.DATA_EXPORT_HOURS)
            export.save(update_fields=["file", "status", "progress", "size", "finished_at", "expires_at"])


def data_exports_expire(*, now=None) -> int:
    """Delete the exports past their expiry (and their files, once committed); return how many."""
    now = now or timezone.now()
    deleted, _ = DataExport.objects.filter(expires_at__lt=now).delete()
    return deleted
