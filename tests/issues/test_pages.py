"""The HTML pages: the resident's, the agency staff's and the dispatcher's, through the client.

Paths of the public pages are part of the contract (API.md, "Pages"), so they are written out
here as a resident or a bookmark would use them. Text is asserted in English only where the
test asks for English (the Chinese catalogue changes independently); for the default language
only structure and data (names, numbers) are asserted.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime

from agencies.models import Agency
from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.services import assignments
from issues.models import Issue
from issues.services import issue_submit
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    AssignmentFactory,
    CategoryFactory,
    RoutingRuleFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

# Personal data of the resident, distinctive enough not to appear on a page by accident.
CONTACT_NAME = "王秀英"
CONTACT_PHONE = "13912345678"
CONTACT_EMAIL = "wang.xiuying@example.org"
STAFF_USERNAME = "zhang_wei_env_staff"
RESOLUTION = "The lamp was replaced by the lighting team on Tuesday."

VALID_REPORT = {
    "title": "Street light broken outside No. 12",
    "description": "Dark for three nights; the pavement is uneven there.",
    "address": "12 Qinghe Road",
    "lat": "",
    "lon": "",
    "contact_name": CONTACT_NAME,
    "contact_phone": CONTACT_PHONE,
    "contact_email": CONTACT_EMAIL,
}


# ------------------------------------------------------------------------- fixtures


@pytest.fixture
def english(client):
    """Ask for English pages, as the language switch does."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def dispatch_centre():
    return AgencyFactory(code="dispatch", name_zh="12345调度中心", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def dispatcher(dispatch_centre):
    return member(dispatch_centre, username="dispatcher_li")


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
def lead_staff(lead_agency):
    return member(lead_agency, username=STAFF_USERNAME)


@pytest.fixture
def co_staff(co_agency):
    return member(co_agency)


@pytest.fixture
def other_staff(other_agency):
    return member(other_agency)


@pytest.fixture
def lighting():
    return CategoryFactory(code="street-lighting", name_zh="路灯", name_en="Street lighting")


@pytest.fixture
def lighting_rule(dispatch_centre, lighting, lead_agency, co_agency):
    """Street lighting goes to the environment bureau, with the police as co-handler."""
    return RoutingRuleFactory(
        name="路灯 → 环境局", category=lighting, lead=lead_agency, co_handlers=[co_agency]
    )


@pytest.fixture
def submit_and_route(django_capture_on_commit_callbacks, dispatch_centre):
    """File an issue through the service and let its on-commit routing run (eager Celery)."""

    def run(**overrides) -> Issue:
        fields = {
            "title": "Street light broken outside No. 12",
            "description": "Dark for three nights.",
            "address": "12 Qinghe Road",
            "contact_name": CONTACT_NAME,
            "contact_phone": CONTACT_PHONE,
            "contact_email": CONTACT_EMAIL,
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            issue = issue_submit(**fields)
        issue.refresh_from_db()
        return issue

    return run


@pytest.fixture
def routed_issue(submit_and_route, lighting, lighting_rule):
    issue = submit_and_route(category=lighting)
    assert issue.status == Issue.Status.DISPATCHED
    return issue


@pytest.fixture
def anonymous_issue(submit_and_route, lighting, lighting_rule):
    issue = submit_and_route(category=lighting, anonymous=True)
    assert issue.status == Issue.Status.DISPATCHED
    return issue


@pytest.fixture
def triage_issue(submit_and_route):
    """No category, so no rule matches: the issue waits for the dispatcher."""
    issue = submit_and_route(title="Something smells near the canal")
    assert issue.status == Issue.Status.TRIAGE
    return issue


def lead_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.LEAD)


def handoff_count(issue: Issue, kind: str) -> int:
    return Handoff.objects.filter(issue=issue, kind=kind).count()


def error_summary(body: str) -> str:
    """The error summary at the top of a form page (empty when there is none)."""
    match = re.search(r'<div class="error-summary".*?</div>', body, flags=re.DOTALL)
    return match.group(0) if match else ""


def messages_of(body: str) -> str:
    match = re.search(r'<ul class="messages".*?</ul>', body, flags=re.DOTALL)
    return match.group(0) if match else ""


def accept_url(assignment: Assignment) -> str:
    return reverse("coordination:assignment_accept", args=[assignment.pk])


def resolve_url(assignment: Assignment) -> str:
    return reverse("coordination:assignment_resolve", args=[assignment.pk])


# ------------------------------------------------------------------- resident pages


@pytest.mark.parametrize("path", ["/", "/report/", "/track/"])
def test_resident_page_answers_anonymous_visitors_with_links_to_report_and_track(client, path):
    response = client.get(path)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/report/"' in body
    assert 'href="/track/"' in body


@pytest.mark.parametrize("path", ["/", "/track/"])
def test_home_and_track_page_offer_the_tracking_box(client, path):
    body = client.get(path).content.decode()

    assert re.search(r'<input[^>]*name="code"', body)
    assert re.search(r'<input[^>]*name="check"', body)
    # POST: the phone digits or e-mail typed with a number stay out of URLs and logs.
    assert re.search(r'<form[^>]*method="post"', body)


def test_home_page_tracking_box_submits_to_the_track_lookup(client):
    body = client.get("/").content.decode()

    assert re.search(r'<form method="post" action="/track/"', body)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"lat": "39.9", "lon": ""}, "lon"),
        ({"lat": "100", "lon": "116.4"}, "lat"),
    ],
    ids=["missing-title", "bad-email", "lat-without-lon", "lat-out-of-range"],
)
def test_report_with_an_invalid_field_answers_400_naming_the_field(client, changes, field):
    response = client.post("/report/", {**VALID_REPORT, **changes})

    assert response.status_code == 400
    body = response.content.decode()
    summary = error_summary(body)
    assert f'href="#id_{field}"' in summary
    # Only the faulty field is named, and its own error list is rendered beside it.
    assert len(re.findall(r'href="#id_', summary)) == 1
    assert f'id="id_{field}_error"' in body
    assert not Issue.objects.exists()


