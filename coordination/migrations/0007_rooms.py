"""The coordination app split into rooms: its models move to the apps ``rules``,
``deadlines``, ``dispatch``, ``outbound`` and ``open311`` (and ContactAccess to ``issues``).

Nothing in the database changes: every table keeps its name and its rows, and each new app's
first migration takes the model into its state (``SeparateDatabaseAndState``). Only the
content types are renamed, so that permissions already granted, and the admin's history, stay
attached to the same models.
"""

from django.db import migrations

# model → the app it moved to
MOVED = {
    "ruleset": "rules",
    "rule": "rules",
    "rulesetpublication": "rules",
    "slapolicy": "deadlines",
    "calendarday": "deadlines",
    "assignment": "dispatch",
    "coordinationrequest": "dispatch",
    "deadlineevent": "dispatch",
    "handoff": "dispatch",
    "webhookendpoint": "outbound",
    "webhookdelivery": "outbound",
    "webhookattempt": "outbound",
    "apikey": "open311",
    "contactaccess": "issues",
}


def _relabel(apps, *, forward: bool) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model, room in MOVED.items():
        old, new = ("coordination", room) if forward else (room, "coordination")
        if content_type.objects.filter(app_label=new, model=model).exists():
            continue  # made already (a migrate interrupted before): keep it, leave the old one
        content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def relabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, forward=True)


def restore_content_types(apps, schema_editor) -> None:
    _relabel(apps, forward=False)


class Migration(migrations.Migration):
    # After the last migration of every app of the layout before the split.
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("agencies", "0001_initial"),
        ("issues", "0004_issue_language"),
        ("coordination", "0006_assignment_open_queue_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='apikey',
                    name='agency',
                ),
                migrations.RemoveField(
                    model_name='assignment',
                    name='accepted_by',
                ),
                migrations.RemoveField(
                    model_name='assignment',
                    name='agency',
                ),
                migrations.RemoveField(
                    model_name='assignment',
                    name='issue',
                ),
                migrations.RemoveField(
                    model_name='assignment',
                    name='sla_policy',
                ),
                migrations.RemoveField(
                    model_name='coordinationrequest',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='handoff',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='deadlineevent',
                    name='assignment',
                ),
                migrations.DeleteModel(
                    name='CalendarDay',
                ),
                migrations.RemoveField(
                    model_name='contactaccess',
                    name='issue',
                ),
                migrations.RemoveField(
                    model_name='contactaccess',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='coordinationrequest',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='coordinationrequest',
                    name='issue',
                ),
                migrations.RemoveField(
                    model_name='coordinationrequest',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='handoff',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='handoff',
                    name='from_agency',
                ),
                migrations.RemoveField(
                    model_name='handoff',
                    name='issue',
                ),
                migrations.RemoveField(
                    model_name='handoff',
                    name='to_agency',
                ),
                migrations.RemoveField(
                    model_name='rule',
                    name='ruleset',
                ),
                migrations.RemoveField(
                    model_name='ruleset',
                    name='based_on',
                ),
                migrations.RemoveField(
                    model_name='ruleset',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='ruleset',
                    name='published_by',
                ),
                migrations.RemoveField(
                    model_name='rulesetpublication',
                    name='ruleset',
                ),
                migrations.RemoveField(
                    model_name='rulesetpublication',
                    name='previous',
                ),
                migrations.RemoveField(
                    model_name='rulesetpublication',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='slapolicy',
                    name='category',
                ),
                migrations.RemoveField(
                    model_name='webhookattempt',
                    name='delivery',
                ),
                migrations.RemoveField(
                    model_name='webhookdelivery',
                    name='endpoint',
                ),
                migrations.RemoveField(
                    model_name='webhookendpoint',
                    name='agency',
                ),
                migrations.DeleteModel(
                    name='ApiKey',
                ),
                migrations.DeleteModel(
                    name='Assignment',
                ),
                migrations.DeleteModel(
                    name='DeadlineEvent',
                ),
                migrations.DeleteModel(
                    name='ContactAccess',
                ),
                migrations.DeleteModel(
                    name='CoordinationRequest',
                ),
                migrations.DeleteModel(
                    name='Handoff',
                ),
                migrations.DeleteModel(
                    name='Rule',
                ),
                migrations.DeleteModel(
                    name='RuleSet',
                ),
                migrations.DeleteModel(
                    name='RuleSetPublication',
                ),
                migrations.DeleteModel(
                    name='SLAPolicy',
                ),
                migrations.DeleteModel(
                    name='WebhookAttempt',
                ),
                migrations.DeleteModel(
                    name='WebhookDelivery',
                ),
                migrations.DeleteModel(
                    name='WebhookEndpoint',
                ),
    ]
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
