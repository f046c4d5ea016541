"""The permission matrix: every page and API endpoint × every role.

Each route of the URL resolver (outside the admin, the static files, the language switch and
the API's schema and docs, which have checks of their own at the end) has rows here: how to
build its URL in the world of ``tests/permission_world.py``, the method, a valid body, and who
may use it. Each cell (row × role) asserts the status code; for an action, that the allowed
roles really did it and the others changed nothing; and it scans the whole body (HTML, JSON or
XML, decoded) for every piece of personal data the role may not see on any issue of the world:
contact names, phones, masked phones, e-mails, the residents' secret tracking links, and the
tracking numbers of issues outside the role's reach. Where the contract says a role sees the
contact (the lead on the case page, the dispatcher on the anonymous report), the cell also
asserts that it is there, so a "hide everything" implementation fails too.

The answers encoded (API.md and the issue's rules):
- pages behind a login send anonymous visitors to the login page; the API answers them 403
  (DRF's rule when session authentication comes first);
- a signed-in user outside a page's area (the staff pages, the dispatcher's, the rule pages,
  the managers' webhook page and dashboard) gets 403 for the whole area, whatever the id in
  the URL;
- inside the area, and everywhere on the API, an object the user may not see or act on
  answers 404, never 403, so its existence does not leak;
- the admin-only resources of the API (rule sets, agencies, the rates for managers) answer
  403 to everyone else, list and detail alike;
- a case's photo is gated by the case alone (no staff-area gate): whoever may not see the case,
  residents included, gets 404;
- the resident's secret link is the key to its pages: whoever holds it, signed in or not, sees
  the tracking page, rates and reopens; signing up is for visitors (the signed-in are sent to
  their issues).

The world is built once per module inside a transaction rolled back at the end; each cell runs
in its own nested transaction (pytest-django's ``db``), so an action that changes state is
undone before the next cell without rebuilding anything.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from coordination.dispatch.models import Assignment, CoordinationRequest, Handoff
from coordination.dispatch.services.assignments import assignment_accept, assignment_resolve
from coordination.learning.models import ClassifierVersion, DuplicateCandidate
from coordination.outbound.models import WebhookEndpoint
from coordination.rules.models import RuleSet
from issues import services
from issues.models import Feedback, Issue
from tests.factories import PASSWORD, CategoryFactory
from tests.hot.matrix import hot_rows
from tests.knowledge.matrix import knowledge_rows
from tests.permission_world import (
    ADMINISTRATOR,
    ANONYMOUS,
    CO_HANDLER,
    CONTACTS,
    DISPATCHER,
    FILED,
    FULL,
    ISSUES,
    LEAD,
    MANAGER,
    MASKED,
    OTHER,
    OWNS,
    PARTNER,
    RESIDENT_A,
    RESIDENT_B,
    ROLES,
    SEES,
    World,
    build_world,
    contact_level,
)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
RESIDENTS = frozenset({RESIDENT_A, RESIDENT_B})
# Agency members and the dispatcher (administrators act as the dispatcher).
STAFF_AREA = frozenset({LEAD, OTHER, CO_HANDLER, PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR})
DISPATCH_AREA = frozenset({DISPATCHER, ADMINISTRATOR})
ADMIN_ONLY = frozenset({ADMINISTRATOR})
# Who works the lead's assignments: its staff and the manager of the body above it.
WORKS_LEAD = frozenset({LEAD, MANAGER})

# Paths outside the matrix: each has its own check at the end of this module.
EXCLUDED_PREFIXES = ("admin/", "static/", "media/", "i18n/", "api/docs/", "api/schema/")

REPORT_TITLE = "Matrix filing: a fallen tree blocks the cycle lane"
LATER = timezone.now() + timedelta(days=60)


# ---------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    """One route and method, and who may use it.

    ``allowed`` roles get ``ok``; anonymous visitors otherwise get ``anonymous``; signed-in
    roles inside ``area`` (who pass the page's or endpoint's gate) get 404, the others 403.
    """

    route: str
    method: str
    label: str
    url: Callable[[World], str]
    ok: int
    allowed: frozenset[str]
    area: frozenset[str] = SIGNED_IN
    anonymous: int = 302
    # What signed-in roles who are not allowed get, when it is not 403/404 by ``area``.
    signed_in: int | None = None
    data: Callable[[World, str], dict] | None = None
    as_json: bool = False
    # Run before the request (inside the cell's transaction): bring the world to the state
    # the action needs, e.g. accept before resolve.
    prepare: Callable[[World], None] | None = None
    # Whether the action happened: must be true exactly for the allowed roles.
    done: Callable[[World, str], bool] | None = None
    # Log the role in first (False: the request itself signs in, e.g. the login form).
    sign_in: bool = True
    # Public: nobody sees any contact here, whoever is signed in.
    public: bool = False
    # The issue whose secret link the URL carries (its token may appear in the body).
    token_of: str | None = None
    # The resident's own list: only their own issues (and links) may appear.
    mine: bool = False
    # Role → ((issue, level), ...): contact data that must be in the body.
    shows: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # Role → issues whose tracking numbers must be in the body.
    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Where a redirect (other than an anonymous visitor's to the login page) must point.
    location: Callable[[World, str], str] | None = None

    def status(self, role: str) -> int:
        if role in self.allowed:
            return self.ok
        if role == ANONYMOUS:
            return self.anonymous
        if self.signed_in is not None:
            return self.signed_in
        return 404 if role in self.area else 403

    @property
    def test_id(self) -> str:
        return f"{self.method} {self.label}"


def page(route: str, label: str, url, *, ok: int = 200, allowed=EVERYONE, **kwargs) -> Row:
    return Row(route=route, method="GET", label=label, url=url, ok=ok, allowed=allowed, **kwargs)


def page_post(route: str, label: str, url, data, *, ok: int = 302, **kwargs) -> Row:
    return Row(route=route, method="POST", label=label, url=url, ok=ok, data=data, **kwargs)


def api(route: str, label: str, url, *, ok: int = 200, allowed=EVERYONE, **kwargs) -> Row:
    kwargs.setdefault("anonymous", 403)
    return Row(route=route, method="GET", label=label, url=url, ok=ok, allowed=allowed, **kwargs)


def api_post(route: str, label: str, url, data, *, ok: int = 200, **kwargs) -> Row:
    kwargs.setdefault("anonymous", 403)
    return Row(
        route=route, method="POST", label=label, url=url, ok=ok, data=data, as_json=True, **kwargs
    )


def public(row_factory, *args, **kwargs) -> Row:
    return row_factory(*args, allowed=EVERYONE, public=True, **kwargs)


# --------------------------------------------------------------------- preparing and effects


def accept_lead(w: World) -> None:
    assignment_accept(assignment_id=w.lead["X"].pk, actor=w.user(LEAD))


def resolve_lead(w: World) -> None:
    accept_lead(w)
    assignment_resolve(
        assignment_id=w.lead["X"].pk, actor=w.user(LEAD), resolution="The lamp was replaced."
    )


def rate_lead(w: World) -> None:
    resolve_lead(w)
    services.issue_feedback(issue_id=w.issues["X"].pk, rating=3, comment="Slow.")


def photo_on_disk(w: World) -> None:
    """Each test has a media directory of its own (conftest): put the photo's file there."""
    path = Path(w.photo.file.storage.path(w.photo.file.name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(w.extras["png"])


def assignment_status(key: str, status: str) -> Callable[[World, str], bool]:
    return lambda w, role: Assignment.objects.get(pk=w.lead[key].pk).status == status


def request_made(kind: str) -> Callable[[World, str], bool]:
    return lambda w, role: CoordinationRequest.objects.filter(
        assignment=w.lead["X"], kind=kind
    ).exists()


def summoned(w: World, role: str) -> bool:
    return Assignment.objects.filter(
        issue=w.issues["X"], agency=w.agencies["O"], summoned=True
    ).exists()


def replied(w: World, role: str) -> bool:
    return Handoff.objects.filter(
        issue=w.issues["X"], kind=Handoff.Kind.REPLIED, note="We replace the lamp on Monday."
    ).exists()


def co_accepted(code: str) -> Callable[[World, str], bool]:
    return lambda w, role: (
        Assignment.objects.get(pk=w.co_handling[code].pk).status == Assignment.Status.ACCEPTED
    )


def request_status(status: str) -> Callable[[World, str], bool]:
    return lambda w, role: CoordinationRequest.objects.get(pk=w.request.pk).status == status


def escalated(w: World, role: str) -> bool:
    return Handoff.objects.filter(issue=w.issues["X"], kind=Handoff.Kind.ESCALATED).exists()


def merged(w: World, role: str) -> bool:
    return Issue.objects.get(pk=w.issues["W"].pk).status == Issue.Status.MERGED


def dispatched(w: World, role: str) -> bool:
    return Issue.objects.get(pk=w.issues["T"].pk).status == Issue.Status.DISPATCHED


def pair_x_y(w: World) -> None:
    w.extras["pair"] = DuplicateCandidate.objects.create(
        issue=w.issues["Y"], other=w.issues["X"], score=0.8
    )


def pair_dismissed(w: World, role: str) -> bool:
    return DuplicateCandidate.objects.filter(
        pk=w.extras["pair"].pk, dismissed_at__isnull=False
    ).exists()


def pair_proposed(w: World, role: str) -> bool:
    return DuplicateCandidate.objects.filter(proposed_by__isnull=False).exists()


def classifier_version(w: World) -> None:
    from coordination.learning.services import classifier_store
    from coordination.triage import Example, train

    examples = [Example(f"lamp {n} dark", "", w.category.code) for n in range(6)] + [
        Example(f"noise {n} loud", "", "pm-noise") for n in range(6)
    ]
    CategoryFactory(code="pm-noise")
    w.extras["classifier"] = classifier_store(
        model=train(examples, seed=0), source=ClassifierVersion.Source.CORPUS
    )


def classifier_active(w: World, role: str) -> bool:
    return ClassifierVersion.objects.filter(
        pk=w.extras["classifier"].pk, status=ClassifierVersion.Status.ACTIVE
    ).exists()


def rated(w: World, role: str) -> bool:
    return Feedback.objects.filter(issue=w.issues["X"]).exists()


def reopened(w: World, role: str) -> bool:
    return Issue.objects.get(pk=w.issues["X"].pk).redo_count == 1


def published(w: World, role: str) -> bool:
    return RuleSet.objects.get(pk=w.draft_ruleset.pk).status == RuleSet.Status.ACTIVE


def first_draft_rule(w: World) -> int:
    return w.draft_ruleset.rules.order_by("pk").values_list("pk", flat=True)[0]


def drafted(w: World, role: str) -> bool:
    return RuleSet.objects.filter(based_on=w.active_ruleset).count() == 2


def filed(w: World, role: str) -> bool:
    return Issue.objects.filter(title=REPORT_TITLE).exists()


def filed_by_open311(w: World, role: str) -> bool:
    return Issue.objects.filter(channel=Issue.Channel.OPEN311).exists()


def webhook_registered(w: World, role: str) -> bool:
    return WebhookEndpoint.objects.filter(url="https://hooks.example.net/pm").exists()


def token_issued(w: World, role: str) -> bool:
    return role != ANONYMOUS and Token.objects.filter(user=w.user(role)).exists()


def signed_up(w: World, role: str) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="pm_new_resident").exists()


# ------------------------------------------------------------------------------ bodies


def report_form(w: World, role: str) -> dict:
    return {
        "title": REPORT_TITLE,
        "description": "Since this morning; cyclists ride into the traffic.",
        "address": "3 Matrix Road",
        "lat": "",
        "lon": "",
        "contact_name": FILED.name,
        "contact_phone": FILED.phone,
        "contact_email": FILED.email,
    }


def report_json(w: World, role: str) -> dict:
    return {**report_form(w, role), "lat": 39.9, "lon": 116.4, "category": w.category.code}


def open311_form(w: World, role: str) -> dict:
    return {
        "api_key": w.open311_key,
        "service_code": w.category.service_code,
        "lat": "39.9",
        "long": "116.4",
        "description": "Matrix Open311 filing: a fallen tree.",
        "first_name": FILED.name,
        "email": FILED.email,
        "phone": FILED.phone,
    }


def credentials(w: World, role: str) -> dict:
    if role == ANONYMOUS:
        return {"username": "pm_nobody", "password": "not-a-password"}
    return {"username": w.user(role).username, "password": PASSWORD}


def reason(w: World, role: str) -> dict:
    return {"reason": "The light is on a water authority pole."}


def transfer_form(w: World, role: str) -> dict:
    return {**reason(w, role), "suggested_agency": w.agencies["O"].code}


def agencies_form(w: World, role: str) -> dict:
    return {**reason(w, role), "agencies": [w.agencies["O"].code]}


def extension_form(w: World, role: str) -> dict:
    return {**reason(w, role), "until": timezone.localtime(LATER).strftime("%Y-%m-%dT%H:%M")}


def extension_json(w: World, role: str) -> dict:
    return {**reason(w, role), "until": LATER.isoformat()}


def reply_form(w: World, role: str) -> dict:
    return {"message": "We replace the lamp on Monday.", "public": "on"}


def reply_json(w: World, role: str) -> dict:
    return {"message": "We replace the lamp on Monday.", "public": True}


def resolve_body(w: World, role: str) -> dict:
    return {"resolution": "The lamp was replaced."}


def note(w: World, role: str) -> dict:
    return {"note": "Please finish this week."}


def nothing(w: World, role: str) -> dict:
    return {}


def dispatch_form(w: World, role: str) -> dict:
    return {"lead": w.agencies["O"].pk, "note": ""}


def dispatch_json(w: World, role: str) -> dict:
    return {"lead": w.agencies["O"].code, "co_handlers": []}


def merge_form(w: World, role: str) -> dict:
    return {"issue": w.number("W"), "into": w.number("X")}


def merge_json(w: World, role: str) -> dict:
    return {"into": w.issues["X"].pk}


def feedback_body(w: World, role: str) -> dict:
    return {"rating": 4, "comment": "Quick work."}


def reopen_body(w: World, role: str) -> dict:
    return {"reason": "The lamp went out again."}


def simulate_json(w: World, role: str) -> dict:
    return {"issue": {"title": "Street light out", "category": w.category.code}}


def webhook_form(w: World, role: str) -> dict:
    return {"agency": w.agencies["P"].pk, "url": "https://hooks.example.net/pm"}


def signup_form(w: World, role: str) -> dict:
    return {
        "username": "pm_new_resident",
        "password1": "a-long-and-unusual-passphrase-2026",
        "password2": "a-long-and-unusual-passphrase-2026",
    }


# ------------------------------------------------------------------------------ urls


def lead_x(action: str, *, api_: bool = False) -> Callable[[World], str]:
    if api_:
        return lambda w: f"/api/v1/assignments/{w.lead['X'].pk}/{action}/"
    return lambda w: f"/staff/assignments/{w.lead['X'].pk}/{action}/"


def case(key: str) -> Callable[[World], str]:
    return lambda w: f"/staff/issues/{w.issues[key].pk}/"


def to_case_x(w: World, role: str) -> str:
    return f"/staff/issues/{w.issues['X'].pk}/"


def to_dispatch(w: World, role: str) -> str:
    return "/dispatch/"


def to_track_x(w: World, role: str) -> str:
    return f"/track/{w.token('X')}/"


def to_my_issues(w: World, role: str) -> str:
    return "/my/issues/"


def after_login_target(w: World, role: str) -> str:
    if role in DISPATCH_AREA:
        return "/dispatch/"
    if role in STAFF_AREA:
        return "/staff/"
    return reverse("issues:my_issues")


# ------------------------------------------------------------------------------ the matrix

# Must-show contact data, by role, on the case page and the API's issue detail.
CASE_SHOWS = {
    "X": {
        LEAD: (("X", FULL),),
        CO_HANDLER: (("X", MASKED),),
        DISPATCHER: (("X", FULL),),
        ADMINISTRATOR: (("X", FULL),),
    },
    "Y": {
        LEAD: (("Y", FULL),),
        CO_HANDLER: (("Y", MASKED),),
        PARTNER: (("Y", MASKED),),
        DISPATCHER: (("Y", FULL),),
        ADMINISTRATOR: (("Y", FULL),),
    },
    "Z": {DISPATCHER: (("Z", FULL),), ADMINISTRATOR: (("Z", FULL),)},
}
# The queue of each agency's staff: the issues their agency (or, for the manager, the agency
# below) holds work on.
QUEUES = {
    LEAD: frozenset("XYZ"),
    CO_HANDLER: frozenset("XYZ"),
    PARTNER: frozenset("XY"),
    OTHER: frozenset("W"),
    MANAGER: frozenset("XYZ"),
}
ALL_VISIBLE = {**QUEUES, DISPATCHER: frozenset(ISSUES), ADMINISTRATOR: frozenset(ISSUES)}

ASSIGNMENT_ACTIONS = (
    # action, page body, API body, API status, prepare, effect
    ("accept", nothing, nothing, 200, None, assignment_status("X", "accepted")),
    ("resolve", resolve_body, resolve_body, 200, accept_lead, assignment_status("X", "done")),
    ("bounce", reason, reason, 201, None, request_made("bounce")),
    ("transfer", transfer_form, transfer_form, 201, None, request_made("transfer")),
    ("cohandle", agencies_form, agencies_form, 201, None, request_made("cohandle")),
    ("whistle", agencies_form, agencies_form, 201, None, summoned),
    ("extension", extension_form, extension_json, 201, None, request_made("extension")),
    ("reply", reply_form, reply_json, 200, None, replied),
    ("appeal", reason, reason, 201, rate_lead, request_made("appeal")),
)


def _rows() -> list[Row]:
    rows: list[Row] = [
        # ---------------------------------------------------------------- resident pages
        public(page, "issues:home", "/", lambda w: "/"),
        public(page, "issues:report", "/report/", lambda w: "/report/"),
        public(
            page_post,
            "issues:report",
            "/report/",
            lambda w: "/report/",
            report_form,
            done=filed,
        ),
        public(
            page,
            "issues:submitted",
            "/report/submitted/<token of X>/",
            lambda w: f"/report/submitted/{w.token('X')}/",
            token_of="X",
        ),
        public(page, "issues:track_lookup", "/track/", lambda w: "/track/"),
        public(
            page,
            "issues:track",
            "/track/<token of X>/",
            lambda w: f"/track/{w.token('X')}/",
            token_of="X",
        ),
        public(
            page,
            "issues:track_photo",
            "/track/<token of X>/photos/<photo of X>/",
            lambda w: f"/track/{w.token('X')}/photos/{w.photo.pk}/",
            prepare=photo_on_disk,
            token_of="X",
        ),
        public(
            page_post,
            "issues:track_feedback",
            "/track/<token of X>/feedback/",
            lambda w: f"/track/{w.token('X')}/feedback/",
            feedback_body,
            prepare=resolve_lead,
            done=rated,
            token_of="X",
            location=to_track_x,
        ),
        public(
            page_post,
            "issues:track_reopen",
            "/track/<token of X>/reopen/",
            lambda w: f"/track/{w.token('X')}/reopen/",
            reopen_body,
            prepare=resolve_lead,
            done=reopened,
            token_of="X",
            location=to_track_x,
        ),
        page(
            "issues:my_issues",
            "/my/issues/",
            lambda w: "/my/issues/",
            allowed=SIGNED_IN,
            mine=True,
            lists={RESIDENT_A: frozenset("X")},
        ),
        # The maps' base layer: the city's areas, public.
        public(page, "issues:areas", "/areas.geojson", lambda w: "/areas.geojson"),
        # ------------------------------------------------------------------ accounts
        public(page, "login", "/accounts/login/", lambda w: "/accounts/login/"),
        # Password reset by e-mail: Django's views, open to everyone.
        public(
            page,
            "password_reset",
            "/accounts/password/reset/",
            lambda w: "/accounts/password/reset/",
        ),
        public(
            page,
            "password_reset_done",
            "/accounts/password/reset/sent/",
            lambda w: "/accounts/password/reset/sent/",
        ),
        public(
            page,
            "password_reset_confirm",
            "/accounts/password/reset/<bad link>/",
            lambda w: "/accounts/password/reset/MQ/bad-token/",
        ),
        public(
            page,
            "password_reset_complete",
            "/accounts/password/reset/done/",
            lambda w: "/accounts/password/reset/done/",
        ),
        public(page, "favicon", "/favicon.ico", lambda w: "/favicon.ico", ok=301),
        page_post(
            "login",
            "/accounts/login/",
            lambda w: "/accounts/login/",
            credentials,
            allowed=SIGNED_IN,
            anonymous=200,
            sign_in=False,
            public=True,
            location=lambda w, role: "/accounts/welcome/",
        ),
        public(
            page_post,
            "logout",
            "/accounts/logout/",
            lambda w: "/accounts/logout/",
            nothing,
            location=lambda w, role: "/",
        ),
        # Signing up is for visitors; a signed-in user is sent to their issues instead.
        page(
            "signup",
            "/accounts/signup/",
            lambda w: "/accounts/signup/",
            allowed=frozenset({ANONYMOUS}),
            signed_in=302,
            public=True,
            location=to_my_issues,
        ),
        page_post(
            "signup",
            "/accounts/signup/",
            lambda w: "/accounts/signup/",
            signup_form,
            allowed=frozenset({ANONYMOUS}),
            signed_in=302,
            done=signed_up,
            public=True,
            location=to_my_issues,
        ),
        page(
            "coordination:after_login",
            "/accounts/welcome/",
            lambda w: "/accounts/welcome/",
            ok=302,
            allowed=SIGNED_IN,
            location=after_login_target,
        ),
        # --------------------------------------------------------------- staff pages
        page(
            "coordination:staff_queue",
            "/staff/",
            lambda w: "/staff/",
            allowed=STAFF_AREA,
            area=STAFF_AREA,
            lists=QUEUES,
        ),
        *[
            page(
                "coordination:staff_issue",
                f"/staff/issues/<{key}>/",
                case(key),
                allowed=SEES[key],
                area=STAFF_AREA,
                shows=CASE_SHOWS[key],
            )
            for key in ("X", "Y", "Z")
        ],
        page(
            "coordination:staff_photo",
            "/staff/issues/<X>/photos/<photo of X>/",
            lambda w: f"/staff/issues/{w.issues['X'].pk}/photos/{w.photo.pk}/",
            allowed=SEES["X"],
            prepare=photo_on_disk,
        ),
        *[
            page_post(
                f"coordination:assignment_{action}",
                f"/staff/assignments/<lead of X>/{action}/",
                lead_x(action),
                form,
                allowed=WORKS_LEAD,
                area=STAFF_AREA,
                prepare=prepare,
                done=effect,
                location=to_case_x,
            )
            for action, form, _json, _status, prepare, effect in ASSIGNMENT_ACTIONS
        ],
        page_post(
            "coordination:assignment_accept",
            "/staff/assignments/<partner on X>/accept/",
            lambda w: f"/staff/assignments/{w.co_handling['E'].pk}/accept/",
            nothing,
            allowed=frozenset({PARTNER}),
            area=STAFF_AREA,
            done=co_accepted("E"),
            location=to_case_x,
        ),
        # ---------------------------------------------------------- the dispatcher
        page(
            "coordination:dispatch",
            "/dispatch/",
            lambda w: "/dispatch/",
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            lists={DISPATCHER: frozenset("TY"), ADMINISTRATOR: frozenset("TY")},
        ),
        page(
            "coordination:workbench",
            "/dispatch/issues/",
            lambda w: "/dispatch/issues/",
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
        ),
        page(
            "coordination:workbench_issue",
            "/dispatch/issues/<id of X>/",
            lambda w: f"/dispatch/issues/{w.issues['X'].pk}/",
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
        ),
        page_post(
            "coordination:request_approve",
            "/dispatch/requests/<request on Y>/approve/",
            lambda w: f"/dispatch/requests/{w.request.pk}/approve/",
            note,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=request_status("approved"),
            location=to_dispatch,
        ),
        page_post(
            "coordination:request_reject",
            "/dispatch/requests/<request on Y>/reject/",
            lambda w: f"/dispatch/requests/{w.request.pk}/reject/",
            note,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=request_status("rejected"),
            location=to_dispatch,
        ),
        page_post(
            "coordination:issue_escalate",
            "/dispatch/issues/<X>/escalate/",
            lambda w: f"/dispatch/issues/{w.issues['X'].pk}/escalate/",
            note,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=escalated,
            location=to_dispatch,
        ),
        page_post(
            "coordination:issue_publication",
            "/dispatch/issues/<X>/publication/",
            lambda w: f"/dispatch/issues/{w.issues['X'].pk}/publication/",
            lambda w, role: {"public_summary": "A street lamp is out."},
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=lambda w, role: Issue.objects.filter(
                pk=w.issues["X"].pk, public_summary="A street lamp is out."
            ).exists(),
            location=to_case_x,
        ),
        page_post(
            "coordination:issue_merge",
            "/dispatch/merge/",
            lambda w: "/dispatch/merge/",
            merge_form,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=merged,
            location=to_dispatch,
        ),
        page_post(
            "coordination:issue_dispatch",
            "/dispatch/issues/<T>/dispatch/",
            lambda w: f"/dispatch/issues/{w.issues['T'].pk}/dispatch/",
            dispatch_form,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=dispatched,
            location=to_dispatch,
        ),
        # ------------------------------------------- the classifier's help (learning)
        page_post(
            "coordination:issue_dispatch_as",
            "/dispatch/issues/<T>/dispatch-as/",
            lambda w: f"/dispatch/issues/{w.issues['T'].pk}/dispatch-as/",
            lambda w, role: {"category": w.category.code},
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=dispatched,
            location=to_dispatch,
        ),
        page_post(
            "coordination:category_doubt",
            "/dispatch/issues/<X>/category-doubt/",
            lambda w: f"/dispatch/issues/{w.issues['X'].pk}/category-doubt/",
            lambda w, role: {"keep": "resident"},
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
        ),
        page_post(
            "coordination:duplicate_dismiss",
            "/dispatch/duplicates/<X and Y>/dismiss/",
            lambda w: f"/dispatch/duplicates/{w.extras['pair'].pk}/dismiss/",
            nothing,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            prepare=pair_x_y,
            done=pair_dismissed,
        ),
        page(
            "coordination:duplicate_review",
            "/staff/issues/<X>/duplicates/<Y>/",
            lambda w: f"/staff/issues/{w.issues['X'].pk}/duplicates/{w.issues['Y'].pk}/",
            allowed=SEES["X"] & SEES["Y"],
            area=STAFF_AREA,
        ),
        page_post(
            "coordination:duplicate_propose",
            "/staff/issues/<X>/duplicates/<Y>/propose/",
            lambda w: f"/staff/issues/{w.issues['X'].pk}/duplicates/{w.issues['Y'].pk}/propose/",
            nothing,
            allowed=SEES["X"] & SEES["Y"],
            area=STAFF_AREA,
            done=pair_proposed,
            location=to_case_x,
        ),
        page(
            "coordination:classifier_list",
            "/coordination/classifier/",
            lambda w: "/coordination/classifier/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        page(
            "coordination:classifier_detail",
            "/coordination/classifier/<v1>/",
            lambda w: f"/coordination/classifier/{w.extras['classifier'].pk}/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
            prepare=classifier_version,
        ),
        page_post(
            "coordination:classifier_activate",
            "/coordination/classifier/<v1>/activate/",
            lambda w: f"/coordination/classifier/{w.extras['classifier'].pk}/activate/",
            note,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
            prepare=classifier_version,
            done=classifier_active,
        ),
        page_post(
            "coordination:classifier_rollback",
            "/coordination/classifier/rollback/",
            lambda w: "/coordination/classifier/rollback/",
            note,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        # ------------------------------------------------------- rules and webhooks
        page(
            "coordination:ruleset_list",
            "/coordination/rules/",
            lambda w: "/coordination/rules/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        page(
            "coordination:ruleset_detail",
            "/coordination/rules/<active>/",
            lambda w: f"/coordination/rules/{w.active_ruleset.pk}/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        page_post(
            "coordination:ruleset_publish",
            "/coordination/rules/<draft>/publish/",
            lambda w: f"/coordination/rules/{w.draft_ruleset.pk}/publish/",
            note,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
            done=published,
        ),
        page(
            "coordination:rule_create",
            "/coordination/rules/<draft>/rules/new/",
            lambda w: f"/coordination/rules/{w.draft_ruleset.pk}/rules/new/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        page(
            "coordination:rule_edit",
            "/coordination/rules/<draft>/rules/<rule>/",
            lambda w: f"/coordination/rules/{w.draft_ruleset.pk}/rules/{first_draft_rule(w)}/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        page_post(
            "coordination:rule_delete",
            "/coordination/rules/<draft>/rules/<rule>/delete/",
            lambda w: (
                f"/coordination/rules/{w.draft_ruleset.pk}/rules/{first_draft_rule(w)}/delete/"
            ),
            nothing,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        page_post(
            "coordination:ruleset_draft",
            "/coordination/rules/<active>/draft/",
            lambda w: f"/coordination/rules/{w.active_ruleset.pk}/draft/",
            nothing,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
            done=drafted,
        ),
        page(
            "coordination:webhooks",
            "/staff/webhooks/",
            lambda w: "/staff/webhooks/",
            allowed=frozenset({MANAGER}),
            area=frozenset({MANAGER}),
        ),
        page_post(
            "coordination:webhooks",
            "/staff/webhooks/",
            lambda w: "/staff/webhooks/",
            webhook_form,
            ok=201,
            allowed=frozenset({MANAGER}),
            area=frozenset({MANAGER}),
            done=webhook_registered,
        ),
        # The managers' dashboard and its exports: managers (their reach), enterprise
        # partners (their own), the dispatcher, administrators (and the city's leaders).
        page(
            "coordination:dashboard",
            "/dashboard/",
            lambda w: "/dashboard/",
            allowed=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
            area=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
        ),
        page(
            "coordination:monthly_report",
            "/dashboard/report/",
            lambda w: "/dashboard/report/",
            allowed=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
            area=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
        ),
        # Public figures: counts and rates only, for everyone.
        public(page, "coordination:public_figures", "/figures/", lambda w: "/figures/"),
        public(
            page,
            "coordination:public_figures_data",
            "/figures/<yyyy>-<mm>.json",
            lambda w: "/figures/2026-01.json",
        ),
        page(
            "coordination:dashboard_export",
            "/dashboard/export/<key>.<fmt>",
            lambda w: "/dashboard/export/trend.csv",
            allowed=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
            area=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
        ),
        public(page, "healthz", "/healthz", lambda w: "/healthz"),
        # ------------------------------------------------------------ the residents' API
        api_post(
            "api-token",
            "/api/v1/auth/token/",
            lambda w: "/api/v1/auth/token/",
            credentials,
            allowed=SIGNED_IN,
            anonymous=400,
            sign_in=False,
            public=True,
            done=token_issued,
        ),
        public(api, "api-categories", "/api/v1/categories/", lambda w: "/api/v1/categories/"),
        public(
            api,
            "api-track",
            "/api/v1/track/<token of X>/",
            lambda w: f"/api/v1/track/{w.token('X')}/",
            token_of="X",
        ),
        public(
            api_post,
            "api-track-feedback",
            "/api/v1/track/<token of X>/feedback/",
            lambda w: f"/api/v1/track/{w.token('X')}/feedback/",
            feedback_body,
            prepare=resolve_lead,
            done=rated,
            token_of="X",
        ),
        public(
            api_post,
            "api-track-reopen",
            "/api/v1/track/<token of X>/reopen/",
            lambda w: f"/api/v1/track/{w.token('X')}/reopen/",
            reopen_body,
            prepare=resolve_lead,
            done=reopened,
            token_of="X",
        ),
        api(
            "api-my-issues",
            "/api/v1/my/issues/",
            lambda w: "/api/v1/my/issues/",
            allowed=SIGNED_IN,
            mine=True,
            lists={RESIDENT_A: frozenset("X")},
        ),
        # --------------------------------------------------------------- the staff API
        api(
            "api-issue-list",
            "/api/v1/issues/",
            lambda w: "/api/v1/issues/",
            allowed=SIGNED_IN,
            lists=ALL_VISIBLE,
        ),
        public(
            api_post,
            "api-issue-list",
            "/api/v1/issues/",
            lambda w: "/api/v1/issues/",
            report_json,
            ok=201,
            done=filed,
        ),
        *[
            api(
                "api-issue-detail",
                f"/api/v1/issues/<{key}>/",
                lambda w, key=key: f"/api/v1/issues/{w.issues[key].pk}/",
                allowed=SEES[key],
                shows=CASE_SHOWS[key],
            )
            for key in ("X", "Y", "Z")
        ],
        api(
            "api-issue-publication",
            "/api/v1/issues/<X>/publication/",
            lambda w: f"/api/v1/issues/{w.issues['X'].pk}/publication/",
            allowed=SEES["X"],
        ),
        api_post(
            "api-issue-publication",
            "/api/v1/issues/<X>/publication/ (POST)",
            lambda w: f"/api/v1/issues/{w.issues['X'].pk}/publication/",
            lambda w, role: {"public_summary": "A street lamp is out."},
            allowed=DISPATCH_AREA,
            done=lambda w, role: Issue.objects.filter(
                pk=w.issues["X"].pk, public_summary="A street lamp is out."
            ).exists(),
        ),
        api(
            "api-issue-handoffs",
            "/api/v1/issues/<X>/handoffs/",
            lambda w: f"/api/v1/issues/{w.issues['X'].pk}/handoffs/",
            allowed=SEES["X"],
        ),
        api(
            "api-issue-similar",
            "/api/v1/issues/<X>/similar/",
            lambda w: f"/api/v1/issues/{w.issues['X'].pk}/similar/",
            allowed=SEES["X"],
        ),
        api_post(
            "api-issue-dispatch",
            "/api/v1/issues/<T>/dispatch/",
            lambda w: f"/api/v1/issues/{w.issues['T'].pk}/dispatch/",
            dispatch_json,
            allowed=DISPATCH_AREA,
            done=dispatched,
        ),
        api_post(
            "api-issue-escalate",
            "/api/v1/issues/<X>/escalate/",
            lambda w: f"/api/v1/issues/{w.issues['X'].pk}/escalate/",
            note,
            ok=201,
            allowed=DISPATCH_AREA,
            done=escalated,
        ),
        api_post(
            "api-issue-merge",
            "/api/v1/issues/<W>/merge/",
            lambda w: f"/api/v1/issues/{w.issues['W'].pk}/merge/",
            merge_json,
            allowed=DISPATCH_AREA,
            done=merged,
        ),
        api(
            "api-assignment-list",
            "/api/v1/assignments/",
            lambda w: "/api/v1/assignments/",
            allowed=SIGNED_IN,
            lists=QUEUES,
        ),
        api(
            "api-assignment-detail",
            "/api/v1/assignments/<lead of X>/",
            lambda w: f"/api/v1/assignments/{w.lead['X'].pk}/",
            allowed=WORKS_LEAD,
        ),
        api(
            "api-assignment-detail",
            "/api/v1/assignments/<co-handler on X>/",
            lambda w: f"/api/v1/assignments/{w.co_handling['C'].pk}/",
            allowed=frozenset({CO_HANDLER}),
        ),
        *[
            api_post(
                f"api-assignment-{action}",
                f"/api/v1/assignments/<lead of X>/{action}/",
                lead_x(action, api_=True),
                body,
                ok=status,
                allowed=WORKS_LEAD,
                prepare=prepare,
                done=effect,
            )
            for action, _form, body, status, prepare, effect in ASSIGNMENT_ACTIONS
        ],
        api_post(
            "api-assignment-accept",
            "/api/v1/assignments/<co-handler on X>/accept/",
            lambda w: f"/api/v1/assignments/{w.co_handling['C'].pk}/accept/",
            nothing,
            allowed=frozenset({CO_HANDLER}),
            done=co_accepted("C"),
        ),
        # ----------------------------------------------------------- the dispatcher's API
        api(
            "api-dispatch-queue",
            "/api/v1/dispatch/queue/",
            lambda w: "/api/v1/dispatch/queue/",
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            lists={DISPATCHER: frozenset("TY"), ADMINISTRATOR: frozenset("TY")},
        ),
        api(
            "api-coordination-request-list",
            "/api/v1/coordination-requests/",
            lambda w: "/api/v1/coordination-requests/",
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            lists={DISPATCHER: frozenset("Y"), ADMINISTRATOR: frozenset("Y")},
        ),
        api(
            "api-coordination-request-detail",
            "/api/v1/coordination-requests/<request on Y>/",
            lambda w: f"/api/v1/coordination-requests/{w.request.pk}/",
            allowed=DISPATCH_AREA,
        ),
        api_post(
            "api-coordination-request-approve",
            "/api/v1/coordination-requests/<request on Y>/approve/",
            lambda w: f"/api/v1/coordination-requests/{w.request.pk}/approve/",
            note,
            allowed=DISPATCH_AREA,
            done=request_status("approved"),
        ),
        api_post(
            "api-coordination-request-reject",
            "/api/v1/coordination-requests/<request on Y>/reject/",
            lambda w: f"/api/v1/coordination-requests/{w.request.pk}/reject/",
            note,
            allowed=DISPATCH_AREA,
            done=request_status("rejected"),
        ),
        # ------------------------------------------------ managers and administrators
        api(
            "api-stats-agencies",
            "/api/v1/stats/agencies/",
            lambda w: "/api/v1/stats/agencies/",
            allowed=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
            area=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
        ),
        api(
            "ruleset-list",
            "/api/v1/rulesets/",
            lambda w: "/api/v1/rulesets/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        api(
            "ruleset-detail",
            "/api/v1/rulesets/<active>/",
            lambda w: f"/api/v1/rulesets/{w.active_ruleset.pk}/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        api_post(
            "ruleset-publish",
            "/api/v1/rulesets/<draft>/publish/",
            lambda w: f"/api/v1/rulesets/{w.draft_ruleset.pk}/publish/",
            note,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
            done=published,
        ),
        api_post(
            "ruleset-simulate",
            "/api/v1/rulesets/<draft>/simulate/",
            lambda w: f"/api/v1/rulesets/{w.draft_ruleset.pk}/simulate/",
            simulate_json,
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        api(
            "api-agency-list",
            "/api/v1/agencies/",
            lambda w: "/api/v1/agencies/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
        api(
            "api-agency-detail",
            "/api/v1/agencies/<L>/",
            lambda w: f"/api/v1/agencies/{w.agencies['L'].code}/",
            allowed=ADMIN_ONLY,
            area=ADMIN_ONLY,
        ),
    ]
    # ----------------------------------------- hot issues, topics, "me too" (tests/hot/matrix.py)
    rows += hot_rows(page=page, page_post=page_post, api=api, api_post=api_post, public=public)
    rows += knowledge_rows(
        page=page, page_post=page_post, api=api, api_post=api_post, public=public
    )
    # ---------------------------------------------------- Open311: public, no contact
    for fmt in ("json", "xml"):
        rows += [
            public(
                page,
                "open311:discovery",
                f"/open311/v2/discovery.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/discovery.{fmt}",
            ),
            public(
                page,
                "open311:services",
                f"/open311/v2/services.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/services.{fmt}",
            ),
            public(
                page,
                "open311:service-definition",
                f"/open311/v2/services/<code>.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/services/{w.category.service_code}.{fmt}",
            ),
            public(
                page,
                "open311:requests",
                f"/open311/v2/requests.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/requests.{fmt}",
            ),
            public(
                page_post,
                "open311:requests",
                f"/open311/v2/requests.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/requests.{fmt}",
                open311_form,
                ok=200,
                done=filed_by_open311,
            ),
            public(
                page,
                "open311:request",
                f"/open311/v2/requests/<X>.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/requests/{w.number('X')}.{fmt}",
            ),
            # Z was reported anonymously: the publication policy keeps it out of open data.
            page(
                "open311:request",
                f"/open311/v2/requests/<Z>.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/requests/{w.number('Z')}.{fmt}",
                allowed=frozenset(),
                anonymous=404,
                signed_in=404,
                public=True,
            ),
            # Any other path under /open311/v2/: the spec's error list, for everyone.
            page(
                "open311:unknown",
                f"/open311/v2/services.csv ({fmt})",
                lambda w: "/open311/v2/services.csv",
                allowed=frozenset(),
                anonymous=404,
                signed_in=404,
                public=True,
            ),
            public(
                page,
                "open311:token",
                f"/open311/v2/tokens/<X>.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/tokens/{w.number('X')}.{fmt}",
            ),
            public(
                page,
                "open311:service-request-updates",
                f"/open311/v2/servicerequestupdates.{fmt}",
                lambda w, fmt=fmt: f"/open311/v2/servicerequestupdates.{fmt}",
            ),
        ]
    return rows


def _route_names(patterns, namespace: str = "", prefix: str = ""):
    """(name, path) of every route, recursively, with namespaces as ``reverse`` spells them."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _route_names(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name or f"<unnamed {prefix}{entry.pattern}>", prefix + str(entry.pattern)


def _routes() -> dict[str, str]:
    """Every route in the matrix's scope: name → path pattern."""
    return {
        name: path
        for name, path in _route_names(get_resolver().url_patterns)
        if not path.lstrip("^").startswith(EXCLUDED_PREFIXES)
    }


ROWS = _rows()
CELLS = [pytest.param(row, role, id=f"{row.test_id}-{role}") for row in ROWS for role in ROLES]


# ---------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module, inside a transaction rolled back at its end: the cells'
    own transactions nest in it, so whatever a cell changes is undone after it."""
    media = override_settings(
        PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("private_media"),
        # Real hashing costs ~0.3 s a user on purpose; the matrix needs correctness.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    media.disable()


# ---------------------------------------------------------------------------- scanning


def body_text(response) -> str:
    """The whole answer as text a person or a program could read: the raw body, with HTML/XML
    entities decoded, JSON re-serialised without ASCII escapes, and the redirect target."""
    if getattr(response, "streaming", False):
        # The test client closes the file once its content is read (calling close() here
        # would send request_finished, which closes the database connection).
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    text = raw.decode("utf-8", errors="replace")
    parts = [text, html.unescape(text)]
    with contextlib.suppress(ValueError):  # not JSON
        parts.append(json.dumps(json.loads(text), ensure_ascii=False))
    if location := response.get("Location"):
        parts.append(unquote(location))
    return "\n".join(parts)


def forbidden_strings(row: Row, role: str, w: World) -> dict[str, str]:
    """Every personal string of the world that ``role`` may not see in this answer, with
    what it is (for the failure message)."""
    found: dict[str, str] = {}
    for key, contact in CONTACTS.items():
        level = "none" if row.public else contact_level(key, role)
        allowed = set(contact.strings(level).values())
        for kind, value in contact.strings(FULL).items():
            if value not in allowed:
                found[value] = f"{kind} of {key}"
    for kind, value in FILED.strings(FULL).items():
        found[value] = f"{kind} of the new filing"
    own_links = set()
    if row.token_of:
        own_links.add(row.token_of)
    if row.mine:
        own_links |= OWNS.get(role, frozenset())
    for key in ISSUES:
        if key not in own_links:
            found[w.token(key)] = f"tracking link of {key}"
    if not row.public:
        reach = OWNS.get(role, frozenset()) if row.mine else _reach(role)
        for key in ISSUES:
            if key not in reach:
                found[w.number(key)] = f"tracking number of {key}, outside the role's reach"
    return found


def _reach(role: str) -> frozenset[str]:
    return frozenset(key for key in ISSUES if role in SEES[key]) | OWNS.get(role, frozenset())


def required_strings(row: Row, role: str, w: World) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, level in row.shows.get(role, ()):
        for kind, value in CONTACTS[key].strings(level).items():
            if level == FULL and kind == "masked phone":
                continue  # the full phone is what the lead sees, not its mask
            found[value] = f"{kind} of {key}"
    for key in row.lists.get(role, ()):
        found[w.number(key)] = f"tracking number of {key}"
    return found


def send(client, row: Row, w: World, role: str, url: str):
    if row.method == "GET":
        return client.get(url)
    data = row.data(w, role) if row.data else {}
    if row.as_json:
        return client.post(url, data=json.dumps(data), content_type="application/json")
    return client.post(url, data)


# ---------------------------------------------------------------------------- the cells


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CELLS)
def test_cell(row: Row, role: str, world: World, client):
    if row.prepare:
        row.prepare(world)
    if role != ANONYMOUS and row.sign_in:
        client.force_login(world.user(role))
    url = row.url(world)
    assert resolve(urlsplit(url).path).view_name == row.route, "the row builds another route"

    response = send(client, row, world, role, url)

    expected = row.status(role)
    text = body_text(response)
    assert response.status_code == expected, (
        f"{row.test_id} as {role}: {response.status_code}, expected {expected}\n{text[:600]}"
    )
    if response.status_code == 302:
        target = unquote(response["Location"])
        if role not in row.allowed and role == ANONYMOUS and row.anonymous == 302:
            assert target.startswith("/accounts/login/"), target
        elif row.location:
            assert urlsplit(target).path == row.location(world, role), target
    leaks = {what for value, what in forbidden_strings(row, role, world).items() if value in text}
    assert not leaks, f"{row.test_id} as {role} shows {sorted(leaks)}"
    missing = {
        what for value, what in required_strings(row, role, world).items() if value not in text
    }
    assert not missing, f"{row.test_id} as {role} does not show {sorted(missing)}"
    if row.done:
        should = role in row.allowed
        assert row.done(world, role) is should, (
            f"{row.test_id} as {role}: the action {'did not happen' if should else 'happened'}"
        )


def test_every_route_has_a_row_in_the_matrix():
    """A new endpoint cannot be added without deciding who may use it."""
    covered = {row.route for row in ROWS}
    missing = {name: path for name, path in _routes().items() if name not in covered}
    assert not missing, f"routes without a row in the permission matrix: {missing}"


def test_every_row_names_a_route():
    routes = _routes()
    assert {row.route for row in ROWS} - set(routes) == set()


def test_every_role_has_a_cell_in_every_row():
    assert len(CELLS) == len(ROWS) * len(ROLES)
    assert len({cell.id for cell in CELLS}) == len(CELLS), "two cells share an id"


# ------------------------------------------------ the admin, the language switch, the docs


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_administrators_alone(role: str, world: World, client):
    if role != ANONYMOUS:
        client.force_login(world.user(role))
    issue = world.issues["X"]

    index = client.get("/admin/")
    change = client.get(f"/admin/issues/issue/{issue.pk}/change/")

    if role == ADMINISTRATOR:
        assert index.status_code == 200
        assert change.status_code == 200
        text = body_text(change)
        assert CONTACTS["X"].phone in text  # the administrator sees everything
        for key in ISSUES:
            assert world.token(key) not in text, f"tracking link of {key} in the admin"
    else:
        for response in (index, change):
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")
        assert CONTACTS["X"].phone not in body_text(change)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_language_switch_answers_everyone(role: str, world: World, client):
    if role != ANONYMOUS:
        client.force_login(world.user(role))

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [ANONYMOUS, RESIDENT_A, LEAD, ADMINISTRATOR])
def test_the_api_schema_and_docs_are_public_and_hold_no_personal_data(
    role: str, world: World, client
):
    if role != ANONYMOUS:
        client.force_login(world.user(role))
    for url in ("/api/schema/", "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body_text(response)
        for key, contact in CONTACTS.items():
            for kind, value in contact.strings(FULL).items():
                assert value not in text, f"{kind} of {key} in {url}"
            assert world.token(key) not in text, f"tracking link of {key} in {url}"
