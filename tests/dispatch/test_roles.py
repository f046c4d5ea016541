"""Who sees which issues: guardian's permission rows decide, managers reach the organisations
below theirs, and enterprise partners see a resident's contact only with the resident's consent."""

import pytest
from guardian.shortcuts import assign_perm

from agencies.models import Agency, Membership
from agencies.services import membership_remove
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.dispatch.permissions import (
    access_for,
    contact_level,
    issue_for_user,
    issues_visible_to,
    reach_agency_ids,
)
from coordination.dispatch.services.assignments import assignment_accept
from coordination.dispatch.services.requests import assignment_request_bounce, request_approve
from coordination.dispatch.services.routing import issue_dispatch
from issues.models import Issue, IssueGroupObjectPermission
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, UserFactory, member

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def tree():
    """A district (P) over a street office (S) over a community (C); a sibling office (T)."""
    district = AgencyFactory(code="district", kind=Agency.Kind.GOVERNMENT_DEPARTMENT)
    office = AgencyFactory(code="office", kind=Agency.Kind.STREET_OFFICE, parent=district)
    community = AgencyFactory(code="community", kind=Agency.Kind.COMMUNITY, parent=office)
    sibling = AgencyFactory(code="sibling", kind=Agency.Kind.STREET_OFFICE, parent=district)
    return district, office, community, sibling


def dispatched(*, lead, co_handlers=(), dispatcher, **fields) -> Issue:
    issue = IssueFactory(status=Issue.Status.TRIAGE, contact_phone=PHONE, **fields)
    issue_dispatch(issue_id=issue.pk, lead=lead, co_handlers=co_handlers, actor=dispatcher)
    return issue


def test_a_manager_reaches_every_organisation_below_theirs_and_no_other(tree):
    district, office, community, sibling = tree
    manager = member(office, role=Membership.Role.MANAGER)
    staff = member(office)

    assert reach_agency_ids(manager) == sorted([office.pk, community.pk])
    assert reach_agency_ids(member(district, role=Membership.Role.MANAGER)) == sorted(
        [district.pk, office.pk, community.pk, sibling.pk]
    )
    assert reach_agency_ids(staff) == [office.pk]


def test_an_inactive_organisation_is_out_of_reach(tree):
    _district, office, community, _sibling = tree
    community.active = False
    community.save()

    assert reach_agency_ids(member(office, role=Membership.Role.MANAGER)) == [office.pk]


def test_a_manager_sees_and_works_the_issues_of_the_organisations_below(client, tree, dispatcher):
    _district, office, community, _sibling = tree
    issue = dispatched(lead=community, dispatcher=dispatcher)
    manager = member(office, role=Membership.Role.MANAGER)

    client.force_login(manager)
    queue = client.get("/staff/")
    assert issue.title in queue.content.decode()
    page = client.get(f"/staff/issues/{issue.pk}/")
    assert page.status_code == 200
    assert PHONE in page.content.decode()  # as the lead community's staff see it
    assert client.get("/api/v1/issues/").json()["count"] == 1
    assignment = issue.assignments.get()
    assert f"/staff/assignments/{assignment.pk}/accept/" in page.content.decode()
    response = client.post(f"/api/v1/assignments/{assignment.pk}/accept/")
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED


@pytest.mark.parametrize("who", ["staff of the office", "manager of a sibling office"])
def test_plain_staff_above_and_managers_beside_see_nothing(client, tree, dispatcher, who):
    _district, office, community, sibling = tree
    issue = dispatched(lead=community, dispatcher=dispatcher)
    user = member(office) if who == "staff of the office" else member(sibling, role="manager")

    client.force_login(user)
    assert issue.title not in client.get("/staff/").content.decode()
    assert client.get(f"/staff/issues/{issue.pk}/").status_code == 404
    assert client.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    assignment = issue.assignments.get()
    assert client.post(f"/api/v1/assignments/{assignment.pk}/accept/").status_code == 404
    assert client.get("/api/v1/issues/").json()["count"] == 0


def test_visibility_follows_guardians_permission_rows_not_the_assignment(tree):
    _district, office, _community, _sibling = tree
    staff = member(office)
    granted = AssignmentFactory(agency=office).issue
    ungranted = AssignmentFactory(agency=office, view_permission=False).issue
    given_by_hand = IssueFactory()
    assign_perm("issues.view_issue", staff, given_by_hand)

    visible = set(issues_visible_to(staff))

    assert visible == {granted, given_by_hand}
    assert ungranted not in visible


def test_another_permission_on_the_issue_is_not_a_view(tree):
    _district, office, _community, _sibling = tree
    staff = member(office)
    issue = IssueFactory()
    assign_perm("issues.change_issue", office.group, issue)

    assert not issues_visible_to(staff).exists()


