"""The REST API of API.md: each endpoint as anonymous, as staff of the lead agency, of a
co-handler, of another agency, as the dispatcher and as an administrator."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agencies.models import Agency, Membership
from coordination.dispatch.models import Assignment, CoordinationRequest, Handoff
from coordination.dispatch.services.routing import issue_dispatch
from issues.models import Issue
from issues.services import issue_submit
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, AgencyFactory, CategoryFactory, UserFactory, member

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def city():
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    housing = AgencyFactory(code="housing")
    street = AgencyFactory(code="street", kind=Agency.Kind.STREET_OFFICE)
    police = AgencyFactory(code="police")
    noise = CategoryFactory(code="noise")
    CategoryFactory(code="construction-noise", parent=noise)
    return {
        "centre": centre,
        "housing": housing,
        "street": street,
        "police": police,
        "noise": noise,
        "dispatcher": member(centre, username="dispatcher"),
        "lead": member(housing, username="staff_housing"),
        "co": member(street, username="staff_street"),
        "other": member(police, username="staff_police"),
        "manager": member(police, role=Membership.Role.MANAGER, username="manager_police"),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
    }


def _file(city, **overrides) -> Issue:
    fields = {
        "title": "Night-time construction noise",
        "description": "Drilling after midnight every night.",
        "category": city["noise"],
        "lat": 39.9,
        "lon": 116.4,
        "contact_name": "Li Hua",
        "contact_phone": "13812345678",
        "contact_email": "lihua@example.org",
        **overrides,
    }
    return issue_submit(**fields)


@pytest.fixture
def issue(city) -> Issue:
    """Filed and dispatched by hand: housing leads, the street office co-handles."""
    filed = _file(city)
    return issue_dispatch(
        issue_id=filed.pk,
        lead=city["housing"],
        co_handlers=[city["street"]],
        actor=city["dispatcher"],
    )


def lead_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.LEAD, status__in=["pending", "accepted"])


def co_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.CO_HANDLER)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --------------------------------------------------------------------------- auth token


def test_token_is_issued_for_good_credentials_and_authenticates_requests(city, issue):
    anonymous = APIClient()
    response = anonymous.post(
        "/api/v1/auth/token/",
        {"username": "staff_housing", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(key=token).user == city["lead"]

    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = anonymous.get("/api/v1/assignments/")
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [lead_of(issue).pk]


def test_token_is_refused_for_bad_credentials_with_field_errors(city):
    client = APIClient()
    wrong = client.post(
        "/api/v1/auth/token/", {"username": "staff_housing", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400
    assert "non_field_errors" in wrong.json()
    missing = client.post("/api/v1/auth/token/", {"username": "staff_housing"}, format="json")
    assert missing.status_code == 400
    assert "password" in missing.json()


def test_a_bad_token_is_not_accepted(city):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/assignments/").status_code in (401, 403)


# ---------------------------------------------------------------------------- residents


def test_categories_are_a_plain_list_with_parent_codes(city):
    response = client_for().get("/api/v1/categories/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert set(rows["construction-noise"]) == {"code", "name", "parent", "service_code"}
    assert rows["construction-noise"]["parent"] == "noise"
    assert rows["noise"]["parent"] is None
    assert rows["noise"]["service_code"] == "NOISE"


def test_a_resident_files_an_issue_without_logging_in(city):
    response = client_for().post(
        "/api/v1/issues/",
        {
            "title": "Broken street light",
            "description": "Dark for three nights.",
            "category": "noise",
            "lat": 39.9,
            "lon": 116.4,
            "contact_phone": "13812345678",
            "anonymous": True,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "tracking_number", "access_token", "status"}
    issue = Issue.objects.get(pk=body["id"])
    assert issue.access_token == body["access_token"]
    assert issue.channel == Issue.Channel.API
    assert issue.anonymous is True
    assert issue.category == city["noise"]
    assert body["status"] == Issue.Status.SUBMITTED


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"description": "no title"}, "title"),
        ({"title": "t"}, "description"),
        ({"title": "t", "description": "d", "category": "no-such-code"}, "category"),
        ({"title": "t", "description": "d", "lat": "north", "lon": 116.4}, "lat"),
        ({"title": "t", "description": "d", "lat": 39.9}, "lon"),
        ({"title": "t", "description": "d", "lat": 91, "lon": 116.4}, "lat"),
        ({"title": "t", "description": "d", "contact_email": "not-an-email"}, "contact_email"),
        ({"title": "t", "description": "d", "channel": "pigeon"}, "channel"),
        ({"title": "t", "description": "d", "anonymous": "perhaps"}, "anonymous"),
        ({"title": ["t"], "description": "d"}, "title"),
    ],
)
def test_a_bad_issue_is_refused_naming_the_field(city, payload, field):
    response = client_for().post("/api/v1/issues/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Issue.objects.exists()


def test_the_same_idempotency_key_answers_the_same_issue(city):
    client = client_for()
    payload = {"title": "Pothole", "description": "Deep one on Elm Street."}
    key = str(uuid.uuid4())
    first = client.post("/api/v1/issues/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = client.post("/api/v1/issues/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    other = client.post(
        "/api/v1/issues/", payload, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert other.json()["id"] != first.json()["id"]
    assert Issue.objects.count() == 2


def test_a_refused_submission_does_not_use_up_its_idempotency_key(city):
    client = client_for()
    key = str(uuid.uuid4())
    bad = client.post("/api/v1/issues/", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    good = client.post(
        "/api/v1/issues/",
        {"title": "x", "description": "y"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert bad.status_code == 400
    assert good.status_code == 201


# Filing asks the same few queries however many categories, areas and organisations there
# are (the routing it enqueues after commit is the router's, counted by its own tests).
FILING_QUERIES = 9


def test_filing_takes_the_same_few_queries_however_big_the_city(
    city, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AreaFactory

    counts = []
    for size in (3, 30):
        for n in range(size):
            AgencyFactory()
            CategoryFactory(parent=city["noise"])
            AreaFactory(code=f"area-{size}-{n}")
        with (
            django_assert_max_num_queries(FILING_QUERIES),
            CaptureQueriesContext(connection) as captured,
        ):
            response = client_for().post(
                "/api/v1/issues/",
                {
                    "title": "Broken street light",
                    "description": "Dark for three nights.",
                    "category": "noise",
                    "lat": 39.9,
                    "lon": 116.4,
                    "contact_phone": "13812345678",
                },
                format="json",
            )
        assert response.status_code == 201
        counts.append(len(captured))

    assert counts[0] == counts[1]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_file_one_issue(city):
    key = str(uuid.uuid4())

    def post(_n):
        response = client_for().post(
            "/api/v1/issues/",
            {"title": "Flooded underpass", "description": "Knee-deep water."},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        return response.status_code, response.json()

    results = run_at_once(post)
    assert [kind for kind, _answer in results] == ["ok", "ok"], results
    answers = [answer for _kind, answer in results]
    assert [code for code, _body in answers] == [201, 201]
    # The same issue; its status is the current one (routing may have moved it meanwhile).
    same = ("id", "tracking_number", "access_token")
    assert [answers[0][1][f] for f in same] == [answers[1][1][f] for f in same]
    assert Issue.objects.filter(title="Flooded underpass").count() == 1


def test_a_cache_outage_still_files_the_issue(city, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    response = client_for().post(
        "/api/v1/issues/",
        {"title": "Pothole", "description": "Deep."},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 201
    assert Issue.objects.count() == 1


def test_tracking_shows_the_public_timeline_without_personal_data(city, issue):
    response = client_for().get(f"/api/v1/track/{issue.access_token}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "tracking_number",
        "title",
        "category",
        "status",
        "created_at",
        "resolution",
        "timeline",
    }
    assert body["category"] == "noise"
    assert [entry["kind"] for entry in body["timeline"]] == ["submitted", "dispatched"]
    assert set(body["timeline"][0]) == {"kind", "at", "note"}
    text = response.content.decode()
    for secret in ("Li Hua", "13812345678", "lihua@example.org", "dispatcher", "staff_"):
        assert secret not in text


def test_tracking_an_unknown_token_answers_404(city):
    client = client_for()
    assert client.get("/api/v1/track/no-such-token/").status_code == 404
    assert client.post("/api/v1/track/no-such-token/feedback/", {"rating": 5}).status_code == 404
    assert client.post("/api/v1/track/no-such-token/reopen/", {"reason": "x"}).status_code == 404


def test_feedback_before_resolution_is_refused_with_a_detail(city, issue):
    response = client_for().post(
        f"/api/v1/track/{issue.access_token}/feedback/", {"rating": 5}, format="json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_bad_rating_is_refused_naming_the_field(city, issue, rating):
    response = client_for().post(
        f"/api/v1/track/{issue.access_token}/feedback/", {"rating": rating}, format="json"
    )
    assert response.status_code == 400
    assert "rating" in response.json()


def test_reopening_an_open_issue_is_refused(city, issue):
    client = client_for()
    url = f"/api/v1/track/{issue.access_token}/reopen/"
    assert "reason" in client.post(url, {}, format="json").json()
    response = client.post(url, {"reason": "Still noisy"}, format="json")
    assert response.status_code == 400
    assert "detail" in response.json()


# --------------------------------------------------------------------- staff: the issues


def test_the_issue_list_needs_a_login(city, issue):
    assert client_for().get("/api/v1/issues/").status_code in (401, 403)


def test_staff_list_only_the_issues_their_agency_holds(city, issue):
    untouched = _file(city, title="Someone else's problem")
    for user, expected in [
        ("lead", {issue.pk}),
        ("co", {issue.pk}),
        ("other", set()),
        ("dispatcher", {issue.pk, untouched.pk}),
    ]:
        response = client_for(city[user]).get("/api/v1/issues/")
        assert response.status_code == 200, user
        assert {row["id"] for row in response.json()["results"]} == expected, user


def test_the_issue_list_filters(city, issue):
    client = client_for(city["dispatcher"])
    quiet = _file(city, title="Overflowing bin", category=None)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/issues/?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("status=dispatched") == {issue.pk}
    assert ids("status=submitted") == {quiet.pk}
    assert ids("category=noise") == {issue.pk}
    assert ids("search=bin") == {quiet.pk}
    assert ids(f"search={issue.tracking_number}") == {issue.pk}
    assert ids("overdue=true") == set()
    Assignment.objects.filter(issue=issue).update(
        response_due_at=timezone.now() - timedelta(hours=1)
    )
    assert ids("overdue=true") == {issue.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=lost", "status"), ("category=nope", "category"), ("overdue=maybe", "overdue")],
)
def test_a_bad_issue_filter_names_the_field(city, issue, query, field):
    response = client_for(city["lead"]).get(f"/api/v1/issues/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_the_lead_and_the_dispatcher_see_the_contact_data(city, issue):
    for user in ("lead", "dispatcher", "admin"):
        response = client_for(city[user]).get(f"/api/v1/issues/{issue.pk}/")
        assert response.status_code == 200, user
        body = response.json()
        assert body["contact_name"] == "Li Hua", user
        assert body["contact_phone"] == "13812345678", user
        assert body["contact_email"] == "lihua@example.org", user


def test_a_co_handler_sees_only_the_masked_phone(city, issue):
    body = client_for(city["co"]).get(f"/api/v1/issues/{issue.pk}/").json()
    assert body["contact_phone"] == "138****5678"
    assert body["contact_name"] is None
    assert body["contact_email"] is None
    assert "Li Hua" not in str(body)


def test_an_anonymous_residents_contact_goes_to_the_dispatcher_alone(city):
    filed = _file(city, anonymous=True)
    issue_dispatch(
        issue_id=filed.pk,
        lead=city["housing"],
        co_handlers=[city["street"]],
        actor=city["dispatcher"],
    )
    for user in ("lead", "co"):
        body = client_for(city[user]).get(f"/api/v1/issues/{filed.pk}/").json()
        assert body["contact_phone"] is None, user
        assert body["contact_name"] is None, user
    body = client_for(city["dispatcher"]).get(f"/api/v1/issues/{filed.pk}/").json()
    assert body["contact_phone"] == "13812345678"


def test_the_issue_carries_its_assignments(city, issue):
    body = client_for(city["lead"]).get(f"/api/v1/issues/{issue.pk}/").json()
    rows = {row["agency"]: row for row in body["assignments"]}
    assert set(rows) == {"housing", "street"}
    assert rows["housing"]["role"] == "lead"
    assert rows["street"]["role"] == "co_handler"
    assert {
        "id",
        "agency",
        "role",
        "status",
        "response_due_at",
        "due_at",
        "accepted_at",
        "done_at",
        "resolution",
        "overdue",
    } <= set(rows["housing"])
    assert rows["housing"]["overdue"] is False


def test_an_issue_another_agency_holds_answers_404(city, issue):
    client = client_for(city["other"])
    assert client.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    assert client.get(f"/api/v1/issues/{issue.pk}/handoffs/").status_code == 404
    missing = client_for(city["dispatcher"])
    assert missing.get("/api/v1/issues/999999/").status_code == 404
    assert missing.get("/api/v1/issues/99999999999999999999999999/").status_code == 404


def test_handoffs_are_the_full_record_oldest_first(city, issue):
    response = client_for(city["lead"]).get(f"/api/v1/issues/{issue.pk}/handoffs/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["kind"] for row in rows] == ["submitted", "dispatched"]
    dispatched = rows[1]
    assert dispatched["from_agency"] == "centre"
    assert dispatched["to_agency"] == "housing"
    assert dispatched["actor"] == "dispatcher"
    assert dispatched["details"]["co_handlers"] == ["street"]
    assert {"kind", "at", "from_agency", "to_agency", "actor", "note", "details"} <= set(rows[0])


# ----------------------------------------------------------------- staff: the assignments


def test_the_queue_holds_the_agencys_own_assignments(city, issue):
    rows = client_for(city["lead"]).get("/api/v1/assignments/?status=pending").json()["results"]
    assert [row["id"] for row in rows] == [lead_of(issue).pk]
    assert rows[0]["tracking_number"] == issue.tracking_number
    assert client_for(city["other"]).get("/api/v1/assignments/").json()["results"] == []
    assert client_for(city["lead"]).get("/api/v1/assignments/?status=done").json()["count"] == 0


def test_a_bad_queue_filter_names_the_field(city, issue):
    response = client_for(city["lead"]).get("/api/v1/assignments/?status=lost")
    assert response.status_code == 400
    assert "status" in response.json()


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("accept", {}),
        ("bounce", {"reason": "Not ours"}),
        ("transfer", {"reason": "Not ours"}),
        ("cohandle", {"agencies": ["police"], "reason": "Help"}),
        ("whistle", {"agencies": ["police"], "reason": "Come"}),
        ("reply", {"message": "Hello"}),
        ("resolve", {"resolution": "Done"}),
        ("appeal", {"reason": "Unfair"}),
        ("extension", {"until": "2099-01-01T00:00:00+08:00", "reason": "More"}),
    ],
)
def test_another_agencys_assignment_answers_404(city, issue, action, body):
    assignment = lead_of(issue)
    response = client_for(city["other"]).post(
        f"/api/v1/assignments/{assignment.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 404
    assert client_for().post(f"/api/v1/assignments/{assignment.pk}/{action}/").status_code in (
        401,
        403,
    )


def test_accepting_twice_is_refused_with_a_detail(city, issue):
    client = client_for(city["lead"])
    url = f"/api/v1/assignments/{lead_of(issue).pk}/accept/"
    first = client.post(url)
    assert first.status_code == 200
    assert first.json()["status"] == "accepted"
    second = client.post(url)
    assert second.status_code == 400
    # The uniform body of a refused change: a message for people, a code for programs.
    assert set(second.json()) == {"detail", "code"}
    assert second.json()["code"] == "assignment_accepted_to_accepted_not_allowed"
    assert second.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("bounce", {}, "reason"),
        ("transfer", {"reason": "x", "suggested_agency": "nowhere"}, "suggested_agency"),
        ("transfer", {"reason": "x", "suggested_agency": "centre"}, "suggested_agency"),
        ("cohandle", {"reason": "x", "agencies": []}, "agencies"),
        ("cohandle", {"reason": "x", "agencies": "police"}, "agencies"),
        ("cohandle", {"reason": "x", "agencies": ["nowhere"]}, "agencies"),
        ("whistle", {"reason": "x"}, "agencies"),
        ("extension", {"reason": "x", "until": "next week"}, "until"),
        ("reply", {"public": True}, "message"),
        ("reply", {"message": "x", "public": "loudly"}, "public"),
        ("resolve", {}, "resolution"),
        ("resolve", {"resolution": ""}, "resolution"),
    ],
)
def test_bad_action_input_names_the_field(city, issue, action, body, field):
    response = client_for(city["lead"]).post(
        f"/api/v1/assignments/{lead_of(issue).pk}/{action}/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_requests_answer_201_with_the_request(city, issue):
    client = client_for(city["lead"])
    base = f"/api/v1/assignments/{lead_of(issue).pk}"
    transfer = client.post(
        f"{base}/transfer/", {"reason": "Police matter", "suggested_agency": "police"}
    )
    assert transfer.status_code == 201
    assert transfer.json()["kind"] == "transfer"
    assert transfer.json()["status"] == "open"
    assert transfer.json()["payload"] == {"suggested_agency": "police"}
    assert {"id", "kind", "status", "reason", "payload"} <= set(transfer.json())
    again = client.post(f"{base}/transfer/", {"reason": "Again"})
    assert again.status_code == 400
    assert "detail" in again.json()
    cohandle = client.post(
        f"{base}/cohandle/", {"agencies": ["police"], "reason": "Need police"}, format="json"
    )
    assert cohandle.status_code == 201
    assert cohandle.json()["payload"] == {"agencies": ["police"]}
    until = (lead_of(issue).due_at + timedelta(days=3)).isoformat()
    extension = client.post(f"{base}/extension/", {"until": until, "reason": "Parts"})
    assert extension.status_code == 201
    assert extension.json()["kind"] == "extension"


def test_a_co_handler_cannot_ask_for_a_transfer(city, issue):
    response = client_for(city["co"]).post(
        f"/api/v1/assignments/{co_of(issue).pk}/transfer/", {"reason": "Not ours"}
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_only_a_street_office_whistles(city, issue):
    lead = client_for(city["lead"]).post(
        f"/api/v1/assignments/{lead_of(issue).pk}/whistle/",
        {"agencies": ["police"], "reason": "Come"},
        format="json",
    )
    assert lead.status_code == 400
    assert "detail" in lead.json()
    street = client_for(city["co"]).post(
        f"/api/v1/assignments/{co_of(issue).pk}/whistle/",
        {"agencies": ["police"], "reason": "Come and see the site"},
        format="json",
    )
    assert street.status_code == 201
    summoned = street.json()["summoned"]
    assert [(row["agency"], row["role"], row["summoned"]) for row in summoned] == [
        ("police", "co_handler", True)
    ]
    assert client_for(city["other"]).get(f"/api/v1/issues/{issue.pk}/").status_code == 200


def test_a_full_staff_flow_ends_with_the_residents_rating(city, issue):
    staff = client_for(city["lead"])
    base = f"/api/v1/assignments/{lead_of(issue).pk}"
    assert staff.post(f"{base}/accept/").status_code == 200
    reply = staff.post(
        f"{base}/reply/", {"message": "We will visit tomorrow.", "public": True}, format="json"
    )
    assert reply.status_code == 200
    note = staff.post(f"{base}/reply/", {"message": "Internal: bring a meter."}, format="json")
    assert note.status_code == 200
    resolved = staff.post(f"{base}/resolve/", {"resolution": "Work hours enforced."})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "done"

    resident = client_for()
    track = resident.get(f"/api/v1/track/{issue.access_token}/").json()
    assert track["status"] == "resolved"
    assert track["resolution"] == "Work hours enforced."
    notes = [entry["note"] for entry in track["timeline"]]
    assert "We will visit tomorrow." in notes
    assert "Internal: bring a meter." not in str(track)

    rated = resident.post(
        f"/api/v1/track/{issue.access_token}/feedback/",
        {"rating": 5, "comment": "Quiet now"},
        format="json",
    )
    assert rated.status_code == 200
    assert rated.json()["status"] == "closed"
    twice = resident.post(
        f"/api/v1/track/{issue.access_token}/feedback/", {"rating": 4}, format="json"
    )
    assert twice.status_code == 400
    assert "detail" in twice.json()
    kinds = [row["kind"] for row in staff.get(f"/api/v1/issues/{issue.pk}/handoffs/").json()]
    assert kinds[-5:] == ["accepted", "replied", "replied", "resolved", "feedback"]


def test_a_low_rating_sends_the_issue_back_and_the_lead_may_appeal(city, issue):
    staff = client_for(city["lead"])
    first = lead_of(issue)
    staff.post(f"/api/v1/assignments/{first.pk}/accept/")
    staff.post(f"/api/v1/assignments/{first.pk}/resolve/", {"resolution": "Fixed"})
    rated = client_for().post(
        f"/api/v1/track/{issue.access_token}/feedback/", {"rating": 1}, format="json"
    )
    assert rated.status_code == 200
    assert rated.json()["status"] == "dispatched"
    appeal = staff.post(f"/api/v1/assignments/{first.pk}/appeal/", {"reason": "Not our fault"})
    assert appeal.status_code == 201
    assert appeal.json()["kind"] == "appeal"
    assert appeal.json()["payload"]["rating"] == 1


def test_a_resident_reopens_a_resolved_issue(city, issue):
    staff = client_for(city["lead"])
    assignment = lead_of(issue)
    staff.post(f"/api/v1/assignments/{assignment.pk}/accept/")
    staff.post(f"/api/v1/assignments/{assignment.pk}/resolve/", {"resolution": "Fixed"})
    response = client_for().post(
        f"/api/v1/track/{issue.access_token}/reopen/", {"reason": "It is back"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"
    assert lead_of(issue).redo is True


# --------------------------------------------------------------------------- dispatcher


def test_the_dispatch_queue_is_for_the_dispatcher(city, issue):
    triaged = _file(city, title="Unroutable")
    Issue.objects.filter(pk=triaged.pk).update(status=Issue.Status.TRIAGE)
    client_for(city["lead"]).post(
        f"/api/v1/assignments/{lead_of(issue).pk}/bounce/", {"reason": "Not ours"}
    )
    response = client_for(city["dispatcher"]).get("/api/v1/dispatch/queue/")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["triage"]] == [triaged.pk]
    assert [row["kind"] for row in body["requests"]] == ["bounce"]
    assert client_for(city["lead"]).get("/api/v1/dispatch/queue/").status_code == 403
    assert client_for().get("/api/v1/dispatch/queue/").status_code in (401, 403)


def test_the_dispatcher_dispatches_by_hand(city):
    triaged = _file(city)
    Issue.objects.filter(pk=triaged.pk).update(status=Issue.Status.TRIAGE)
    url = f"/api/v1/issues/{triaged.pk}/dispatch/"
    assert client_for(city["lead"]).post(url, {"lead": "housing"}, format="json").status_code == 404
    dispatcher = client_for(city["dispatcher"])
    for body, field in [
        ({}, "lead"),
        ({"lead": "nowhere"}, "lead"),
        ({"lead": "centre"}, "lead"),
        ({"lead": "housing", "co_handlers": ["nowhere"]}, "co_handlers"),
    ]:
        refused = dispatcher.post(url, body, format="json")
        assert refused.status_code == 400
        assert field in refused.json()
    response = dispatcher.post(url, {"lead": "housing", "co_handlers": ["street"]}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"
    assert {(a["agency"], a["role"]) for a in response.json()["assignments"]} == {
        ("housing", "lead"),
        ("street", "co_handler"),
    }
    again = dispatcher.post(url, {"lead": "police"}, format="json")
    assert again.status_code == 400
    assert "detail" in again.json()


def test_a_bounce_is_approved_with_a_new_lead(city, issue):
    old = lead_of(issue)
    bounced = client_for(city["lead"]).post(
        f"/api/v1/assignments/{old.pk}/bounce/", {"reason": "This is a police matter"}
    )
    assert bounced.status_code == 201
    request_id = bounced.json()["id"]

    assert client_for(city["lead"]).get("/api/v1/coordination-requests/").status_code == 403
    staff_approve = client_for(city["lead"]).post(
        f"/api/v1/coordination-requests/{request_id}/approve/", {"reassign_to": "police"}
    )
    assert staff_approve.status_code == 404

    dispatcher = client_for(city["dispatcher"])
    listing = dispatcher.get("/api/v1/coordination-requests/?kind=bounce&status=open")
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [request_id]
    assert dispatcher.get("/api/v1/coordination-requests/?kind=other").status_code == 400

    unknown = dispatcher.post(
        f"/api/v1/coordination-requests/{request_id}/approve/", {"reassign_to": "nowhere"}
    )
    assert unknown.status_code == 400
    assert "reassign_to" in unknown.json()
    approved = dispatcher.post(
        f"/api/v1/coordination-requests/{request_id}/approve/",
        {"note": "Police, please", "reassign_to": "police"},
        format="json",
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "dispatcher"
    old.refresh_from_db()
    assert old.status == Assignment.Status.RETURNED
    assert lead_of(issue).agency.code == "police"
    police_queue = client_for(city["other"]).get("/api/v1/assignments/").json()["results"]
    assert [row["issue"] for row in police_queue] == [issue.pk]
    twice = dispatcher.post(f"/api/v1/coordination-requests/{request_id}/reject/", {"note": "No"})
    assert twice.status_code == 400
    assert "detail" in twice.json()
    assert Handoff.objects.filter(issue=issue, kind=Handoff.Kind.BOUNCE_APPROVED).count() == 1


def test_a_rejected_request_leaves_the_assignment_with_its_agency(city, issue):
    old = lead_of(issue)
    request_id = (
        client_for(city["lead"])
        .post(f"/api/v1/assignments/{old.pk}/bounce/", {"reason": "Not ours"})
        .json()["id"]
    )
    dispatcher = client_for(city["dispatcher"])
    url = f"/api/v1/coordination-requests/{request_id}/reject/"
    assert "note" in dispatcher.post(url, {}).json()
    rejected = dispatcher.post(url, {"note": "It is yours"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert lead_of(issue) == old
    assert CoordinationRequest.objects.get(pk=request_id).decision_note == "It is yours"


def test_the_dispatcher_escalates_and_merges(city, issue):
    duplicate = _file(city, title="Same noise again")
    dispatcher = client_for(city["dispatcher"])
    assert "note" in dispatcher.post(f"/api/v1/issues/{issue.pk}/escalate/", {}).json()
    escalated = dispatcher.post(f"/api/v1/issues/{issue.pk}/escalate/", {"note": "Today."})
    assert escalated.status_code == 201
    assert escalated.json()["kind"] == "escalated"
    for body in ({}, {"into": 999999}, {"into": "first"}):
        refused = dispatcher.post(f"/api/v1/issues/{duplicate.pk}/merge/", body, format="json")
        assert refused.status_code == 400
        assert "into" in refused.json()
    itself = dispatcher.post(f"/api/v1/issues/{duplicate.pk}/merge/", {"into": duplicate.pk})
    assert itself.status_code == 400
    assert "detail" in itself.json()
    merged = dispatcher.post(f"/api/v1/issues/{duplicate.pk}/merge/", {"into": issue.pk})
    assert merged.status_code == 200
    assert merged.json()["status"] == "merged"
    assert merged.json()["merged_into"] == issue.pk


def test_staff_cannot_escalate_or_merge(city, issue):
    staff = client_for(city["lead"])
    assert staff.post(f"/api/v1/issues/{issue.pk}/escalate/", {"note": "x"}).status_code == 404
    assert staff.post(f"/api/v1/issues/{issue.pk}/merge/", {"into": issue.pk}).status_code == 404


# ------------------------------------------------------------ managers and administrators


def test_stats_are_for_managers_dispatchers_and_administrators(city, issue):
    for user in ("manager", "dispatcher", "admin"):
        response = client_for(city[user]).get("/api/v1/stats/agencies/")
        assert response.status_code == 200, user
    assert client_for(city["lead"]).get("/api/v1/stats/agencies/").status_code == 403
    assert client_for().get("/api/v1/stats/agencies/").status_code in (401, 403)
    rows = {
        r["agency"]: r for r in client_for(city["dispatcher"]).get("/api/v1/stats/agencies/").json()
    }
    assert {
        "agency",
        "assigned",
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "bounce_rate",
        "redo_rate",
        "overdue",
    } <= set(rows["housing"])
    assert rows["housing"]["assigned"] == 1
    assert "centre" not in rows


def test_a_manager_sees_the_rates_of_their_own_reach_only(city, issue):
    """The police's manager sees the police's rates, not housing's (as on the dashboard)."""
    response = client_for(city["manager"]).get("/api/v1/stats/agencies/")
    assert response.status_code == 200
    assert [row["agency"] for row in response.json()] == ["police"]


