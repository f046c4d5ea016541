"""On PostgreSQL, refuse UPDATE and DELETE of topic events in the database itself, as for
handoffs (``coordination/migrations/0003_handoff_append_only.py``): the record of a topic
every organisation relies on cannot be rewritten, by the model or by raw SQL."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hot_topicevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'hot_topicevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS hot_topicevent_append_only ON hot_topicevent;
CREATE TRIGGER hot_topicevent_append_only
    BEFORE UPDATE OR DELETE ON hot_topicevent
    FOR EACH ROW EXECUTE FUNCTION hot_topicevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS hot_topicevent_append_only ON hot_topicevent;
DROP FUNCTION IF EXISTS hot_topicevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("hot", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
