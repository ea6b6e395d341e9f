"""Re-tag photos with the current model and taxonomy, in batches, with a progress bar."""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from photos.models import Photo
from photos.processing import services as processing
from recognition import tasks


def _parse_since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since takes a date or date-time such as 2026-11-01, got {value!r}.")
        moment = datetime.combine(day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Re-tag photos (all, since a date, by id, or by status) after the model or the taxonomy changed; "
        "a photo not tagged yet is processed again from its original."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every photo")
        which.add_argument("--since", type=_parse_since, help="photos uploaded on or after this date")
        which.add_argument("--ids", type=int, nargs="+", help="these photo ids")
        which.add_argument("--status", choices=Photo.Status.values, help="photos with this status")
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument(
            "--queue", action="store_true", help="queue batches for the Celery workers instead of tagging here"
        )

    def handle(self, *args, **options) -> None:
        photos = Photo.objects.order_by("pk")
        if options["since"]:
            photos = photos.filter(created_at__gte=options["since"])
        elif options["ids"]:
            photos = photos.filter(pk__in=options["ids"])
        elif options["status"]:
            photos = photos.filter(status=options["status"])
        ids = list(photos.values_list("pk", flat=True))
        size = options["batch_size"]
        if size < 1:
            raise CommandError(f"--batch-size must be at least 1, got {size}.")
        tagged = 0
        with tqdm(total=len(ids), desc="queue" if options["queue"] else "retag", unit="photo") as progress:
            for start in range(0, len(ids), size):
                batch = ids[start : start + size]
                if options["queue"]:
                    tasks.tag_photos.delay(batch, force=True)
                else:
                    tagged += processing.photos_retag(photo_ids=batch)
                progress.update(len(batch))
        verb = "Queued" if options["queue"] else "Re-tagged"
        count = len(ids) if options["queue"] else tagged
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} of {len(ids)} photo(s)."))
