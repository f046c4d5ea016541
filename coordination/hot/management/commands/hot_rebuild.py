"""``manage.py hot_rebuild``: cluster every issue again, in order of filing.

After a change of ``HOT_CONFIG`` (new complaints use the stored parameters until then, so
that the clustering stays one continuous run), or to check that the incremental result is the
batch one. Hot issues get new ids; topics keep their members and follow them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coordination.hot.services.clustering import hot_rebuild
from platform_gov.progress import Progress


class Command(BaseCommand):
    help = "Cluster every issue into hot issues again, from the first filed, with HOT_CONFIG."

    def handle(self, *args: Any, **options: Any) -> None:
        bar: Progress | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = Progress(total, label="issues", stream=self.stderr._out)
            bar.advance(done - bar.done)

        run = hot_rebuild(progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"{run.clustered} issues clustered, {run.merged} merges.")
        )
