"""``manage.py rebuild_rollup``: recount the dashboard's rollup from the whole record."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from coordination.reporting.services import rollup_rebuild
from platform_gov.progress import Progress


class Command(BaseCommand):
    help = "Recount the dashboard's rollup (day × organisation × category × area × channel)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--step-days", type=int, default=31, help="days recounted per transaction"
        )

    def handle(self, *args, step_days: int, **options) -> None:
        bar: Progress | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = Progress(total, label="days", stream=self.stderr._out)
            bar.advance(done - bar.done)

        rows = rollup_rebuild(step_days=step_days, progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(f"Rollup rebuilt: {rows} rows.")
