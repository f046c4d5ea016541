"""Moving staff between organisations: the old membership's access ends at once, and every
change to who works where is recorded (``agencies.MembershipChange``)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import Membership, MembershipChange
from agencies.services import membership_change, membership_remove, membership_set
from tests.factories import AgencyFactory, AssignmentFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def housing():
    return AgencyFactory(code="housing")


@pytest.fixture
def water():
    return AgencyFactory(code="water")


@pytest.fixture
def admin_user():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def sees(user, issue_id: int) -> bool:
    """Whether ``user``'s next request sees the issue (a fresh user object, as each request
    loads)."""
    client = APIClient()
    client.force_authenticate(type(user).objects.get(pk=user.pk))
    return client.get(f"/api/v1/issues/{issue_id}/").status_code == 200


def test_moving_a_membership_in_the_admin_revokes_the_old_organisations_access(
    client, housing, water, admin_user
):
    staff = member(housing, username="staff_wang")
    housing_case = AssignmentFactory(agency=housing).issue
    water_case = AssignmentFactory(agency=water).issue
    membership = Membership.objects.get(user=staff)
    assert sees(staff, housing_case.pk) and not sees(staff, water_case.pk)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:agencies_membership_change", args=[membership.pk]),
        {"user": staff.pk, "agency": water.pk, "role": Membership.Role.STAFF},
    )

    assert response.status_code == 302, response.content
    staff.refresh_from_db()
    assert list(Membership.objects.filter(user=staff).values_list("agency__code", flat=True)) == [
        "water"
    ]
    assert list(staff.groups.values_list("name", flat=True)) == ["agency:water"]
    assert not sees(staff, housing_case.pk)
    assert sees(staff, water_case.pk)
    change = MembershipChange.objects.get(kind=MembershipChange.Kind.MOVED)
    assert (change.username, change.from_agency, change.to_agency, change.actor) == (
        "staff_wang",
        "housing",
        "water",
        admin_user,
    )
    assert change.via == "admin"


def test_giving_a_membership_row_to_another_person_revokes_the_first_persons_access(
    housing, admin_user
):
    first, second = member(housing, username="first"), UserFactory(username="second")
    case = AssignmentFactory(agency=housing).issue

    membership_change(
        membership=Membership.objects.get(user=first),
        user=second,
        agency=housing,
        role=Membership.Role.STAFF,
        actor=admin_user,
    )

    assert not sees(first, case.pk) and sees(second, case.pk)
    assert not first.groups.exists()
    kinds = list(MembershipChange.objects.order_by("id").values_list("kind", "username"))
    assert kinds[-2:] == [("left", "first"), ("joined", "second")]


def test_moving_into_an_organisation_the_person_already_belongs_to_merges_the_rows(housing, water):
    staff = member(housing, username="both")
    membership_set(user=staff, agency=water, role=Membership.Role.MANAGER)

    kept = membership_change(
        membership=Membership.objects.get(user=staff, agency=housing),
        user=staff,
        agency=water,
        role=Membership.Role.STAFF,
    )

    assert list(Membership.objects.filter(user=staff)) == [kept]
    assert (kept.agency, kept.role) == (water, Membership.Role.STAFF)
    assert list(staff.groups.values_list("name", flat=True)) == ["agency:water"]


def test_joining_a_new_role_and_leaving_are_recorded_once_each(housing):
    staff = UserFactory(username="li")
    membership_set(user=staff, agency=housing, role=Membership.Role.STAFF)
    membership_set(user=staff, agency=housing, role=Membership.Role.STAFF)  # nothing new
    membership_set(user=staff, agency=housing, role=Membership.Role.MANAGER)
    membership_remove(membership=Membership.objects.get(user=staff))

    assert list(MembershipChange.objects.order_by("id").values_list("kind", "to_role")) == [
        ("joined", "staff"),
        ("role", "manager"),
        ("left", ""),
    ]
