"""The workflow's pages: the case page's actions, the dispatcher's decisions and the
resident's rating and reopening, each through the client as a person would use them.

Every action is a POST that calls one service and redirects (PRG): allowed, the state changes,
one Handoff is written and a success message shows; refused, an error message shows and
nothing changes. English text is asserted only where the request asks for English.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from agencies.models import Agency
from coordination.dispatch.models import Assignment, CoordinationRequest, Handoff
from coordination.dispatch.services import assignments, merge, requests, routing
from issues import services
from issues.models import Feedback, Issue, Update
from issues.services import issue_submit
from tests.factories import AgencyFactory, CategoryFactory, RoutingRuleFactory, member

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# ------------------------------------------------------------------------- fixtures


@pytest.fixture
def dispatch_centre():
    return AgencyFactory(code="dispatch", name_zh="12345调度中心", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def dispatcher(dispatch_centre):
    return member(dispatch_centre, username="dispatcher_wang")


@pytest.fixture
def lead_agency():
    return AgencyFactory(code="env", name_zh="生态环境局", name_en="Environment Bureau")


@pytest.fixture
def co_agency():
    return AgencyFactory(code="police", name_zh="公安分局", name_en="Police Station")


@pytest.fixture
def other_agency():
    return AgencyFactory(code="water", name_zh="水务局", name_en="Water Authority")


@pytest.fixture
def street_office():
    return AgencyFactory(
        code="qinghe", name_zh="清河街道", name_en="Qinghe Street", kind=Agency.Kind.STREET_OFFICE
    )


@pytest.fixture
def lead_staff(lead_agency):
    return member(lead_agency, username="env_staff")


@pytest.fixture
def co_staff(co_agency):
    return member(co_agency, username="police_staff")


@pytest.fixture
def other_staff(other_agency):
    return member(other_agency, username="water_staff")


@pytest.fixture
def street_staff(street_office):
    return member(street_office, username="qinghe_staff")


@pytest.fixture
def submit(django_capture_on_commit_callbacks, dispatch_centre):
    """File an issue through the service and let its routing run (eager Celery)."""

    def run(**overrides) -> Issue:
        fields = {
            "title": "Street light broken outside No. 12",
            "description": "Dark for three nights.",
            "address": "12 Qinghe Road",
            "contact_name": "王秀英",
            "contact_email": "wang.xiuying@example.org",
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            issue = issue_submit(**fields)
        issue.refresh_from_db()
        return issue

    return run


@pytest.fixture
def issue(submit, lead_agency, co_agency):
    """Routed to the environment bureau (lead) with the police as co-handler."""
    category = CategoryFactory(code="street-lighting", name_en="Street lighting")
    RoutingRuleFactory(category=category, lead=lead_agency, co_handlers=[co_agency])
    issue = submit(category=category)
    assert issue.status == Issue.Status.DISPATCHED
    return issue


@pytest.fixture
def street_issue(submit, street_office, dispatcher):
    """Sent by hand to a street office as lead."""
    issue = submit(title="Rubbish piling up at the market")
    assert issue.status == Issue.Status.TRIAGE
    routing.issue_dispatch(issue_id=issue.pk, lead=street_office, actor=dispatcher)
    return issue


@pytest.fixture
def resolved_issue(issue, lead_staff):
    lead = lead_of(issue)
    assignments.assignment_accept(assignment_id=lead.pk, actor=lead_staff)
    assignments.assignment_resolve(
        assignment_id=lead.pk, actor=lead_staff, resolution="The lamp was replaced."
    )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    return issue


def lead_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.LEAD, status__in=Assignment.ACTIVE_STATUSES)


def co_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.CO_HANDLER)


def handoffs(issue: Issue, kind: str | None = None) -> int:
    rows = Handoff.objects.filter(issue=issue)
    return (rows.filter(kind=kind) if kind else rows).count()


def messages_of(body: str) -> str:
    match = re.search(r'<ul class="messages".*?</ul>', body, flags=re.DOTALL)
    return match.group(0) if match else ""


def error_messages(response) -> str:
    return " ".join(re.findall(r'class="message error">(.*?)</li>', response.content.decode()))


def success_messages(response) -> str:
    return " ".join(re.findall(r'class="message success">(.*?)</li>', response.content.decode()))


def action_url(action: str, assignment: Assignment) -> str:
    return reverse(f"coordination:assignment_{action}", args=[assignment.pk])


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, follow=True, **EN, **extra)


# ---------------------------------------------------------------- the case page's forms


def test_case_page_offers_the_lead_its_actions_in_disclosures(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead = lead_of(issue)

    body = client.get(f"/staff/issues/{issue.pk}/", **EN).content.decode()

    for action in ("accept", "bounce", "transfer", "cohandle", "extension", "reply"):
        assert f'action="{action_url(action, lead)}"' in body
    assert "<details" in body and "<summary>" in body
    assert 'action="' + action_url("whistle", lead) + '"' not in body
    assert "What the resident sees (public timeline)" in body
    assert "Case record (internal, handlers only)" in body


def test_case_page_offers_a_co_handler_neither_transfer_nor_co_handlers(client, issue, co_staff):
    client.force_login(co_staff)
    co = co_of(issue)

    body = client.get(f"/staff/issues/{issue.pk}/").content.decode()

    assert f'action="{action_url("bounce", co)}"' in body
    assert f'action="{action_url("transfer", co)}"' not in body
    assert f'action="{action_url("cohandle", co)}"' not in body


def test_a_request_waiting_for_the_dispatcher_is_not_offered_again(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead = lead_of(issue)
    post(client, action_url("transfer", lead), {"reason": "Not ours: the water pipes."})
    assert CoordinationRequest.objects.filter(assignment=lead, status="open").count() == 1

    body = client.get(f"/staff/issues/{issue.pk}/", **EN).content.decode()

    assert f'action="{action_url("transfer", lead)}"' not in body
    waiting = re.search(rf'data-testid="waiting-{lead.pk}">(.*?)</p>', body, flags=re.DOTALL)
    assert waiting is not None and "Transfer (转办)" in waiting.group(1)
    for action in ("bounce", "cohandle", "extension", "reply"):  # the others still are
        assert f'action="{action_url(action, lead)}"' in body
    # Decided, it may be asked again.
    CoordinationRequest.objects.filter(assignment=lead).update(status="rejected")
    body = client.get(f"/staff/issues/{issue.pk}/", **EN).content.decode()
    assert f'action="{action_url("transfer", lead)}"' in body
    assert f'data-testid="waiting-{lead.pk}"' not in body


def test_no_extension_is_offered_once_the_deadline_has_passed(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead = lead_of(issue)
    Assignment.objects.filter(pk=lead.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    body = client.get(f"/staff/issues/{issue.pk}/", **EN).content.decode()

    assert f'action="{action_url("extension", lead)}"' not in body
    assert f'action="{action_url("bounce", lead)}"' in body


def test_whistle_form_is_shown_to_a_street_office(client, street_issue, street_staff):
    client.force_login(street_staff)

    body = client.get(f"/staff/issues/{street_issue.pk}/").content.decode()

    assert f'action="{action_url("whistle", lead_of(street_issue))}"' in body


def test_whistle_form_is_hidden_from_a_government_department(client, issue, lead_staff):
    client.force_login(lead_staff)

    body = client.get(f"/staff/issues/{issue.pk}/").content.decode()

    assert "/whistle/" not in body


def test_lead_shows_co_handlers_progress_with_deadlines_and_overdue_badge(
    client, issue, lead_staff, co_agency
):
    co = co_of(issue)
    Assignment.objects.filter(pk=co.pk).update(response_due_at=timezone.now() - timedelta(hours=1))
    client.force_login(lead_staff)

    body = client.get(f"/staff/issues/{issue.pk}/", **EN).content.decode()

    row = re.search(rf'data-testid="assignment-{co.pk}">(.*?)</li>', body, flags=re.DOTALL)
    assert row is not None
    assert co_agency.name_en in row.group(1)
    assert "Overdue" in row.group(1)
    # Pending: what is due next is signing for it (its resolution deadline comes after).
    assert "Accept by" in row.group(1)


def test_bounce_asks_the_dispatcher_with_one_handoff(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead, before = lead_of(issue), handoffs(issue)

    response = post(client, action_url("bounce", lead), {"reason": "Not our street lights."})

    assert response.redirect_chain[-1][0] == f"/staff/issues/{issue.pk}/"
    request = CoordinationRequest.objects.get(assignment=lead)
    assert (request.kind, request.status) == ("bounce", "open")
    assert handoffs(issue) == before + 1
    assert handoffs(issue, Handoff.Kind.BOUNCE_REQUESTED) == 1
    assert "the dispatcher decides" in success_messages(response)


def test_second_bounce_is_refused_with_an_error_and_no_change(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead = lead_of(issue)
    post(client, action_url("bounce", lead), {"reason": "Not ours."})
    before = handoffs(issue)

    response = post(client, action_url("bounce", lead), {"reason": "Really not ours."})

    assert "already waiting" in error_messages(response)
    assert CoordinationRequest.objects.filter(assignment=lead).count() == 1
    assert handoffs(issue) == before


def test_bounce_without_a_reason_is_refused(client, issue, lead_staff):
    client.force_login(lead_staff)

    response = post(client, action_url("bounce", lead_of(issue)), {"reason": ""})

    assert "Reason" in error_messages(response)
    assert not CoordinationRequest.objects.exists()


def test_transfer_names_the_suggested_agency(client, issue, lead_staff, other_agency):
    client.force_login(lead_staff)
    lead, before = lead_of(issue), handoffs(issue)

    response = post(
        client,
        action_url("transfer", lead),
        {"reason": "Water pipes, not lamps.", "suggested_agency": other_agency.code},
    )

    request = CoordinationRequest.objects.get(assignment=lead)
    assert request.kind == "transfer"
    assert request.payload["suggested_agency"] == "water"
    assert handoffs(issue) == before + 1
    assert success_messages(response)


def test_transfer_by_a_co_handler_is_refused(client, issue, co_staff):
    client.force_login(co_staff)
    before = handoffs(issue)

    response = post(client, action_url("transfer", co_of(issue)), {"reason": "Not ours."})

    assert "Only the lead can ask for a transfer." in error_messages(response)
    assert not CoordinationRequest.objects.exists()
    assert handoffs(issue) == before


def test_cohandle_request_names_the_agencies(client, issue, lead_staff, other_agency):
    client.force_login(lead_staff)
    lead, before = lead_of(issue), handoffs(issue)

    response = post(
        client,
        action_url("cohandle", lead),
        {"agencies": [other_agency.code], "reason": "The pipe under the lamp leaks."},
    )

    request = CoordinationRequest.objects.get(assignment=lead)
    assert (request.kind, request.payload["agencies"]) == ("cohandle", ["water"])
    assert handoffs(issue, Handoff.Kind.COHANDLING_REQUESTED) == 1
    assert handoffs(issue) == before + 1
    assert success_messages(response)


def test_cohandle_request_naming_only_agencies_on_the_case_is_refused(
    client, issue, lead_staff, co_agency
):
    client.force_login(lead_staff)
    before = handoffs(issue)

    response = post(
        client,
        action_url("cohandle", lead_of(issue)),
        {"agencies": [], "reason": "Help."},
    )

    assert error_messages(response)
    assert not CoordinationRequest.objects.exists()
    assert handoffs(issue) == before


def test_street_office_whistle_summons_a_department(
    client, street_issue, street_staff, other_agency
):
    client.force_login(street_staff)
    before = handoffs(street_issue)

    response = post(
        client,
        action_url("whistle", lead_of(street_issue)),
        {"agencies": [other_agency.code], "reason": "Flooded market street."},
    )

    summoned = street_issue.assignments.get(agency=other_agency)
    assert summoned.summoned and summoned.role == Assignment.Role.CO_HANDLER
    assert handoffs(street_issue) == before + 1
    assert handoffs(street_issue, Handoff.Kind.WHISTLE) == 1
    assert "summoned" in success_messages(response)


def test_whistle_of_a_department_is_refused(client, issue, lead_staff, other_agency):
    client.force_login(lead_staff)
    before = handoffs(issue)

    response = post(
        client,
        action_url("whistle", lead_of(issue)),
        {"agencies": [other_agency.code], "reason": "Come."},
    )

    assert "Only a street office can blow the whistle." in error_messages(response)
    assert not issue.assignments.filter(agency=other_agency).exists()
    assert handoffs(issue) == before


def test_extension_asks_for_a_later_deadline(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead, before = lead_of(issue), handoffs(issue)

    response = post(
        client,
        action_url("extension", lead),
        {"until": local_input(lead.due_at + timedelta(days=3)), "reason": "Parts on order."},
    )

    request = CoordinationRequest.objects.get(assignment=lead)
    assert request.kind == "extension"
    assert handoffs(issue) == before + 1
    assert success_messages(response)


def test_extension_to_an_earlier_time_is_refused(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead, before = lead_of(issue), handoffs(issue)

    response = post(
        client,
        action_url("extension", lead),
        {"until": local_input(lead.due_at - timedelta(hours=1)), "reason": "Parts."},
    )

    assert "later than the current one" in error_messages(response)
    assert not CoordinationRequest.objects.exists()
    assert handoffs(issue) == before


def test_public_reply_reaches_the_tracking_page_and_stands_out(client, issue, lead_staff):
    client.force_login(lead_staff)
    before = handoffs(issue)

    response = post(
        client,
        action_url("reply", lead_of(issue)),
        {"message": "A team comes on Thursday.", "public": "on"},
    )

    assert handoffs(issue) == before + 1
    assert issue.updates.filter(kind=Update.Kind.REPLIED).count() == 1
    assert "tracking page" in success_messages(response)
    track = client.get(f"/track/{issue.access_token}/").content.decode()
    reply = re.search(r'<li class="reply" data-testid="reply">(.*?)</li>', track, flags=re.DOTALL)
    assert reply is not None and "A team comes on Thursday." in reply.group(1)


def test_internal_note_stays_off_the_tracking_page_and_is_labelled(client, issue, lead_staff):
    client.force_login(lead_staff)

    post(client, action_url("reply", lead_of(issue)), {"message": "Call the lamp vendor."})

    handoff = Handoff.objects.get(issue=issue, kind=Handoff.Kind.REPLIED)
    assert handoff.details == {"public": False}
    assert not issue.updates.filter(kind=Update.Kind.REPLIED).exists()
    assert (
        "Call the lamp vendor." not in client.get(f"/track/{issue.access_token}/").content.decode()
    )
    case = client.get(f"/staff/issues/{issue.pk}/", **EN).content.decode()
    assert '<li class="internal-note">' in case
    assert "Internal note" in case


def test_empty_reply_is_refused(client, issue, lead_staff):
    client.force_login(lead_staff)
    before = handoffs(issue)

    response = post(client, action_url("reply", lead_of(issue)), {"message": "", "public": "on"})

    assert "Message" in error_messages(response)
    assert handoffs(issue) == before


def test_lead_appeals_a_rating_from_the_case_page(client, resolved_issue, lead_staff):
    services.issue_feedback(issue_id=resolved_issue.pk, rating=1, comment="Still dark.")
    client.force_login(lead_staff)
    lead, before = lead_of(resolved_issue), handoffs(resolved_issue)
    page = client.get(f"/staff/issues/{resolved_issue.pk}/").content.decode()
    assert f'action="{action_url("appeal", lead)}"' in page
    assert 'data-testid="feedback"' in page

    response = post(client, action_url("appeal", lead), {"reason": "The lamp works; see photo."})

    request = CoordinationRequest.objects.get(kind="appeal")
    assert request.payload["rating"] == 1
    assert handoffs(resolved_issue) == before + 1
    assert success_messages(response)


def test_appeal_without_a_rating_is_refused_and_not_offered(client, issue, lead_staff):
    client.force_login(lead_staff)
    lead = lead_of(issue)
    assert "/appeal/" not in client.get(f"/staff/issues/{issue.pk}/").content.decode()

    response = post(client, action_url("appeal", lead), {"reason": "Unfair."})

    assert "There is no rating to appeal." in error_messages(response)
    assert not CoordinationRequest.objects.exists()


def test_done_lead_may_still_reply_and_appeal_after_the_issue_closed(
    client, resolved_issue, lead_staff
):
    services.issue_feedback(issue_id=resolved_issue.pk, rating=3)
    done = resolved_issue.assignments.get(role=Assignment.Role.LEAD)
    client.force_login(lead_staff)

    body = client.get(f"/staff/issues/{resolved_issue.pk}/").content.decode()

    assert f'action="{action_url("reply", done)}"' in body
    assert f'action="{action_url("appeal", done)}"' in body
    assert f'action="{action_url("bounce", done)}"' not in body


ACTIONS = {
    "bounce": {"reason": "x"},
    "transfer": {"reason": "x"},
    "cohandle": {"agencies": ["water"], "reason": "x"},
    "whistle": {"agencies": ["water"], "reason": "x"},
    "extension": {"until": "2099-01-01T10:00", "reason": "x"},
    "reply": {"message": "x", "public": "on"},
    "appeal": {"reason": "x"},
}


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_on_another_agency_assignment_answer_404(client, issue, other_staff, action):
    client.force_login(other_staff)
    before = handoffs(issue)

    response = client.post(action_url(action, lead_of(issue)), ACTIONS[action])

    assert response.status_code == 404
    assert handoffs(issue) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_send_anonymous_visitors_to_sign_in(client, issue, action):
    response = client.post(action_url(action, lead_of(issue)), ACTIONS[action])

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _action_urls(issue: Issue) -> list[str]:
    lead = lead_of(issue)
    return [
        *(action_url(action, lead) for action in ACTIONS),
        "/dispatch/requests/1/approve/",
        "/dispatch/requests/1/reject/",
        f"/dispatch/issues/{issue.pk}/escalate/",
        "/dispatch/merge/",
        f"/track/{issue.access_token}/feedback/",
        f"/track/{issue.access_token}/reopen/",
    ]


def test_action_urls_refuse_get(client, issue, lead_staff, dispatcher):
    for user in (lead_staff, dispatcher):
        client.force_login(user)
        for url in _action_urls(issue):
            assert client.get(url).status_code == 405, url


def test_action_forms_need_the_csrf_token(issue, lead_staff):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lead_staff)

    response = strict.post(action_url("bounce", lead_of(issue)), {"reason": "x"})

    assert response.status_code == 403
    assert not CoordinationRequest.objects.exists()


# ----------------------------------------------------------------------- the staff queue


def test_queue_marks_summoned_and_redo_assignments(
    client, street_issue, street_staff, other_agency, other_staff, resolved_issue, lead_staff
):
    assignments.assignment_whistle(
        assignment_id=lead_of(street_issue).pk,
        actor=street_staff,
        agencies=[other_agency.code],
        reason="Flooding.",
    )
    services.issue_reopen(issue_id=resolved_issue.pk, reason="Dark again.")

    client.force_login(other_staff)
    summoned = client.get("/staff/", **EN).content.decode()
    client.force_login(lead_staff)
    redo = client.get("/staff/", **EN).content.decode()

    assert 'class="badge summoned"' in summoned and "Summoned" in summoned
    assert 'class="badge redo"' in redo and "Redo" in redo
    assert 'class="badge redo"' not in summoned


# -------------------------------------------------------------------- the dispatcher


@pytest.fixture
def bounce_request(issue, lead_staff):
    return requests.assignment_request_bounce(
        assignment_id=lead_of(issue).pk, actor=lead_staff, reason="Not our lamps."
    )


@pytest.fixture
def transfer_request(issue, lead_staff, other_agency):
    return requests.assignment_request_transfer(
        assignment_id=lead_of(issue).pk,
        actor=lead_staff,
        reason="Water.",
        suggested_agency=other_agency.code,
    )


def test_dispatch_page_lists_open_requests_with_their_payload(
    client, dispatcher, transfer_request, other_agency
):
    client.force_login(dispatcher)

    body = client.get("/dispatch/", **EN).content.decode()

    card = re.search(
        rf'data-testid="request-{transfer_request.pk}">(.*?)</article>', body, flags=re.DOTALL
    ).group(1)
    assert transfer_request.issue.tracking_number in card
    assert other_agency.name_en in card
    assert f"/dispatch/requests/{transfer_request.pk}/approve/" in card
    assert f"/dispatch/requests/{transfer_request.pk}/reject/" in card
    assert 'name="reassign_to"' in card


def test_approving_a_bounce_with_reassign_moves_the_lead(
    client, dispatcher, issue, bounce_request, other_agency
):
    client.force_login(dispatcher)
    before = handoffs(issue)

    response = post(
        client,
        f"/dispatch/requests/{bounce_request.pk}/approve/",
        {"note": "Water's job.", "reassign_to": other_agency.code},
    )

    bounce_request.refresh_from_db()
    assert bounce_request.status == "approved"
    assert lead_of(issue).agency == other_agency
    assert handoffs(issue) == before + 1
    assert handoffs(issue, Handoff.Kind.BOUNCE_APPROVED) == 1
    assert "approved" in success_messages(response)


def test_approving_a_transfer_without_reassign_follows_the_suggestion(
    client, dispatcher, issue, transfer_request, other_agency
):
    client.force_login(dispatcher)

    post(client, f"/dispatch/requests/{transfer_request.pk}/approve/", {"note": ""})

    assert lead_of(issue).agency == other_agency
    assert handoffs(issue, Handoff.Kind.TRANSFERRED) == 1


def test_approving_a_decided_request_is_refused(client, dispatcher, issue, bounce_request):
    client.force_login(dispatcher)
    post(client, f"/dispatch/requests/{bounce_request.pk}/reject/", {"note": "Yours."})
    before = handoffs(issue)

    response = post(client, f"/dispatch/requests/{bounce_request.pk}/approve/", {"note": ""})

    assert "decided already" in error_messages(response)
    bounce_request.refresh_from_db()
    assert bounce_request.status == "rejected"
    assert handoffs(issue) == before


def test_rejecting_keeps_the_assignment_with_its_agency(
    client, dispatcher, issue, bounce_request, lead_agency
):
    client.force_login(dispatcher)
    before = handoffs(issue)

    response = post(
        client, f"/dispatch/requests/{bounce_request.pk}/reject/", {"note": "It is yours."}
    )

    bounce_request.refresh_from_db()
    assert bounce_request.status == "rejected"
    assert lead_of(issue).agency == lead_agency
    assert handoffs(issue) == before + 1
    assert "rejected" in success_messages(response)


def test_rejecting_without_a_note_is_refused(client, dispatcher, issue, bounce_request):
    client.force_login(dispatcher)
    before = handoffs(issue)

    response = post(client, f"/dispatch/requests/{bounce_request.pk}/reject/", {"note": ""})

    assert error_messages(response)
    bounce_request.refresh_from_db()
    assert bounce_request.status == "open"
    assert handoffs(issue) == before


def test_dispatcher_actions_are_forbidden_to_agency_staff(
    client, lead_staff, issue, bounce_request
):
    client.force_login(lead_staff)
    urls = {
        f"/dispatch/requests/{bounce_request.pk}/approve/": {"note": ""},
        f"/dispatch/requests/{bounce_request.pk}/reject/": {"note": "no"},
        f"/dispatch/issues/{issue.pk}/escalate/": {"note": "hurry"},
        "/dispatch/merge/": {"issue": str(issue.pk), "into": str(issue.pk)},
    }
    before = handoffs(issue)

    for url, data in urls.items():
        assert client.post(url, data).status_code == 403, url

    bounce_request.refresh_from_db()
    assert bounce_request.status == "open"
    assert handoffs(issue) == before


def test_overdue_assignments_are_listed_with_a_supervise_form(client, dispatcher, issue):
    lead = lead_of(issue)
    Assignment.objects.filter(pk=lead.pk).update(due_at=timezone.now() - timedelta(hours=2))
    client.force_login(dispatcher)

    body = client.get("/dispatch/").content.decode()

    assert f'data-testid="overdue-{issue.pk}"' in body
    assert f'action="/dispatch/issues/{issue.pk}/escalate/"' in body


def test_supervising_an_overdue_issue_writes_one_escalation(client, dispatcher, issue):
    Assignment.objects.filter(pk=lead_of(issue).pk).update(
        due_at=timezone.now() - timedelta(hours=2)
    )
    client.force_login(dispatcher)
    before = handoffs(issue)

    response = post(client, f"/dispatch/issues/{issue.pk}/escalate/", {"note": "Fix it today."})

    assert handoffs(issue) == before + 1
    assert handoffs(issue, Handoff.Kind.ESCALATED) == 1
    assert "supervision" in success_messages(response)
    assert "Supervised 1 time" in response.content.decode()


def test_supervising_a_resolved_issue_is_refused(client, dispatcher, resolved_issue):
    client.force_login(dispatcher)
    before = handoffs(resolved_issue)

    response = post(client, f"/dispatch/issues/{resolved_issue.pk}/escalate/", {"note": "Now."})

    assert "Only an open issue can be supervised." in error_messages(response)
    assert handoffs(resolved_issue) == before


def test_merging_by_tracking_number_ends_the_duplicate(client, dispatcher, issue, submit):
    duplicate = submit(title="Lamp out at No. 12 again")
    client.force_login(dispatcher)
    before = handoffs(duplicate)

    response = post(
        client,
        "/dispatch/merge/",
        {"issue": duplicate.tracking_number, "into": issue.tracking_number},
    )

    duplicate.refresh_from_db()
    assert duplicate.status == Issue.Status.MERGED
    assert duplicate.merged_into == issue
    assert handoffs(duplicate) == before + 1
    assert "merged into" in success_messages(response)


def test_merging_an_issue_into_itself_is_refused(client, dispatcher, issue):
    client.force_login(dispatcher)
    before = handoffs(issue)

    response = post(
        client, "/dispatch/merge/", {"issue": issue.tracking_number, "into": str(issue.pk)}
    )

    assert "cannot be merged into itself" in error_messages(response)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert handoffs(issue) == before


def test_merging_an_unknown_issue_is_refused(client, dispatcher, issue):
    client.force_login(dispatcher)

    response = post(client, "/dispatch/merge/", {"issue": "NOPE", "into": issue.tracking_number})

    assert "No issue has this tracking number." in error_messages(response)


def test_dispatch_page_draws_the_rates_as_bars(client, dispatcher, resolved_issue, lead_agency):
    client.force_login(dispatcher)

    body = client.get("/dispatch/", **EN).content.decode()

    for key in ("response_rate", "resolution_rate", "satisfaction_rate"):
        assert f'data-testid="chart-{key}"' in body
    chart = re.search(
        r'data-testid="chart-response_rate".*?</figure>', body, flags=re.DOTALL
    ).group(0)
    row = re.search(rf"{lead_agency.name_en}</span>(.*?)</div>", chart, flags=re.DOTALL).group(1)
    assert '<rect class="bar" width="100"' in row
    assert '<span class="bar-value">100%</span>' in row
    assert "no data yet" in chart  # an agency with nothing to measure: no misleading 0


# ---------------------------------------------------------------- the resident's follow-up


def test_resolved_tracking_page_offers_the_rating_and_reopen_forms(client, resolved_issue):
    body = client.get(f"/track/{resolved_issue.access_token}/", **EN).content.decode()

    fieldset = re.search(r'<fieldset class="rating">(.*?)</fieldset>', body, flags=re.DOTALL)
    assert fieldset is not None
    assert "<legend>" in fieldset.group(1)
    assert len(re.findall(r'type="radio" name="rating"', fieldset.group(1))) == 5
    assert f'action="/track/{resolved_issue.access_token}/feedback/"' in body
    assert f'action="/track/{resolved_issue.access_token}/reopen/"' in body


def test_open_tracking_page_offers_neither_rating_nor_reopen(client, issue):
    body = client.get(f"/track/{issue.access_token}/").content.decode()

    assert "/feedback/" not in body
    assert "/reopen/" not in body


def test_resident_rates_well_and_the_issue_closes(client, resolved_issue):
    track = f"/track/{resolved_issue.access_token}/"
    before = handoffs(resolved_issue)

    response = post(client, f"{track}feedback/", {"rating": "5", "comment": "Thanks!"})

    assert response.redirect_chain[-1][0] == track
    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.CLOSED
    assert Feedback.objects.get(issue=resolved_issue).rating == 5
    assert handoffs(resolved_issue) == before + 1
    assert "Thank you for your rating." in success_messages(response)
    body = response.content.decode()
    assert f'action="{track}feedback/"' not in body
    assert f'action="{track}reopen/"' in body  # closed, but still within the reopen window


def test_resident_rates_badly_and_the_issue_goes_back_to_the_same_lead(
    client, resolved_issue, lead_agency
):
    post(client, f"/track/{resolved_issue.access_token}/feedback/", {"rating": "1"})

    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.DISPATCHED
    redo = lead_of(resolved_issue)
    assert redo.redo and redo.agency == lead_agency


def test_rating_an_unresolved_issue_is_refused(client, issue):
    before = handoffs(issue)

    response = post(client, f"/track/{issue.access_token}/feedback/", {"rating": "4"})

    assert "once it is resolved" in error_messages(response)
    assert not Feedback.objects.exists()
    assert handoffs(issue) == before


def test_rating_out_of_range_is_refused(client, resolved_issue):
    response = post(client, f"/track/{resolved_issue.access_token}/feedback/", {"rating": "9"})

    assert error_messages(response)
    assert not Feedback.objects.exists()


def test_resident_reopens_within_the_window(client, resolved_issue):
    before = handoffs(resolved_issue)

    response = post(
        client, f"/track/{resolved_issue.access_token}/reopen/", {"reason": "Dark again."}
    )

    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.DISPATCHED
    assert handoffs(resolved_issue) == before + 1
    assert handoffs(resolved_issue, Handoff.Kind.REOPENED) == 1
    assert "reopened" in success_messages(response)


def test_reopening_after_the_window_is_neither_offered_nor_allowed(client, resolved_issue):
    Issue.objects.filter(pk=resolved_issue.pk).update(
        resolved_at=timezone.now() - timedelta(days=30)
    )
    track = f"/track/{resolved_issue.access_token}/"
    assert f'action="{track}reopen/"' not in client.get(track).content.decode()
    before = handoffs(resolved_issue)

    response = post(client, f"{track}reopen/", {"reason": "Dark again."})

    assert "has passed" in error_messages(response)
    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.RESOLVED
    assert handoffs(resolved_issue) == before


def test_reopening_without_a_reason_is_refused(client, resolved_issue):
    response = post(client, f"/track/{resolved_issue.access_token}/reopen/", {"reason": " "})

    assert error_messages(response)
    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.RESOLVED


def test_unknown_tracking_token_answers_404_to_feedback_and_reopen(client):
    token = "x" * 43
    assert client.post(f"/track/{token}/feedback/", {"rating": "5"}).status_code == 404
    assert client.post(f"/track/{token}/reopen/", {"reason": "x"}).status_code == 404


def test_merged_issue_tracking_page_says_it_was_combined_without_the_other_residents_number(
    client, dispatcher, issue, submit
):
    duplicate = submit(title="Lamp out at No. 12 again")
    merge.issue_merge(issue_id=duplicate.pk, into_id=issue.pk, actor=dispatcher)

    body = client.get(f"/track/{duplicate.access_token}/", **EN).content.decode()

    notice = re.search(r'data-testid="merged">(.*?)</section>', body, flags=re.DOTALL).group(1)
    assert "combined with an identical one" in notice
    # The surviving issue is another resident's: neither its number nor its link is shown.
    assert issue.tracking_number not in body
    assert issue.access_token not in body


def test_a_merged_report_follows_the_timeline_of_the_surviving_issue(
    client, dispatcher, issue, submit
):
    duplicate = submit(title="Lamp out at No. 12 again", contact_name="Wang Wu")
    merge.issue_merge(issue_id=duplicate.pk, into_id=issue.pk, actor=dispatcher)

    body = client.get(f"/track/{duplicate.access_token}/", **EN).content.decode()

    timeline = re.search(r'data-testid="merged-timeline">(.*?)</ol>', body, flags=re.DOTALL).group(
        1
    )
    with translation.override("en"):
        survivor_kinds = [u.get_kind_display() for u in issue.updates.all()]
    assert survivor_kinds and all(kind in timeline for kind in survivor_kinds)
    assert issue.contact_name not in body