def test_stats_take_a_period_by_dates_or_datetimes(city, issue):
    client = client_for(city["dispatcher"])
    today = timezone.localdate()
    within = client.get(f"/api/v1/stats/agencies/?from={today}&to={today}").json()
    assert {r["agency"]: r["assigned"] for r in within}["housing"] == 1
    later = (timezone.now() + timedelta(days=1)).isoformat()
    after = client.get("/api/v1/stats/agencies/", {"from": later}).json()
    assert {r["agency"]: r["assigned"] for r in after}["housing"] == 0
    for query, field in [
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("to=9999-12-31", "to"),
        (f"from={today}&to={today - timedelta(days=3)}", "to"),
    ]:
        response = client.get(f"/api/v1/stats/agencies/?{query}")
        assert response.status_code == 400, query
        assert field in response.json(), query


def test_agencies_are_listed_for_administrators(city):
    response = client_for(city["admin"]).get("/api/v1/agencies/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert {"code", "name", "kind", "parent", "area", "active"} <= set(rows["street"])
    assert rows["street"]["kind"] == "street_office"
    assert client_for(city["admin"]).get("/api/v1/agencies/street/").status_code == 200
    assert client_for(city["lead"]).get("/api/v1/agencies/").status_code == 403
    assert client_for(city["dispatcher"]).get("/api/v1/agencies/").status_code == 403
