"""The demo city that ``manage.py seed_demo`` loads: complete, consistent and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from agencies.geometry import point_in_geometry
from agencies.models import Agency, Area, Membership
from coordination.deadlines.models import SLAPolicy
from coordination.dispatch.models import Assignment
from coordination.rules.models import RuleSet
from coordination.rules.validation import ruleset_problems
from issues.models import Category, Issue
from issues.publication import private_category_ids
from issues.services import issue_submit

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2026"
User = get_user_model()

MINIMUM_PER_KIND = {
    Agency.Kind.DISPATCH_CENTRE: 1,
    Agency.Kind.GOVERNMENT_DEPARTMENT: 8,
    Agency.Kind.STREET_OFFICE: 3,
    Agency.Kind.COMMUNITY: 6,
    Agency.Kind.PARTY_ORGANISATION: 1,
    Agency.Kind.MASS_ORGANISATION: 2,
    Agency.Kind.ENTERPRISE_PARTNER: 2,
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(settings) -> str:
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    return seed()


def centre(area: Area) -> tuple[float, float]:
    (ring,) = area.geometry["coordinates"]
    lons = [lon for lon, _ in ring]
    lats = [lat for _, lat in ring]
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def test_every_kind_of_organisation_is_there(seeded):
    for kind, minimum in MINIMUM_PER_KIND.items():
        assert Agency.objects.filter(kind=kind).count() >= minimum, kind
    for code in (
        "dispatch",
        "housing",
        "hrss",
        "police",
        "street-east",
        "party",
        "youth-league",
        "womens-federation",
        "power",
        "property",
    ):
        assert Agency.objects.filter(code=code, active=True).exists(), code


def test_each_street_office_has_two_communities_in_its_street(seeded):
    for office in Agency.objects.filter(kind=Agency.Kind.STREET_OFFICE):
        communities = office.children.filter(kind=Agency.Kind.COMMUNITY)
        assert communities.count() == 2
        assert {c.area.parent_id for c in communities} == {office.area_id}


def test_one_district_holds_three_streets_of_two_communities(seeded):
    (district,) = Area.objects.filter(level=Area.Level.DISTRICT)
    streets = list(district.children.all())
    assert len(streets) == 3
    assert {s.level for s in streets} == {Area.Level.STREET}
    for street in streets:
        communities = list(street.children.all())
        assert len(communities) == 2
        for community in communities:
            assert community.level == Area.Level.COMMUNITY
            lon, lat = centre(community)
            assert point_in_geometry(street.geometry, lon=lon, lat=lat), community.code
            assert point_in_geometry(district.geometry, lon=lon, lat=lat)


def test_communities_do_not_overlap(seeded):
    communities = list(Area.objects.filter(level=Area.Level.COMMUNITY))
    for community in communities:
        lon, lat = centre(community)
        holders = [c.code for c in communities if c.contains(lon=lon, lat=lat)]
        assert holders == [community.code]


def test_categories_form_two_levels_with_unique_service_codes(seeded):
    categories = list(Category.objects.select_related("parent"))
    assert len(categories) >= 20
    top = [c for c in categories if c.parent is None]
    children = [c for c in categories if c.parent is not None]
    assert top and children
    assert all(c.parent.parent is None for c in children)
    codes = [c.service_code for c in categories]
    assert len(codes) == len(set(codes))


def test_the_demo_rule_set_is_published_and_valid(seeded):
    ruleset = RuleSet.objects.get()
    assert ruleset.status == RuleSet.Status.ACTIVE
    assert ruleset.rules.count() >= 20
    assert ruleset_problems(ruleset=ruleset) == []


def test_some_category_is_left_to_triage(seeded):
    named = {
        condition["value"]
        for rule in RuleSet.objects.get().rules.all()
        for condition in rule.conditions.get("all", [])
        if condition["field"] == "category"
    }
    assert Category.objects.filter(parent=None).exclude(code__in=named).exists()


def test_a_default_deadline_policy_exists(seeded):
    assert SLAPolicy.objects.filter(category=None, priority="").exists()


def test_running_twice_changes_no_row_count(seeded):
    before = row_counts()
    seed("--quiet")
    assert row_counts() == before


def test_resetting_passwords_keeps_row_counts(seeded):
    before = row_counts()
    seed("--quiet", "--reset-passwords")
    assert row_counts() == before


def can_log_in(username: str, password: str) -> bool:
    # The sign-in lock-out (axes) checks every attempt against its request, so pass one.
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password) is not None


@pytest.mark.parametrize("username", ["admin", "dispatcher", "staff_housing", "operator"])
def test_demo_users_can_log_in(seeded, username):
    assert can_log_in(username, DEMO_PASSWORD)


def test_a_changed_password_is_kept_unless_reset(seeded):
    user = User.objects.get(username="staff_housing")
    user.set_password("my-own-password")
    user.save()
    seed("--quiet")
    assert can_log_in("staff_housing", "my-own-password")
    seed("--quiet", "--reset-passwords")
    assert can_log_in("staff_housing", DEMO_PASSWORD)


def test_admin_is_a_superuser(seeded):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff


def test_dispatcher_works_at_the_dispatch_centre(seeded):
    membership = Membership.objects.get(user__username="dispatcher")
    assert membership.agency.code == "dispatch"
    assert membership.agency.is_dispatch_centre


def test_every_agency_has_a_group_holding_its_staff(seeded):
    for agency in Agency.objects.select_related("group"):
        assert agency.group is not None, agency.code
        if agency.is_dispatch_centre:
            continue
        for role in (Membership.Role.STAFF, Membership.Role.MANAGER):
            user = User.objects.get(username=f"{role}_{agency.code}")
            assert user.groups.filter(pk=agency.group_id).exists()
            assert Membership.objects.filter(user=user, agency=agency, role=role).exists()


def test_output_lists_the_logins_and_the_password(seeded):
    for username in ("admin", "dispatcher", "staff_housing", "staff_street-east"):
        assert username in seeded
    assert DEMO_PASSWORD in seeded


def test_quiet_leaves_out_the_logins(seeded):
    assert "staff_housing" not in seed("--quiet")


def test_an_issue_with_a_rule_is_dispatched_to_its_lead(seeded, django_capture_on_commit_callbacks):
    category = Category.objects.get(code="construction-noise-night")
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(
            title="工地夜间施工",
            description="凌晨一点还在打桩。",
            category=category,
            lat=39.89,
            lon=116.41,
        )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    lead = issue.assignments.get(role=Assignment.Role.LEAD)
    assert lead.agency.code == "housing"
    co_handlers = set(
        issue.assignments.filter(role=Assignment.Role.CO_HANDLER).values_list(
            "agency__code", flat=True
        )
    )
    # The police, and the street office whose area holds the place (属地).
    assert co_handlers == {"police", "street-east"}


def test_an_issue_without_a_rule_goes_to_triage(seeded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(
            title="其他问题",
            description="不知道该找谁。",
            category=Category.objects.get(code="other"),
        )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.TRIAGE
    assert not issue.assignments.exists()


def test_the_demo_resident_has_an_account_and_no_organisation(seeded, client):
    resident = User.objects.get(username="resident")
    assert resident.check_password(DEMO_PASSWORD)
    assert not resident.is_staff and not resident.memberships.exists()
    client.force_login(resident)
    assert client.get("/accounts/welcome/")["Location"] == "/my/issues/"


def test_the_demo_keeps_sensitive_categories_private(seeded):
    """Labour disputes, women's and children's rights and neighbour disputes are never
    published (issues.publication), nor are the categories under them."""
    private = set(
        Category.objects.filter(pk__in=private_category_ids()).values_list("code", flat=True)
    )
    assert {"labour", "unpaid-wages", "social-insurance", "women-children"} <= private
    assert "street-light" not in private


def test_the_operator_takes_calls_and_the_knowledge_base_answers(seeded):
    from coordination.dispatch.permissions import is_operator
    from coordination.knowledge.models import Article
    from coordination.knowledge.search import search

    assert is_operator(User.objects.get(username="operator"))
    assert Article.objects.filter(status=Article.Status.PUBLISHED).count() >= 20
    assert Article.objects.filter(question__regex=r"^[A-Za-z]").exists()  # English ones too
    assert search("停电了怎么办")[0].article.question == "家里突然停电了怎么办？"
    from coordination.rules.models import Responsibility
    from coordination.rules.validation import ruleset_warnings

    assert Responsibility.objects.filter(agency__code="water").exists()
    assert isinstance(ruleset_warnings(ruleset=RuleSet.objects.get(status="active")), list)
