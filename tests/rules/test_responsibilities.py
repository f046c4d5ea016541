"""Responsibility lists (职责清单): a rule sending a category to an organisation whose list
does not hold it is a warning, which does not stop publishing."""

from __future__ import annotations

import pytest

from coordination.rules.models import Responsibility
from coordination.rules.validation import ruleset_problems, ruleset_warnings
from tests.factories import AgencyFactory, CategoryFactory, active_ruleset, routing_rule

pytestmark = pytest.mark.django_db


def test_a_rule_outside_the_organisations_list_is_a_warning_not_a_problem():
    water = AgencyFactory(code="water")
    roads = AgencyFactory(code="roads")  # keeps no list: not checked
    supply = CategoryFactory(code="water-supply")
    pipes = CategoryFactory(code="pipes", parent=supply)
    noise = CategoryFactory(code="noise")
    Responsibility.objects.create(agency=water, category=supply, legal_basis="《供水条例》")
    held = routing_rule(category=supply, lead=water)
    below = routing_rule(category=pipes, lead=water)  # under a held category: fine
    outside = routing_rule(category=noise, lead=water, co_handlers=[roads])
    routing_rule(category=noise, lead=roads)

    warnings = ruleset_warnings(ruleset=active_ruleset())

    assert [(w.rule_id, w.field) for w in warnings] == [(outside.pk, "actions.lead")]
    assert "noise" in warnings[0].message and "water" in warnings[0].message
    assert held.pk and below.pk
    assert not [p for p in ruleset_problems(ruleset=active_ruleset()) if "responsib" in p.message]


def test_the_dispatcher_sees_who_is_responsible_when_choosing_an_organisation(client):
    from agencies.models import Agency
    from tests.factories import IssueFactory, member

    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    water = AgencyFactory(code="water", name_zh="水务局")
    AgencyFactory(code="roads", name_zh="交通局")
    supply = CategoryFactory(code="water-supply")
    Responsibility.objects.create(agency=water, category=supply, legal_basis="《供水条例》")
    issue = IssueFactory(category=CategoryFactory(code="pipes", parent=supply), status="triage")
    client.force_login(member(centre))
    page = client.get(f"/dispatch/issues/{issue.pk}/").content.decode()
    assert 'data-testid="responsible-for"' in page
    assert "水务局" in page and "《供水条例》" in page and "交通局 ·" not in page
