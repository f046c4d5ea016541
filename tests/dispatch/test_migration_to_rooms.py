"""A database made before the split into rooms migrates to it with every row kept.

The database is taken back to the last migrations of the layout before the split
(``coordination`` 0006, ``issues`` 0004), filled there through the historical models with a
city's worth of everything the old app held, then migrated forward to today. Every row must
still be there, read now through the new apps' models; the content types (and so the
permissions granted on them) must follow the models; and every constraint and index the
models declare must exist in the database, so the migration state did not drift from it.
"""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("agencies", "0001_initial"),
    ("issues", "0004_issue_language"),
    ("coordination", "0006_assignment_open_queue_index"),
]
AFTER = [
    ("issues", "0005_contactaccess"),
    ("coordination", "0007_rooms"),
    ("rules", "0001_initial"),
    ("deadlines", "0001_initial"),
    ("dispatch", "0001_initial"),
    ("outbound", "0001_initial"),
    ("open311", "0001_initial"),
]
# (old model in coordination, its app now)
MOVED = [
    ("RuleSet", "rules"),
    ("Rule", "rules"),
    ("RuleSetPublication", "rules"),
    ("SLAPolicy", "deadlines"),
    ("CalendarDay", "deadlines"),
    ("Assignment", "dispatch"),
    ("CoordinationRequest", "dispatch"),
    ("DeadlineEvent", "dispatch"),
    ("Handoff", "dispatch"),
    ("WebhookEndpoint", "outbound"),
    ("WebhookDelivery", "outbound"),
    ("WebhookAttempt", "outbound"),
    ("ApiKey", "open311"),
    ("ContactAccess", "issues"),
]


def _fill_the_old_city(apps) -> None:
    """Rows of every model the old coordination app held, through its historical models."""
    from django.utils import timezone

    now = timezone.now()
    user = apps.get_model("auth", "User").objects.create(username="old-dispatcher")
    agency = apps.get_model("agencies", "Agency").objects.create(
        code="water", name_zh="水务局", name_en="Water", kind="government_department"
    )
    category = apps.get_model("issues", "Category").objects.create(
        code="water", name_zh="供水", name_en="Water"
    )
    issue_model = apps.get_model("issues", "Issue")
    old = lambda name: apps.get_model("coordination", name)  # noqa: E731
    ruleset = old("RuleSet").objects.create(version=1, status="active", created_at=now)
    old("Rule").objects.create(ruleset=ruleset, name="water", conditions={}, actions={})
    old("RuleSetPublication").objects.create(ruleset=ruleset, action="publish", actor=user)
    policy = old("SLAPolicy").objects.create(code="std", category=category)
    old("CalendarDay").objects.create(date=now.date(), kind="holiday", name="New Year")
    endpoint = old("WebhookEndpoint").objects.create(
        agency=agency, url="https://partner.example/hooks", secret="s" * 32
    )
    old("ApiKey").objects.create(name="partner", prefix="abc", key_hash="h" * 64)
    for n in range(30):
        issue = issue_model.objects.create(
            tracking_number=f"20260101-{n:06d}",
            access_token=f"token-{n}",
            title=f"Pipe {n}",
            description="Water everywhere",
            category=category,
            status="dispatched",
        )
        assignment = old("Assignment").objects.create(
            issue=issue, agency=agency, role="lead", sla_policy=policy, due_at=now
        )
        old("Handoff").objects.create(issue=issue, kind="submitted", at=now)
        old("Handoff").objects.create(issue=issue, kind="routed", to_agency=agency, at=now)
        old("CoordinationRequest").objects.create(
            issue=issue, assignment=assignment, kind="bounce", reason="not ours"
        )
        old("DeadlineEvent").objects.create(
            assignment=assignment, clock="response", step="warning", due_at=now
        )
        old("ContactAccess").objects.create(user=user, issue=issue, level="full", via="page")
        delivery = old("WebhookDelivery").objects.create(
            endpoint=endpoint, event_id=f"00000000-0000-0000-0000-{n:012d}", event="x"
        )
        old("WebhookAttempt").objects.create(delivery=delivery, status_code=200)


def test_a_database_of_the_old_layout_migrates_with_every_row_kept(migrator):
    old_state = migrator.apply_initial_migration(BEFORE)
    _fill_the_old_city(old_state.apps)
    counts = {
        name: old_state.apps.get_model("coordination", name).objects.count() for name, _ in MOVED
    }
    content_types = old_state.apps.get_model("contenttypes", "ContentType").objects
    # The content types exist once the app has been used (post_migrate); make them now.
    for name, _room in MOVED:
        content_types.get_or_create(app_label="coordination", model=name.lower())
    ids = {
        name: content_types.get(app_label="coordination", model=name.lower()).pk
        for name, _ in MOVED
    }

    new_state = migrator.apply_tested_migration(AFTER)

    for name, room in MOVED:
        model = new_state.apps.get_model(room, name)
        assert model.objects.count() == counts[name] > 0, name
        moved = new_state.apps.get_model("contenttypes", "ContentType").objects.get(pk=ids[name])
        assert (moved.app_label, moved.model) == (room, name.lower())
    handoffs = new_state.apps.get_model("dispatch", "Handoff").objects
    assert handoffs.filter(kind="routed", to_agency__code="water").count() == 30


def test_every_constraint_and_index_of_the_moved_models_is_in_the_database():
    """The state the rooms' migrations describe is the database's, name for name."""
    from django.apps import apps

    with connection.cursor() as cursor:
        for _name, room in MOVED:
            model = apps.get_model(room, _name)
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
            declared = [c.name for c in model._meta.constraints] + [
                i.name for i in model._meta.indexes
            ]
            assert model._meta.db_table.startswith("coordination_")
            missing = [name for name in declared if name not in found]
            assert not missing, f"{model.__name__}: {missing}"
