"""Factories for test data. Agencies and memberships go through the services that set up
their permission groups, as production code does."""

from __future__ import annotations

from collections.abc import Sequence

import factory
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from agencies.geometry import rectangle
from agencies.models import Agency, Area, Membership
from agencies.services import agency_group, membership_set
from coordination.deadlines.models import SLAPolicy
from coordination.dispatch.models import Assignment
from coordination.rules.models import Rule, RuleSet
from issues.models import Category, Issue

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"area-{n}")
    name_zh = factory.Sequence(lambda n: f"区域{n}")
    name_en = factory.Sequence(lambda n: f"Area {n}")
    level = Area.Level.STREET
    geometry = factory.LazyFunction(lambda: rectangle(116.0, 39.0, 117.0, 40.0))


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"agency-{n}")
    name_zh = factory.Sequence(lambda n: f"单位{n}")
    name_en = factory.Sequence(lambda n: f"Agency {n}")
    kind = Agency.Kind.GOVERNMENT_DEPARTMENT

    @factory.post_generation
    def with_group(obj, create, extracted, **kwargs):
        if create:
            agency_group(agency=obj)


def member(agency: Agency, *, role: str = Membership.Role.STAFF, username: str | None = None):
    """A user who works for ``agency`` (through the service, so group membership is real)."""
    user = UserFactory(username=username) if username else UserFactory()
    membership_set(user=user, agency=agency, role=role)
    return user


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name_zh = factory.Sequence(lambda n: f"类别{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    service_code = factory.LazyAttribute(lambda c: c.code.upper())


class IssueFactory(factory.django.DjangoModelFactory):
    """An issue row as-is (no routing). Use ``issues.services.issue_submit`` for the real path."""

    class Meta:
        model = Issue

    title = factory.Sequence(lambda n: f"Street light {n} is out")
    description = "The light has been dark for three nights."
    category = factory.SubFactory(CategoryFactory)
    lat = 39.9
    lon = 116.4
    address = "1 Example Road"
    contact_name = "Li Hua"
    contact_phone = "13812345678"
    contact_email = "lihua@example.org"


def active_ruleset() -> RuleSet:
    """The active rule set, created (and made active directly) when there is none."""
    ruleset = RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()
    if ruleset is None:
        version = (
            RuleSet.objects.order_by("-version").values_list("version", flat=True).first() or 0
        ) + 1
        ruleset = RuleSet.objects.create(version=version, status=RuleSet.Status.ACTIVE)
    return ruleset


def routing_rule(
    *,
    category: Category | None = None,
    lead: Agency | None = None,
    co_handlers: Sequence[Agency] = (),
    position: int = 100,
    include_subcategories: bool = True,
    name: str | None = None,
    ruleset: RuleSet | None = None,
) -> Rule:
    """A rule "category (and its children) → lead, co-handlers" in the active rule set.

    The returned rule also carries ``category`` and ``lead`` as plain attributes for tests.
    """
    category = category or CategoryFactory()
    lead = lead or AgencyFactory()
    rule = Rule.objects.create(
        ruleset=ruleset or active_ruleset(),
        name=name or f"{category.code} → {lead.code}",
        position=position,
        conditions={
            "all": [
                {
                    "field": "category",
                    "op": "under" if include_subcategories else "is",
                    "value": category.code,
                }
            ]
        },
        actions={
            "lead": {"type": "agency", "agency": lead.code},
            "co_handlers": [{"type": "agency", "agency": a.code} for a in co_handlers],
            "stop": True,
        },
    )
    rule.category, rule.lead = category, lead
    return rule


# The name the first tests used; a function now, since a rule lives in a rule set.
RoutingRuleFactory = routing_rule


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy

    response_hours = 2
    resolution_hours = 72


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment
        skip_postgeneration_save = True

    issue = factory.SubFactory(IssueFactory, status=Issue.Status.DISPATCHED)
    agency = factory.SubFactory(AgencyFactory)
    role = Assignment.Role.LEAD

    @factory.post_generation
    def view_permission(obj, create, extracted, **kwargs):
        """Grant the agency's view of the issue as the assigning service does (returned and
        cancelled assignments give none); ``view_permission=False`` skips it on purpose."""
        if (
            create
            and extracted is not False
            and obj.status
            in (
                *Assignment.ACTIVE_STATUSES,
                Assignment.Status.DONE,
            )
        ):
            assign_perm("issues.view_issue", agency_group(agency=obj.agency), obj.issue)
