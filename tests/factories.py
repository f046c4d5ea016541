"""Factories for test data. Agencies and memberships go through the services that set up
their permission groups, as production code does."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from agencies.geometry import rectangle
from agencies.models import Agency, Area, Membership
from agencies.services import agency_group, membership_set
from coordination.models import Assignment, RoutingRule, SLAPolicy
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


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"rule {n}")
    category = factory.SubFactory(CategoryFactory)
    lead = factory.SubFactory(AgencyFactory)

    @factory.post_generation
    def co_handlers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.co_handlers.set(extracted)


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy

    response_hours = 2
    resolution_hours = 72


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    issue = factory.SubFactory(IssueFactory, status=Issue.Status.DISPATCHED)
    agency = factory.SubFactory(AgencyFactory)
    role = Assignment.Role.LEAD
