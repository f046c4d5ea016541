"""On PostgreSQL, what full-text search reads (coordination.knowledge.search): a generated
tsvector of the segmented words, 'simple' configuration, the question's words weighted A,
under a GIN index. Other databases search without them. Django's model does not know the
column: the database computes it on every write."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(setweight(to_tsvector('simple', search_question), 'A') || "
            "to_tsvector('simple', search_text)) STORED"
        )
        schema_editor.execute(
            "CREATE INDEX knowledge_article_search_gin ON knowledge_article "
            "USING gin (search_vector)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_search_gin")
        schema_editor.execute("ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles")]

    operations = [migrations.RunPython(create, drop)]