def test_a_returned_assignment_takes_the_view_away(tree, dispatcher):
    _district, office, community, _sibling = tree
    issue = dispatched(lead=office, dispatcher=dispatcher)
    staff = member(office)
    assignment = issue.assignments.get()
    request = assignment_request_bounce(
        assignment_id=assignment.pk, actor=staff, reason="Not ours: a community matter."
    )

    request_approve(request_id=request.pk, actor=dispatcher, note="", reassign_to=community.code)

    staff = type(staff).objects.get(pk=staff.pk)  # a new request, a new user object
    assert not issues_visible_to(staff).filter(pk=issue.pk).exists()
    assert not IssueGroupObjectPermission.objects.filter(
        group=office.group, content_object=issue
    ).exists()
    assert CoordinationRequest.objects.get().status == CoordinationRequest.Status.APPROVED
    with pytest.raises(Exception, match="No such issue"):
        issue_for_user(user=staff, issue_id=issue.pk)


def test_leaving_an_organisation_ends_the_view_at_once(tree, dispatcher):
    _district, office, _community, _sibling = tree
    issue = dispatched(lead=office, dispatcher=dispatcher)
    staff = member(office)
    assert issues_visible_to(staff).filter(pk=issue.pk).exists()

    membership_remove(membership=Membership.objects.get(user=staff))

    staff = type(staff).objects.get(pk=staff.pk)  # the next request's user object
    assert access_for(staff).reach_ids == frozenset()
    assert not issues_visible_to(staff).exists()


def test_residents_and_anonymous_users_see_no_staff_issues(tree, dispatcher):
    from django.contrib.auth.models import AnonymousUser

    _district, office, _community, _sibling = tree
    resident = UserFactory()
    dispatched(lead=office, dispatcher=dispatcher, reporter=resident)

    assert not issues_visible_to(resident).exists()
    assert not issues_visible_to(AnonymousUser()).exists()


def test_the_dispatcher_and_administrators_see_every_issue(tree, dispatcher):
    _district, office, _community, _sibling = tree
    issues = {dispatched(lead=office, dispatcher=dispatcher), IssueFactory()}

    assert set(issues_visible_to(dispatcher)) == issues
    assert set(issues_visible_to(UserFactory(is_superuser=True))) == issues


def test_the_membership_lookup_is_one_query_per_request_for_staff(tree, django_assert_num_queries):
    _district, office, _community, _sibling = tree
    staff = type(member(office)).objects.get(username=member(office).username)

    with django_assert_num_queries(1):
        access_for(staff)
        access_for(staff)
        reach_agency_ids(staff)


# ----------------------------------------------------------------- partners and consent


@pytest.fixture
def partner():
    return AgencyFactory(code="power", kind=Agency.Kind.ENTERPRISE_PARTNER)


@pytest.mark.parametrize(
    ("consent", "role", "expected"),
    [
        (False, "co_handler", "none"),
        (True, "co_handler", "masked"),
        (False, "lead", "none"),
        (True, "lead", "full"),
    ],
)
def test_partners_see_the_contact_only_with_the_residents_consent(
    tree, dispatcher, partner, consent, role, expected
):
    _district, office, _community, _sibling = tree
    if role == "lead":
        issue = dispatched(lead=partner, dispatcher=dispatcher, share_contact_with_partners=consent)
    else:
        issue = dispatched(
            lead=office,
            co_handlers=[partner],
            dispatcher=dispatcher,
            share_contact_with_partners=consent,
        )

    level = contact_level(
        user=member(partner), issue=issue, assignments=list(issue.assignments.all())
    )

    assert level == expected


def test_consent_does_not_open_an_anonymous_report_to_partners(tree, dispatcher, partner):
    issue = dispatched(
        lead=partner, dispatcher=dispatcher, share_contact_with_partners=True, anonymous=True
    )

    assert (
        contact_level(user=member(partner), issue=issue, assignments=list(issue.assignments.all()))
        == "none"
    )
    assert (
        contact_level(user=dispatcher, issue=issue, assignments=list(issue.assignments.all()))
        == "full"
    )


def test_a_partner_co_handler_without_consent_sees_no_phone_on_the_page_or_api(
    client, tree, dispatcher, partner
):
    _district, office, _community, _sibling = tree
    issue = dispatched(
        lead=office,
        co_handlers=[partner],
        dispatcher=dispatcher,
        contact_name="王小明",
        contact_email="wang@example.cn",
    )

    client.force_login(member(partner))
    page = client.get(f"/staff/issues/{issue.pk}/").content.decode()
    api = client.get(f"/api/v1/issues/{issue.pk}/").content.decode()

    for body in (page, api):
        for secret in (PHONE, "138****5678", "王小明", "wang@example.cn"):
            assert secret not in body
    assert issue.title in page


def test_a_government_co_handler_still_sees_the_masked_phone_without_consent(
    client, tree, dispatcher
):
    _district, office, community, _sibling = tree
    issue = dispatched(lead=office, co_handlers=[community], dispatcher=dispatcher)

    client.force_login(member(community))
    body = client.get(f"/staff/issues/{issue.pk}/").content.decode()

    assert "138****5678" in body
    assert PHONE not in body


def test_accepting_in_a_managed_organisation_is_recorded_as_the_manager(tree, dispatcher):
    _district, office, community, _sibling = tree
    issue = dispatched(lead=community, dispatcher=dispatcher)
    manager = member(office, role=Membership.Role.MANAGER)

    assignment_accept(assignment_id=issue.assignments.get().pk, actor=manager)

    handoff = issue.handoffs.get(kind="accepted")
    assert handoff.actor == manager
    assert handoff.from_agency == community or handoff.to_agency == community
