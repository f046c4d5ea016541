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
