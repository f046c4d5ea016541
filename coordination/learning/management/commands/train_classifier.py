"""``manage.py train_classifier``: train a new classifier version, import labelled records,
or import and export model files.

    manage.py train_classifier                       # history + imported corpora → candidate
    manage.py train_classifier --activate            # … and make it the active version
    manage.py train_classifier --import-csv old.csv --map labels.csv --corpus 2019 \\
        --text-column 留言详情 --title-column 留言主题 --label-column 一级标签
    manage.py train_classifier --import-csv old.csv --map labels.json --import-only
    manage.py train_classifier --import-model FILE   # a model file trained elsewhere
    manage.py train_classifier --export FILE [--export-version N]

The CSV is read with a header row (UTF-8, a BOM allowed); the map file is JSON
(``{"label": "category code"}``) or CSV (label, category code).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from platform_gov.errors import WorkflowError
from platform_gov.progress import Progress

from ...models import ClassifierVersion
from ...services import (
    classifier_import_file,
    classifier_train,
    corpus_import,
    read_label_map,
)

STEPS_PER_FOLD = 1


class Command(BaseCommand):
    help = (
        "Train a new classifier version on the dispatchers' decisions and imported records; "
        "import a labelled CSV corpus; import or export model files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--import-csv", type=Path, help="a labelled CSV to import first")
        parser.add_argument("--map", type=Path, help="label → category code (JSON or CSV)")
        parser.add_argument("--corpus", default="", help="the imported corpus's name")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--title-column", default="")
        parser.add_argument("--label-column", default="label")
        parser.add_argument(
            "--import-only", action="store_true", help="import the CSV, train nothing"
        )
        parser.add_argument(
            "--only-corpus",
            action="append",
            default=None,
            help="train on these imported corpora only (repeatable; default: all)",
        )
        parser.add_argument(
            "--no-history", action="store_true", help="leave the dispatchers' labels out"
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--activate", action="store_true", help="activate the new version")
        group.add_argument(
            "--activate-if-better",
            action="store_true",
            help="activate it if its figures hold up against the active version",
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--note", default="")
        parser.add_argument("--import-model", type=Path, help="store a model file as a candidate")
        parser.add_argument("--export", type=Path, help="write a version's model file here")
        parser.add_argument(
            "--export-version", type=int, help="the version to export (default: the active one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["export"]:
            return self._export(options["export"], options["export_version"])
        if options["import_model"]:
            return self._import_model(options)
        if options["import_csv"]:
            self._import_csv(options)
            if options["import_only"]:
                return None
        activate = (
            "always"
            if options["activate"]
            else "better"
            if options["activate_if_better"]
            else "never"
        )
        bar = Progress(7, label="training", stream=self.stderr._out)
        try:
            with bar:
                outcome = classifier_train(
                    corpora=options["only_corpus"],
                    history=not options["no_history"],
                    activate=activate,
                    seed=options["seed"],
                    progress=lambda step: bar.advance(),
                    note=options["note"],
                )
        except WorkflowError as error:
            raise CommandError(error.message) from error
        version = outcome.version
        figures = version.validation
        self.stdout.write(
            self.style.SUCCESS(
                f"classifier v{version.version} ({version.digest}): {version.description}"
            )
        )
        self.stdout.write(
            "  out of fold: macro-F1 {macro_f1:.3f}, accuracy {accuracy:.3f}, "
            "auto share {auto_share:.3f} at precision {precision}, ECE {ece:.3f}".format(
                precision=(
                    f"{figures['auto_precision']:.3f}"
                    if figures.get("auto_precision") is not None
                    else "—"
                ),
                **{k: figures.get(k) or 0.0 for k in ("macro_f1", "accuracy", "auto_share", "ece")},
            )
        )
        threshold = "never" if version.threshold is None else f"{version.threshold:.3f}"
        self.stdout.write(
            f"  threshold {threshold}; trained in {version.train_seconds or 0:.1f} s; "
            f"{outcome.reason}"
        )
        return None

    def _import_csv(self, options: dict[str, Any]) -> None:
        path: Path = options["import_csv"]
        if not options["map"]:
            raise CommandError("--import-csv needs --map (label → category code)")
        corpus = options["corpus"] or path.stem
        try:
            mapping = read_label_map(options["map"].read_text(encoding="utf-8-sig"))
            with path.open(encoding="utf-8-sig", newline="") as f:
                total = sum(1 for _row in csv.DictReader(f))
            with path.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                missing = [
                    c
                    for c in (
                        options["text_column"],
                        options["label_column"],
                        options["title_column"],
                    )
                    if c and c not in (reader.fieldnames or [])
                ]
                if missing:
                    raise CommandError(
                        f"{path} has no column {', '.join(missing)} "
                        f"(it has {', '.join(reader.fieldnames or [])})"
                    )
                bar = Progress(total, label="importing", stream=self.stderr._out)
                with bar, transaction.atomic():
                    counts = corpus_import(
                        rows=reader,
                        corpus=corpus,
                        mapping=mapping,
                        label_column=options["label_column"],
                        text_column=options["text_column"],
                        title_column=options["title_column"],
                        progress=bar.advance,
                    )
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"corpus {corpus}: {counts['imported']} imported, {counts['repeated']} already "
                f"there, {counts['unmapped']} with a label the map does not name, "
                f"{counts['empty']} without text"
            )
        )

    def _import_model(self, options: dict[str, Any]) -> None:
        try:
            data = options["import_model"].read_bytes()
            version = classifier_import_file(data=data, note=options["note"])
        except OSError as error:
            raise CommandError(str(error)) from error
        except (WorkflowError, ValidationError) as error:
            message = (
                error.message if isinstance(error, WorkflowError) else "; ".join(error.messages)
            )
            raise CommandError(message) from error
        self.stdout.write(self.style.SUCCESS(f"stored as candidate v{version.version}"))

    def _export(self, path: Path, number: int | None) -> None:
        versions = ClassifierVersion.objects.all()
        version = (
            versions.filter(version=number).first()
            if number
            else versions.filter(status=ClassifierVersion.Status.ACTIVE).first()
        )
        if version is None:
            raise CommandError("no such version" if number else "no version is active")
        path.write_bytes(bytes(version.model))
        self.stdout.write(self.style.SUCCESS(f"wrote v{version.version} to {path}"))
