"""The GIN index full-text search uses on PostgreSQL: the segmented words as a 'simple'
tsvector (coordination.knowledge.search). Other databases search without it."""

from django.db import migrations

INDEX = "knowledge_article_search_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON knowledge_article "
            "USING gin (to_tsvector('simple', search_text))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles")]

    operations = [migrations.RunPython(create, drop)]
