"""On PostgreSQL, refuse UPDATE and DELETE of handoffs in the database itself.

The model refuses them too; the trigger also stops raw SQL and other clients, so the record
every organisation relies on cannot be rewritten.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION coordination_handoff_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'coordination_handoff is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS coordination_handoff_append_only ON coordination_handoff;
CREATE TRIGGER coordination_handoff_append_only
    BEFORE UPDATE OR DELETE ON coordination_handoff
    FOR EACH ROW EXECUTE FUNCTION coordination_handoff_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS coordination_handoff_append_only ON coordination_handoff;
DROP FUNCTION IF EXISTS coordination_handoff_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("coordination", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
