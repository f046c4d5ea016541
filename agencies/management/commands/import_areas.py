"""Import areas from a GeoJSON FeatureCollection: ``manage.py import_areas city.geojson``.

Each feature is a Polygon or MultiPolygon whose properties name the area. Areas are matched by
code: importing the same file twice changes nothing, and an edited boundary replaces the old
one. Parents are linked after every area exists, so the features may come in any order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.geometry import GeometryError, validate_geometry
from agencies.models import Area
from platform_gov.progress import Progress


class Command(BaseCommand):
    help = "Import areas (districts, streets, communities) from a GeoJSON FeatureCollection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a GeoJSON file with a FeatureCollection")
        parser.add_argument("--code-property", default="code")
        parser.add_argument("--name-property", default="name", help="the Chinese name")
        parser.add_argument("--name-en-property", default="name_en")
        parser.add_argument("--level-property", default="level")
        parser.add_argument("--parent-property", default="parent")
        parser.add_argument(
            "--level",
            choices=[choice for choice, _label in Area.Level.choices],
            help="the level of every feature that has no level property",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        features = self._features(options["path"])
        rows = [self._row(index, feature, options) for index, feature in enumerate(features)]
        codes = [row["code"] for row in rows]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise CommandError(f"duplicate area codes: {', '.join(duplicates[:10])}")
        known = set(codes) | set(Area.objects.values_list("code", flat=True))
        for row in rows:
            if row["parent"] and row["parent"] not in known:
                raise CommandError(
                    f"feature {row['index']} ({row['code']}): unknown parent {row['parent']!r}"
                )
        created = updated = 0
        with transaction.atomic():
            existing = {area.code: area for area in Area.objects.filter(code__in=codes)}
            with Progress(len(rows), label="areas", stream=self.stderr._out) as progress:
                for row in rows:
                    area = existing.get(row["code"]) or Area(code=row["code"])
                    fields = {
                        "name_zh": row["name_zh"],
                        "name_en": row["name_en"],
                        "level": row["level"],
                        "geometry": row["geometry"],
                    }
                    if area.pk is None:
                        created += 1
                    elif any(getattr(area, key) != value for key, value in fields.items()):
                        updated += 1
                    else:
                        progress.advance()
                        continue
                    for key, value in fields.items():
                        setattr(area, key, value)
                    area.save()
                    existing[area.code] = area
                    progress.advance()
            by_code = {area.code: area for area in Area.objects.filter(code__in=known)}
            for row in rows:
                parent = by_code.get(row["parent"]) if row["parent"] else None
                area = by_code[row["code"]]
                if area.parent_id != (parent.pk if parent else None):
                    area.parent = parent
                    area.save(update_fields=["parent", "updated_at"])
            if options["dry_run"]:
                transaction.set_rollback(True)
        verb = "would import" if options["dry_run"] else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(rows)} areas: {created} new, {updated} changed, "
                f"{len(rows) - created - updated} unchanged"
            )
        )

    def _features(self, path: Path) -> list[dict[str, Any]]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise CommandError(f"no such file: {path}") from error
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not JSON: {error}") from error
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise CommandError(f"{path} is not a GeoJSON FeatureCollection")
        features = data.get("features")
        if not isinstance(features, list):
            raise CommandError(f"{path} has no list of features")
        return features

    def _row(self, index: int, feature: Any, options: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(feature, dict):
            raise CommandError(f"feature {index}: not an object")
        properties = feature.get("properties") or {}
        code = str(properties.get(options["code_property"]) or "").strip()
        if not code:
            raise CommandError(f"feature {index}: no {options['code_property']!r} property")
        level = properties.get(options["level_property"]) or options["level"]
        if level not in Area.Level.values:
            raise CommandError(
                f"feature {index} ({code}): level {level!r} is not one of "
                f"{', '.join(Area.Level.values)} (use --level for files without levels)"
            )
        geometry = feature.get("geometry")
        try:
            validate_geometry(geometry)
        except GeometryError as error:
            raise CommandError(f"feature {index} ({code}): {error}") from error
        name_zh = str(properties.get(options["name_property"]) or code)
        row = {
            "index": index,
            "code": code,
            "name_zh": name_zh,
            "name_en": str(properties.get(options["name_en_property"]) or ""),
            "level": level,
            "parent": str(properties.get(options["parent_property"]) or "") or None,
            "geometry": geometry,
        }
        try:
            Area(code=code, name_zh=name_zh, level=level, geometry=geometry).clean_fields(
                exclude=["parent"]
            )
        except ValidationError as error:
            raise CommandError(f"feature {index} ({code}): {error.message_dict}") from error
        return row
