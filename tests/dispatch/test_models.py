"""The rules the records keep by themselves: constraints, the append-only log, names, tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone, translation

from agencies.models import Agency, Area
from coordination.deadlines.selectors import sla_policy_for
from coordination.dispatch.models import Assignment, Handoff
from issues.models import TRACKING_ALPHABET, Category, Issue
from tests.factories import (
    AssignmentFactory,
    CategoryFactory,
    IssueFactory,
    SLAPolicyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ACTIVE = [Assignment.Status.PENDING, Assignment.Status.ACCEPTED]
INACTIVE = [Assignment.Status.DONE, Assignment.Status.RETURNED, Assignment.Status.CANCELLED]


def _accepted_fields(status):
    """An accepted (or later) assignment carries its acceptance time; a pending one does not."""
    return {} if status == Assignment.Status.PENDING else {"accepted_at": timezone.now()}


# --------------------------------------------------------------- Assignment constraints


@pytest.mark.parametrize("first_status", ACTIVE)
@pytest.mark.parametrize("second_status", ACTIVE)
def test_issue_cannot_have_two_active_leads(first_status, second_status):
    first = AssignmentFactory(status=first_status, **_accepted_fields(first_status))

    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(
            issue=first.issue,
            role=Assignment.Role.LEAD,
            status=second_status,
            **_accepted_fields(second_status),
        )

    assert first.issue.assignments.count() == 1


@pytest.mark.parametrize("ended_status", INACTIVE)
def test_new_lead_is_allowed_once_the_first_lead_has_ended(ended_status):
    first = AssignmentFactory(status=ended_status, accepted_at=timezone.now())

    second = AssignmentFactory(issue=first.issue, role=Assignment.Role.LEAD)

    assert set(first.issue.assignments.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_lead_and_co_handlers_of_other_agencies_may_be_active_together():
    lead = AssignmentFactory()

    AssignmentFactory(issue=lead.issue, role=Assignment.Role.CO_HANDLER)
    AssignmentFactory(issue=lead.issue, role=Assignment.Role.CO_HANDLER)

    assert lead.issue.assignments.filter(status=Assignment.Status.PENDING).count() == 3


@pytest.mark.parametrize(
    ("first_role", "second_role"),
    [
        (Assignment.Role.LEAD, Assignment.Role.CO_HANDLER),
        (Assignment.Role.CO_HANDLER, Assignment.Role.CO_HANDLER),
        (Assignment.Role.CO_HANDLER, Assignment.Role.LEAD),
    ],
)
def test_agency_holds_one_active_assignment_per_issue(first_role, second_role):
    first = AssignmentFactory(role=first_role)

    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(issue=first.issue, agency=first.agency, role=second_role)


def test_agency_may_be_assigned_again_after_its_assignment_was_returned():
    first = AssignmentFactory(status=Assignment.Status.RETURNED)

    again = AssignmentFactory(issue=first.issue, agency=first.agency)

    assert again.status == Assignment.Status.PENDING


def test_pending_assignment_with_an_acceptance_time_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(status=Assignment.Status.PENDING, accepted_at=timezone.now())

    assert not Assignment.objects.exists()


def test_accepted_assignment_with_an_acceptance_time_is_allowed():
    assignment = AssignmentFactory(status=Assignment.Status.ACCEPTED, accepted_at=timezone.now())

    assert assignment.pk is not None


# --------------------------------------------------------------- Handoff: append-only


@pytest.fixture
def handoff():
    return Handoff.objects.create(
        issue=IssueFactory(), kind=Handoff.Kind.SUBMITTED, note="filed on the web"
    )


def test_handoff_cannot_be_saved_again_after_creation(handoff):
    handoff.note = "rewritten"

    with pytest.raises(TypeError):
        handoff.save()

    assert Handoff.objects.get(pk=handoff.pk).note == "filed on the web"


def test_loaded_handoff_cannot_be_saved(handoff):
    loaded = Handoff.objects.get(pk=handoff.pk)

    with pytest.raises(TypeError):
        loaded.save(update_fields=["note"])


def test_handoff_cannot_be_deleted(handoff):
    with pytest.raises(TypeError):
        handoff.delete()

    assert Handoff.objects.filter(pk=handoff.pk).exists()


def test_handoff_queryset_cannot_be_updated(handoff):
    with pytest.raises(TypeError):
        Handoff.objects.filter(pk=handoff.pk).update(note="rewritten")
    with pytest.raises(TypeError):
        Handoff.objects.update(note="rewritten")

    assert Handoff.objects.get(pk=handoff.pk).note == "filed on the web"


def test_handoff_queryset_cannot_be_deleted(handoff):
    with pytest.raises(TypeError):
        Handoff.objects.filter(pk=handoff.pk).delete()
    with pytest.raises(TypeError):
        Handoff.objects.all().delete()

    assert Handoff.objects.filter(pk=handoff.pk).exists()


def test_handoffs_cannot_be_bulk_updated(handoff):
    handoff.note = "rewritten"

    with pytest.raises(TypeError), transaction.atomic():
        Handoff.objects.bulk_update([handoff], ["note"])

    assert Handoff.objects.get(pk=handoff.pk).note == "filed on the web"


def test_issue_with_handoffs_cannot_be_deleted(handoff):
    with pytest.raises(ProtectedError):
        handoff.issue.delete()


def test_new_handoff_object_with_an_existing_pk_does_not_rewrite_the_row(handoff):
    forged = Handoff(pk=handoff.pk, issue=handoff.issue, kind=Handoff.Kind.CLOSED, note="forged")

    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()

    assert Handoff.objects.get(pk=handoff.pk).note == handoff.note


def test_a_user_who_acted_on_a_case_cannot_be_deleted():
    actor = UserFactory()
    acted = Handoff.objects.create(issue=IssueFactory(), kind=Handoff.Kind.ACCEPTED, actor=actor)

    with pytest.raises(ProtectedError), transaction.atomic():
        actor.delete()

    assert Handoff.objects.get(pk=acted.pk).actor_id == actor.pk


@pytest.mark.services
def test_database_refuses_raw_sql_update_of_handoffs(handoff):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE coordination_handoff SET note = 'x'")

    assert Handoff.objects.get(pk=handoff.pk).note == "filed on the web"


@pytest.mark.services
def test_database_refuses_raw_sql_delete_of_handoffs(handoff):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM coordination_handoff WHERE id = %s", [handoff.pk])

    assert Handoff.objects.filter(pk=handoff.pk).exists()


# ------------------------------------------------------- Issue: tracking number and token


def test_tracking_number_is_the_filing_day_and_six_unambiguous_characters():
    issue = IssueFactory()

    day = timezone.localdate(issue.created_at).strftime("%Y%m%d")
    assert re.fullmatch(rf"{day}-[{TRACKING_ALPHABET}]{{6}}", issue.tracking_number)
    assert not set(issue.tracking_number.split("-")[1]) & set("01OIL")


def test_access_token_carries_at_least_128_bits_of_url_safe_randomness():
    issue = IssueFactory()

    assert len(issue.access_token) >= 43
    assert re.fullmatch(r"[A-Za-z0-9_-]+", issue.access_token)


def test_each_issue_has_its_own_tracking_number_and_access_token():
    issues = [IssueFactory() for _ in range(20)]

    assert len({i.tracking_number for i in issues}) == 20
    assert len({i.access_token for i in issues}) == 20


@pytest.mark.parametrize("field", ["access_token", "tracking_number"])
def test_database_refuses_a_second_issue_with_the_same_secret(field):
    first = IssueFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        IssueFactory(**{field: getattr(first, field)})


# ------------------------------------------------------------------------- names


@pytest.mark.parametrize("model", [Agency, Area, Category])
def test_name_follows_the_active_language(model):
    thing = model(name_zh="朝阳区环保局", name_en="Chaoyang Environment Bureau")

    with translation.override("en"):
        assert thing.name == "Chaoyang Environment Bureau"
        assert str(thing) == "Chaoyang Environment Bureau"
    with translation.override("zh-hans"):
        assert thing.name == "朝阳区环保局"
        assert str(thing) == "朝阳区环保局"


@pytest.mark.parametrize("model", [Agency, Area, Category])
def test_english_name_falls_back_to_chinese_when_blank(model):
    thing = model(name_zh="朝阳区环保局", name_en="")

    with translation.override("en"):
        assert thing.name == "朝阳区环保局"


def test_chinese_is_shown_when_no_language_is_active():
    thing = Agency(name_zh="朝阳区环保局", name_en="Chaoyang Environment Bureau")

    with translation.override(None):
        assert thing.name == "朝阳区环保局"


# ------------------------------------------------------------------------- categories


def test_category_ancestors_start_with_itself_and_climb_to_the_root():
    root = CategoryFactory(code="city")
    middle = CategoryFactory(code="noise", parent=root)
    leaf = CategoryFactory(code="night-noise", parent=middle)

    assert [c.code for c in leaf.ancestors()] == ["night-noise", "noise", "city"]
    assert [c.code for c in middle.ancestors()] == ["noise", "city"]
    assert [c.code for c in root.ancestors()] == ["city"]


def test_category_ancestors_stop_at_a_cycle():
    a = CategoryFactory(code="a")
    b = CategoryFactory(code="b", parent=a)
    a.parent = b  # a mistake an administrator could make; ancestors() must still end

    assert [c.code for c in b.ancestors()] == ["b", "a"]


# ------------------------------------------------------------------------- SLA policies


@pytest.fixture
def noise_categories():
    parent = CategoryFactory(code="noise")
    child = CategoryFactory(code="night-noise", parent=parent)
    return parent, child


def _policies(parent, child):
    """One policy at every level of specificity, each with its own response hours."""
    return {
        "default": SLAPolicyFactory(category=None, priority="", response_hours=1),
        "priority": SLAPolicyFactory(category=None, priority="urgent", response_hours=2),
        "parent": SLAPolicyFactory(category=parent, priority="", response_hours=3),
        "parent+priority": SLAPolicyFactory(category=parent, priority="urgent", response_hours=4),
        "category": SLAPolicyFactory(category=child, priority="", response_hours=5),
        "category+priority": SLAPolicyFactory(category=child, priority="urgent", response_hours=6),
        # Never chosen for an urgent night-noise issue:
        "other-priority": SLAPolicyFactory(category=child, priority="low", response_hours=7),
        "other-category": SLAPolicyFactory(
            category=CategoryFactory(code="water"), priority="urgent", response_hours=8
        ),
    }


# The most specific wins; removing it, the next one does.
SPECIFICITY = ["category+priority", "category", "parent+priority", "parent", "priority", "default"]


@pytest.mark.parametrize("removed", range(len(SPECIFICITY)))
def test_most_specific_sla_policy_wins(noise_categories, removed):
    parent, child = noise_categories
    policies = _policies(parent, child)
    for name in SPECIFICITY[:removed]:
        policies[name].delete()

    chosen = sla_policy_for(category=child, priority=Issue.Priority.URGENT)

    assert chosen == policies[SPECIFICITY[removed]]


def test_sla_policy_of_a_parent_applies_to_its_children_only(noise_categories):
    parent, child = noise_categories
    policies = _policies(parent, child)

    assert sla_policy_for(category=parent, priority="urgent") == policies["parent+priority"]
    assert sla_policy_for(category=parent, priority="normal") == policies["parent"]


def test_without_a_category_the_city_default_applies(noise_categories):
    policies = _policies(*noise_categories)

    assert sla_policy_for(category=None, priority="normal") == policies["default"]
    assert sla_policy_for(category=None, priority="urgent") == policies["priority"]


def test_no_sla_policy_at_all_gives_none():
    assert sla_policy_for(category=CategoryFactory(), priority="normal") is None


def test_sla_policy_gives_its_hours_as_time_deltas():
    policy = SLAPolicyFactory(response_hours=3, resolution_hours=48)

    assert policy.response_delta == timedelta(hours=3)
    assert policy.resolution_delta == timedelta(hours=48)


def test_sla_policy_cannot_give_more_time_to_respond_than_to_resolve():
    with pytest.raises(IntegrityError), transaction.atomic():
        SLAPolicyFactory(category=CategoryFactory(), response_hours=10, resolution_hours=5)


@pytest.mark.parametrize("with_category", [True, False], ids=["category", "city-default"])
def test_second_sla_policy_for_the_same_category_and_priority_is_refused(with_category):
    category = CategoryFactory() if with_category else None
    SLAPolicyFactory(category=category, priority="urgent")

    with pytest.raises(IntegrityError), transaction.atomic():
        SLAPolicyFactory(category=category, priority="urgent")


@pytest.mark.django_db
def test_a_pending_assignment_past_its_resolution_deadline_is_overdue():
    now = timezone.now()
    assignment = AssignmentFactory.build(
        status=Assignment.Status.PENDING,
        response_due_at=now + timedelta(hours=1),
        due_at=now - timedelta(minutes=1),
    )
    done = AssignmentFactory.build(status=Assignment.Status.DONE, due_at=now - timedelta(days=1))

    assert assignment.is_overdue(now)
    assert not done.is_overdue(now)
