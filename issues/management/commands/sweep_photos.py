"""Delete photo files no issue refers to (run it from cron, e.g. hourly)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from issues.photos import photos_sweep_orphans


class Command(BaseCommand):
    help = (
        "Delete residents' photo files that no Attachment row refers to: left by filings "
        "rolled back after the files were written, or by deleted rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=60,
            help="only files written longer ago than this (filings in progress keep theirs)",
        )

    def handle(self, *args, older_than_minutes: int, **options) -> None:
        deleted = photos_sweep_orphans(older_than=timedelta(minutes=older_than_minutes))
        for name in deleted:
            self.stdout.write(f"deleted {name}")
        self.stdout.write(f"{len(deleted)} orphaned photo files deleted.")