def test_an_empty_report_post_lists_the_required_fields(client):
    response = client.post("/report/", {})

    assert response.status_code == 400
    summary = error_summary(response.content.decode())
    assert 'href="#id_title"' in summary
    assert 'href="#id_description"' in summary
    assert not Issue.objects.exists()


def test_valid_report_creates_one_routed_issue_and_shows_its_tracking_link(
    client, django_capture_on_commit_callbacks, lighting, lighting_rule, lead_agency
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/report/", {**VALID_REPORT, "category": lighting.pk})

    assert Issue.objects.count() == 1
    issue = Issue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/report/submitted/{issue.access_token}/"
    assert issue.contact_email == CONTACT_EMAIL
    assert issue.status == Issue.Status.DISPATCHED  # routing ran after the commit
    assert lead_of(issue).agency == lead_agency

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    body = confirmation.content.decode()
    assert issue.tracking_number in body
    assert f'href="/track/{issue.access_token}/"' in body


def test_track_page_shows_status_and_public_timeline_but_no_personal_data_or_staff_names(
    client, english, routed_issue, lead_staff, lead_agency
):
    assignment = lead_of(routed_issue)
    assignments.assignment_accept(assignment_id=assignment.pk, actor=lead_staff)
    assignments.assignment_resolve(
        assignment_id=assignment.pk, actor=lead_staff, resolution=RESOLUTION
    )

    response = client.get(f"/track/{routed_issue.access_token}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert routed_issue.tracking_number in body
    assert re.search(r'data-testid="status"[^>]*>\s*Resolved\s*<', body)
    assert RESOLUTION in body
    for step in ("Received", "Sent to the responsible organisation", "Accepted for handling"):
        assert step in body
    assert lead_agency.name_en in body  # organisations are public, people are not
    for secret in (CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL, STAFF_USERNAME):
        assert secret not in body
    # The link is the resident's secret: never sent to another site in a Referer (and not
    # no-referrer, which makes Chromium post the forms with Origin: null: a CSRF 403).
    assert response["Referrer-Policy"] == "same-origin"


# The tracking page asks the same few queries however long the issue's history and however
# many issues, categories and organisations the city has (one more when it has photos): the
# issue, with its hot marks and expected deadline in the same statement, and its timeline.
TRACK_PAGE_QUERIES = 2


def _tracked_issue(*, updates: int, organisations: int):
    for _n in range(organisations):
        AgencyFactory()
    issue = issue_submit(title="Lamp out", description="Dark.", category=CategoryFactory())
    lead = AssignmentFactory(
        issue=issue, role=Assignment.Role.LEAD, due_at=timezone.now() + timedelta(days=3)
    )
    issue.status = Issue.Status.DISPATCHED
    issue.save(update_fields=["status"])
    for n in range(updates):
        assignments.assignment_reply(
            assignment_id=lead.pk, actor=member(lead.agency), message=f"On it {n}", public=True
        )
    return issue


def test_the_track_page_takes_the_same_few_queries_however_long_the_history(
    client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for updates, organisations in [(1, 3), (20, 30)]:
        issue = _tracked_issue(updates=updates, organisations=organisations)
        with (
            django_assert_max_num_queries(TRACK_PAGE_QUERIES),
            CaptureQueriesContext(connection) as captured,
        ):
            response = client.get(f"/track/{issue.access_token}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert body.count("On it") == updates
        assert 'data-testid="photos"' not in body
        # The lead's deadline, read in the issue's own statement.
        due = issue.assignments.get(role=Assignment.Role.LEAD).due_at
        assert (
            f'data-testid="expected-deadline"><time datetime="{localtime(due).isoformat()}"' in body
        )
        counts.append(len(captured))

    assert counts[0] == counts[1]


def test_track_page_of_an_unknown_token_answers_404(client):
    response = client.get("/track/" + "A" * 43 + "/")

    assert response.status_code == 404


def test_track_lookup_of_a_pasted_full_link_redirects_to_the_issue(client, routed_issue):
    link = f"http://testserver/track/{routed_issue.access_token}/"

    response = client.get("/track/", {"code": link})

    assert response.status_code == 302
    assert response["Location"] == f"/track/{routed_issue.access_token}/"


def test_track_lookup_of_a_bare_token_redirects_to_the_issue(client, routed_issue):
    response = client.get("/track/", {"code": f"  {routed_issue.access_token}  "})

    assert response.status_code == 302
    assert response["Location"] == f"/track/{routed_issue.access_token}/"


def test_track_lookup_of_garbage_answers_400_with_an_error_on_the_code(client, english):
    response = client.get("/track/", {"code": "my issue about the lamp"})

    assert response.status_code == 400
    summary = error_summary(response.content.decode())
    assert 'href="#id_code"' in summary
    assert "neither a tracking link nor a tracking number" in summary


# ---------------------------------------------------------------------- staff pages


def test_staff_queue_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/"


def test_staff_queue_is_forbidden_to_a_user_without_membership(client):
    client.force_login(UserFactory())

    assert client.get("/staff/").status_code == 403


def test_staff_queue_lists_the_agency_assignments_soonest_deadline_first(
    client, english, lead_agency, lead_staff
):
    now = timezone.now()
    later = AssignmentFactory(agency=lead_agency, due_at=now + timedelta(hours=48))
    sooner = AssignmentFactory(agency=lead_agency, due_at=now + timedelta(hours=3))
    client.force_login(lead_staff)

    response = client.get("/staff/")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(sooner.issue.tracking_number) < body.index(later.issue.tracking_number)
    assert "Overdue" not in body


def test_staff_queue_marks_an_overdue_assignment(client, english, lead_agency, lead_staff):
    now = timezone.now()
    late = AssignmentFactory(agency=lead_agency, due_at=now - timedelta(hours=1))
    on_time = AssignmentFactory(agency=lead_agency, due_at=now + timedelta(hours=5))
    client.force_login(lead_staff)

    body = client.get("/staff/").content.decode()

    rows = re.findall(r'<tr[^>]*data-testid="queue-row".*?</tr>', body, flags=re.DOTALL)
    assert len(rows) == 2
    late_row, on_time_row = rows  # the overdue one has the soonest deadline
    assert late.issue.tracking_number in late_row
    assert "Overdue" in late_row
    assert on_time.issue.tracking_number in on_time_row
    assert "Overdue" not in on_time_row


def test_other_agency_staff_neither_see_the_issue_in_their_queue_nor_open_it(
    client, routed_issue, other_staff
):
    client.force_login(other_staff)

    queue = client.get("/staff/")
    case = client.get(f"/staff/issues/{routed_issue.pk}/")

    assert queue.status_code == 200
    assert routed_issue.tracking_number not in queue.content.decode()
    assert case.status_code == 404


def test_lead_staff_see_the_routed_issue_in_their_queue_and_open_it(
    client, routed_issue, lead_staff
):
    client.force_login(lead_staff)

    queue = client.get("/staff/")
    case = client.get(f"/staff/issues/{routed_issue.pk}/")

    assert routed_issue.tracking_number in queue.content.decode()
    assert case.status_code == 200
    assert f'action="{accept_url(lead_of(routed_issue))}"' in case.content.decode()


def test_lead_staff_accept_then_resolve_through_the_case_page(client, routed_issue, lead_staff):
    assignment = lead_of(routed_issue)
    client.force_login(lead_staff)

    accepted = client.post(accept_url(assignment))

    assert accepted.status_code == 302
    assert accepted["Location"] == f"/staff/issues/{routed_issue.pk}/"
    routed_issue.refresh_from_db()
    assert routed_issue.status == Issue.Status.IN_PROGRESS
    assert handoff_count(routed_issue, Handoff.Kind.ACCEPTED) == 1

    resolved = client.post(resolve_url(assignment), {"resolution": RESOLUTION})

    assert resolved.status_code == 302
    routed_issue.refresh_from_db()
    assignment.refresh_from_db()
    assert routed_issue.status == Issue.Status.RESOLVED
    assert routed_issue.resolution == RESOLUTION
    assert assignment.status == Assignment.Status.DONE
    assert handoff_count(routed_issue, Handoff.Kind.RESOLVED) == 1


def test_other_agency_staff_cannot_accept_or_resolve(client, routed_issue, other_staff):
    assignment = lead_of(routed_issue)
    client.force_login(other_staff)

    assert client.post(accept_url(assignment)).status_code == 404
    assert client.post(resolve_url(assignment), {"resolution": "done"}).status_code == 404

    assignment.refresh_from_db()
    routed_issue.refresh_from_db()
    assert assignment.status == Assignment.Status.PENDING
    assert routed_issue.status == Issue.Status.DISPATCHED
    assert handoff_count(routed_issue, Handoff.Kind.ACCEPTED) == 0
    assert handoff_count(routed_issue, Handoff.Kind.RESOLVED) == 0


def test_resolving_a_pending_assignment_is_refused(client, english, routed_issue, lead_staff):
    assignment = lead_of(routed_issue)
    client.force_login(lead_staff)

    response = client.post(resolve_url(assignment), {"resolution": RESOLUTION}, follow=True)

    assert "Only an accepted assignment can be resolved." in messages_of(response.content.decode())
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.PENDING
    assert handoff_count(routed_issue, Handoff.Kind.RESOLVED) == 0


@pytest.mark.parametrize("action", ["accept", "resolve"])
def test_assignment_actions_refuse_get(client, routed_issue, lead_staff, action):
    assignment = lead_of(routed_issue)
    client.force_login(lead_staff)

    response = client.get(reverse(f"coordination:assignment_{action}", args=[assignment.pk]))

    assert response.status_code == 405
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.PENDING


def test_second_accept_shows_an_error_and_writes_no_second_handoff(
    client, english, routed_issue, lead_staff
):
    assignment = lead_of(routed_issue)
    client.force_login(lead_staff)
    client.post(accept_url(assignment))

    response = client.post(accept_url(assignment), follow=True)

    assert response.status_code == 200
    messages = messages_of(response.content.decode())
    assert 'class="message error"' in messages
    assert "already been accepted" in messages
    assert handoff_count(routed_issue, Handoff.Kind.ACCEPTED) == 1


def test_resolving_with_an_empty_resolution_leaves_the_assignment_accepted(
    client, english, routed_issue, lead_staff
):
    assignment = lead_of(routed_issue)
    client.force_login(lead_staff)
    client.post(accept_url(assignment))

    response = client.post(resolve_url(assignment), {"resolution": "   "}, follow=True)

    assert 'class="message error"' in messages_of(response.content.decode())
    assignment.refresh_from_db()
    routed_issue.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED
    assert routed_issue.status == Issue.Status.IN_PROGRESS
    assert routed_issue.resolution == ""
    assert handoff_count(routed_issue, Handoff.Kind.RESOLVED) == 0


# -------------------------------------------------------------- contact details


def case_page(client, user, issue: Issue) -> str:
    client.force_login(user)
    response = client.get(f"/staff/issues/{issue.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def shows_contact(body: str) -> bool:
    shown = [value in body for value in (CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL)]
    assert all(shown) or not any(shown), "contact details shown only in part"
    return all(shown)


def test_lead_staff_see_the_contact_details(client, routed_issue, lead_staff):
    assert shows_contact(case_page(client, lead_staff, routed_issue))


def test_dispatcher_sees_the_contact_details(client, routed_issue, dispatcher):
    assert shows_contact(case_page(client, dispatcher, routed_issue))


def test_co_handler_staff_do_not_see_the_contact_details(client, routed_issue, co_staff):
    assert not shows_contact(case_page(client, co_staff, routed_issue))


def test_anonymous_report_contact_details_are_hidden_from_the_lead_staff(
    client, anonymous_issue, lead_staff
):
    assert not shows_contact(case_page(client, lead_staff, anonymous_issue))


def test_anonymous_report_contact_details_are_hidden_from_co_handler_staff(
    client, anonymous_issue, co_staff
):
    assert not shows_contact(case_page(client, co_staff, anonymous_issue))


def test_anonymous_report_contact_details_are_shown_to_the_dispatcher(
    client, anonymous_issue, dispatcher
):
    assert shows_contact(case_page(client, dispatcher, anonymous_issue))


# ----------------------------------------------------------------------- dispatcher


def test_dispatch_page_is_forbidden_to_agency_staff(client, lead_staff):
    client.force_login(lead_staff)

    assert client.get("/dispatch/").status_code == 403


def test_dispatch_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/dispatch/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dispatch_page_lists_issues_in_triage_only(client, dispatcher, triage_issue, routed_issue):
    client.force_login(dispatcher)

    response = client.get("/dispatch/")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="triage-issue"') == 1
    assert triage_issue.tracking_number in body
    # The routed issue may be named as a possible duplicate, but it is not in triage.
    # Each triage card opens the issue on the workbench, at its dispatch form.
    assert f'/dispatch/issues/{routed_issue.pk}/#dispatch-heading"' not in body
    assert f'/dispatch/issues/{triage_issue.pk}/#dispatch-heading"' in body


def test_dispatching_by_hand_assigns_the_lead_and_co_handlers(
    client, dispatcher, triage_issue, lead_agency, co_agency, other_agency
):
    client.force_login(dispatcher)

    response = client.post(
        reverse("coordination:issue_dispatch", args=[triage_issue.pk]),
        {"lead": lead_agency.pk, "co_handlers": [co_agency.pk, other_agency.pk], "note": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == "/dispatch/"
    triage_issue.refresh_from_db()
    assert triage_issue.status == Issue.Status.DISPATCHED
    assert {(a.agency.code, a.role, a.status) for a in triage_issue.assignments.all()} == {
        ("env", Assignment.Role.LEAD, Assignment.Status.PENDING),
        ("police", Assignment.Role.CO_HANDLER, Assignment.Status.PENDING),
        ("water", Assignment.Role.CO_HANDLER, Assignment.Status.PENDING),
    }
    dispatched = triage_issue.handoffs.get(kind=Handoff.Kind.DISPATCHED)
    assert dispatched.to_agency == lead_agency
    assert dispatched.actor == dispatcher


def test_dispatching_with_the_lead_also_as_co_handler_is_refused(
    client, english, dispatcher, triage_issue, lead_agency, co_agency
):
    client.force_login(dispatcher)

    response = client.post(
        reverse("coordination:issue_dispatch", args=[triage_issue.pk]),
        {"lead": lead_agency.pk, "co_handlers": [lead_agency.pk, co_agency.pk]},
        follow=True,
    )

    assert response.status_code == 200
    messages = messages_of(response.content.decode())
    assert 'class="message error"' in messages
    assert "The lead cannot also be a co-handler." in messages
    triage_issue.refresh_from_db()
    assert triage_issue.status == Issue.Status.TRIAGE
    assert not triage_issue.assignments.exists()
    assert handoff_count(triage_issue, Handoff.Kind.DISPATCHED) == 0


def test_agency_staff_cannot_dispatch_by_hand(client, lead_staff, triage_issue, lead_agency):
    client.force_login(lead_staff)

    response = client.post(
        reverse("coordination:issue_dispatch", args=[triage_issue.pk]), {"lead": lead_agency.pk}
    )

    assert response.status_code == 403
    assert not triage_issue.assignments.exists()


# ---------------------------------------------------------------------------- login


def test_staff_sign_in_lands_on_the_work_queue(client, lead_staff):
    response = client.post(
        "/accounts/login/", {"username": STAFF_USERNAME, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [("/accounts/welcome/", 302), ("/staff/", 302)]


def test_dispatcher_sign_in_lands_on_the_dispatch_page(client, dispatcher):
    response = client.post(
        "/accounts/login/",
        {"username": dispatcher.username, "password": PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain == [("/accounts/welcome/", 302), ("/dispatch/", 302)]


def test_sign_in_with_a_wrong_password_stays_on_the_login_page(client, lead_staff):
    response = client.post(
        "/accounts/login/", {"username": STAFF_USERNAME, "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert '<div class="error-summary"' in response.content.decode()
    assert "_auth_user_id" not in client.session


# ------------------------------------------------------------------------- language


def test_pages_are_in_chinese_by_default(client):
    body = client.get("/").content.decode()

    assert '<html lang="zh-hans">' in body


def test_english_can_be_chosen_with_the_language_switch(client):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/report/"})

    assert switched.status_code == 302
    assert switched["Location"] == "/report/"
    body = client.get("/report/").content.decode()
    assert '<html lang="en">' in body
    assert "Report a problem" in body


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("fr-FR,fr;q=0.9", "zh-hans"),
    ],
)
def test_page_language_follows_the_browser_preference(client, accept_language, lang):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language).content.decode()

    assert f'<html lang="{lang}">' in body


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "report",
        "track_lookup",
        "submitted",
        "track",
        "not_found",
        "login",
        "forbidden",
        "staff_queue",
        "staff_issue",
        "dispatch",
    ],
)
def test_every_page_has_a_viewport_and_a_skip_link(
    client, page, routed_issue, lead_staff, dispatcher
):
    token = routed_issue.access_token
    as_user, path, status = {
        "home": (None, "/", 200),
        "report": (None, "/report/", 200),
        "track_lookup": (None, "/track/", 200),
        "submitted": (None, f"/report/submitted/{token}/", 200),
        "track": (None, f"/track/{token}/", 200),
        "not_found": (None, "/track/" + "B" * 43 + "/", 404),
        "login": (None, "/accounts/login/", 200),
        "forbidden": (lead_staff, "/dispatch/", 403),
        "staff_queue": (lead_staff, "/staff/", 200),
        "staff_issue": (lead_staff, f"/staff/issues/{routed_issue.pk}/", 200),
        "dispatch": (dispatcher, "/dispatch/", 200),
    }[page]
    if as_user is not None:
        client.force_login(as_user)

    response = client.get(path)

    assert response.status_code == status
    body = response.content.decode()
    assert re.search(r'<meta name="viewport" content="[^"]*width=device-width', body)
    assert re.search(r'<a class="skip-link" href="#main">', body)
    assert 'id="main"' in body
