"""Delete stored files that no row names, once they are older than a grace period."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from photos.media_gc import DEFAULT_GRACE, media_gc


class Command(BaseCommand):
    help = (
        "Delete media files (photos, thumbnails, heat maps, avatars) that no row names and that are older "
        "than the grace period. Beat runs this daily (photos.tasks.collect_orphaned_media)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace",
            type=int,
            default=int(DEFAULT_GRACE.total_seconds()),
            metavar="SECONDS",
            help="Keep orphans younger than this, as an upload may still be committing (default: %(default)s).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List what would be removed; delete nothing.")

    def handle(self, *args, grace: int, dry_run: bool, verbosity: int, **options) -> None:
        if grace < 0:
            self.stderr.write(f"--grace must be 0 or more seconds, got {grace}.")
            raise SystemExit(2)
        report = media_gc(grace=timedelta(seconds=grace), dry_run=dry_run, progress=verbosity > 0)
        if verbosity > 1:
            for name in report.removed:
                self.stdout.write(name)
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(report.removed)} orphaned file(s), {report.removed_bytes} bytes; "
                f"scanned {report.scanned}, kept {report.kept_fresh} too recent to judge."
            )
        )
