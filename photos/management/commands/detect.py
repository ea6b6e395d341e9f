"""Run the face and nudity detectors on photos processed before they existed, with a progress bar.

    manage.py detect [--batch-size 50] [--limit N]

Only tagged photos with copies that a detector has not looked at yet (no face record, or no nudity
check) are read; what a detector stored before is kept. It runs here, in this process: for a large
site, run it beside the workers at a quiet hour (each photo costs about 35 ms of CPU, bench/detectors.py).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from photos.models import Photo
from photos.processing.services import photos_detect


class Command(BaseCommand):
    help = "Run the face and nudity detectors on tagged photos they have not looked at yet."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=50, help="photos read and stored per round")
        parser.add_argument("--limit", type=int, default=None, help="at most this many photos")

    def handle(self, *args, batch_size: int, limit: int | None, verbosity: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if limit is not None and limit < 0:
            raise CommandError("--limit cannot be negative.")
        missing = Q()
        if settings.FACE_DETECTION:
            missing |= Q(faces__isnull=True)
        if settings.NUDITY_DETECTION:
            missing |= Q(nudity__isnull=True)
        if not missing:
            self.stdout.write("Face and nudity detection are both switched off: nothing to do.")
            return
        waiting = Photo.objects.filter(missing, status=Photo.Status.TAGGED).exclude(image="").order_by("pk")
        ids = list(waiting.values_list("pk", flat=True)[:limit])
        looked = 0
        # The bar goes to the command's stderr stream itself (OutputWrapper would end each redraw with a newline).
        stream = self.stderr._out
        with tqdm(total=len(ids), desc="detectors", unit="photo", disable=verbosity == 0, file=stream) as progress:
            for start in range(0, len(ids), batch_size):
                batch = ids[start : start + batch_size]
                looked += photos_detect(photo_ids=batch)
                progress.update(len(batch))
        self.stdout.write(f"Detectors looked at {looked} of {len(ids)} photos.")
