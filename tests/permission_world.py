"""The world of the permission matrix (``tests/dispatch/test_permission_matrix.py``): one city
with every role, and issues whose contact data each role may see in full, masked or not at all.

Built with the factories and the workflow services, so guardian's object permissions are
written the way production writes them. Every personal string here is distinctive, so a scan of
a response body for it finds a leak and nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from agencies.models import Agency, Membership
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.dispatch.services import requests
from coordination.dispatch.services.routing import issue_dispatch
from coordination.open311.services import api_key_create
from coordination.rules.models import RuleSet
from coordination.rules.services import ruleset_draft_create
from issues.models import Attachment, Category, Issue
from tests.factories import (
    AgencyFactory,
    CategoryFactory,
    IssueFactory,
    SLAPolicyFactory,
    UserFactory,
    member,
    routing_rule,
)

# --------------------------------------------------------------------------------- roles

ANONYMOUS = "anonymous"
RESIDENT_A = "resident_a"
RESIDENT_B = "resident_b"
LEAD = "lead_staff"
OTHER = "other_staff"
CO_HANDLER = "co_handler"
PARTNER = "partner"
MANAGER = "manager"
DISPATCHER = "dispatcher"
ADMINISTRATOR = "administrator"

ROLES = (
    ANONYMOUS,
    RESIDENT_A,
    RESIDENT_B,
    LEAD,
    OTHER,
    CO_HANDLER,
    PARTNER,
    MANAGER,
    DISPATCHER,
    ADMINISTRATOR,
)

# ------------------------------------------------------------------------ personal data

FULL, MASKED, NONE = "full", "masked", "none"


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    def strings(self, level: str) -> dict[str, str]:
        """What a viewer at ``level`` sees of this contact, by kind."""
        if level == FULL:
            return {
                "name": self.name,
                "phone": self.phone,
                "masked phone": self.masked_phone,
                "email": self.email,
            }
        if level == MASKED:
            return {"masked phone": self.masked_phone}
        return {}


# X: the case of the matrix; Y: the same with the resident's consent for partners;
# Z: reported anonymously; T: waiting in triage; W: another agency's case (merged into X).
CONTACTS = {
    "X": Contact("欧阳明轩", "13812345678", "ouyang.mingxuan@example.net"),
    "Y": Contact("司马芷若", "13987654321", "sima.zhiruo@example.net"),
    "Z": Contact("上官婉清", "13724681357", "shangguan.wanqing@example.net"),
    "T": Contact("诸葛云舒", "13613572468", "zhuge.yunshu@example.net"),
    "W": Contact("慕容子墨", "13598761234", "murong.zimo@example.net"),
}
# What the matrix's own filings carry (a report, an API filing, an Open311 request): never
# echoed back in the answer to whoever filed them.
FILED = Contact("东方晓岚", "13455556666", "dongfang.xiaolan@example.net")

ISSUES = tuple(CONTACTS)

# Who sees each issue on the staff pages and the staff API (the issue is in their reach).
SEES: dict[str, frozenset[str]] = {
    "X": frozenset({LEAD, CO_HANDLER, PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
    "Y": frozenset({LEAD, CO_HANDLER, PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
    "Z": frozenset({LEAD, CO_HANDLER, MANAGER, DISPATCHER, ADMINISTRATOR}),
    "T": frozenset({DISPATCHER, ADMINISTRATOR}),
    "W": frozenset({OTHER, DISPATCHER, ADMINISTRATOR}),
}
# Whose own report each issue is (their "my issues").
OWNS: dict[str, frozenset[str]] = {RESIDENT_A: frozenset({"X"})}

# The most of each issue's contact a role may see anywhere (everything else: none). The lead
# agency and the dispatcher see it; co-handlers a masked phone; partners only with consent;
# an anonymous report's contact only the dispatcher. The manager of the lead's parent body
# works the lead's cases and may see what the lead sees. Resident A may see their own.
CONTACT_LEVEL: dict[str, dict[str, str]] = {
    "X": {
        LEAD: FULL,
        CO_HANDLER: MASKED,
        MANAGER: FULL,
        DISPATCHER: FULL,
        ADMINISTRATOR: FULL,
        RESIDENT_A: FULL,
    },
    "Y": {
        LEAD: FULL,
        CO_HANDLER: MASKED,
        PARTNER: MASKED,
        MANAGER: FULL,
        DISPATCHER: FULL,
        ADMINISTRATOR: FULL,
    },
    "Z": {DISPATCHER: FULL, ADMINISTRATOR: FULL},
    "T": {DISPATCHER: FULL, ADMINISTRATOR: FULL},
    "W": {OTHER: FULL, DISPATCHER: FULL, ADMINISTRATOR: FULL},
}


def contact_level(issue: str, role: str) -> str:
    return CONTACT_LEVEL[issue].get(role, NONE)


# -------------------------------------------------------------------------------- world


@dataclass
class World:
    agencies: dict[str, Agency]
    users: dict[str, AbstractBaseUser]
    issues: dict[str, Issue]
    # The lead assignment of each dispatched issue, and X's co-handling assignments.
    lead: dict[str, Assignment]
    co_handling: dict[str, Assignment]
    request: CoordinationRequest
    category: Category
    active_ruleset: RuleSet
    draft_ruleset: RuleSet
    photo: Attachment
    open311_key: str
    extras: dict[str, object] = field(default_factory=dict)

    def user(self, role: str) -> AbstractBaseUser:
        return self.users[role]

    def token(self, issue: str) -> str:
        return self.issues[issue].access_token

    def number(self, issue: str) -> str:
        return self.issues[issue].tracking_number


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _issue(key: str, category: Category, **fields) -> Issue:
    contact = CONTACTS[key]
    return IssueFactory(
        title=f"Matrix case {key}: the street light at the corner is out",
        description="Dark for three nights; the pavement is uneven there.",
        category=category,
        status=Issue.Status.TRIAGE,
        contact_name=contact.name,
        contact_phone=contact.phone,
        contact_email=contact.email,
        **fields,
    )


def build_world() -> World:
    """The city of the matrix. Runs inside a transaction its caller rolls back."""
    kind = Agency.Kind
    agencies = {
        "D": AgencyFactory(code="pm-centre", kind=kind.DISPATCH_CENTRE),
        "P": AgencyFactory(code="pm-district", kind=kind.GOVERNMENT_DEPARTMENT),
        "O": AgencyFactory(code="pm-water", kind=kind.GOVERNMENT_DEPARTMENT),
        "C": AgencyFactory(code="pm-police", kind=kind.GOVERNMENT_DEPARTMENT),
        "E": AgencyFactory(code="pm-utility", kind=kind.ENTERPRISE_PARTNER),
    }
    # The lead is a street office (so it may blow the whistle) under the district body P.
    agencies["L"] = AgencyFactory(code="pm-street", kind=kind.STREET_OFFICE, parent=agencies["P"])
    users = {
        RESIDENT_A: UserFactory(username="pm_resident_a"),
        RESIDENT_B: UserFactory(username="pm_resident_b"),
        LEAD: member(agencies["L"], username="pm_staff_street"),
        OTHER: member(agencies["O"], username="pm_staff_water"),
        CO_HANDLER: member(agencies["C"], username="pm_staff_police"),
        PARTNER: member(agencies["E"], username="pm_staff_utility"),
        MANAGER: member(agencies["P"], role=Membership.Role.MANAGER, username="pm_manager"),
        DISPATCHER: member(agencies["D"], username="pm_dispatcher"),
        ADMINISTRATOR: UserFactory(username="pm_admin", is_superuser=True, is_staff=True),
    }
    category = CategoryFactory(code="pm-lighting", name_en="Street lighting")
    SLAPolicyFactory()
    rule = routing_rule(category=category, lead=agencies["L"])
    active = rule.ruleset
    draft = ruleset_draft_create(actor=users[ADMINISTRATOR], based_on=active)
    dispatcher = users[DISPATCHER]

    issues = {
        "X": _issue("X", category, reporter=users[RESIDENT_A], share_contact_with_partners=False),
        "Y": _issue("Y", category, share_contact_with_partners=True),
        "Z": _issue("Z", category, anonymous=True),
        "T": _issue("T", None),
        "W": _issue("W", category),
    }
    for key, co_handlers in (("X", "CE"), ("Y", "CE"), ("Z", "C")):
        issue_dispatch(
            issue_id=issues[key].pk,
            lead=agencies["L"],
            co_handlers=[agencies[code] for code in co_handlers],
            actor=dispatcher,
        )
    issue_dispatch(issue_id=issues["W"].pk, lead=agencies["O"], actor=dispatcher)
    for issue in issues.values():
        issue.refresh_from_db()

    lead = {
        key: issues[key].assignments.get(role=Assignment.Role.LEAD) for key in ("X", "Y", "Z", "W")
    }
    co_handling = {code: issues["X"].assignments.get(agency=agencies[code]) for code in ("C", "E")}
    # An open request for the dispatcher: the lead asks for more time on Y.
    request = requests.assignment_request_extension(
        assignment_id=lead["Y"].pk,
        actor=users[LEAD],
        until=timezone.now() + timedelta(days=60),
        reason="The lamp post must be replaced, not repaired.",
    )
    png = _png()
    photo = Attachment.objects.create(
        issue=issues["X"],
        file=ContentFile(png, name="matrix.png"),
        content_type=Attachment.Format.PNG,
        width=4,
        height=3,
        size=len(png),
        sha256="0" * 64,
    )
    _api_key, key = api_key_create(name="pm-partner-system")
    world = World(
        agencies=agencies,
        users=users,
        issues=issues,
        lead=lead,
        co_handling=co_handling,
        request=request,
        category=category,
        active_ruleset=active,
        draft_ruleset=draft,
        photo=photo,
        open311_key=key,
        extras={"png": png},
    )
    # The hot room's part of the city (its rows live beside it and import this module).
    from tests.hot.matrix import build_hot_world

    world.extras["hot"] = build_hot_world(world)
    return world
