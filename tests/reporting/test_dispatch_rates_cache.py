"""The dispatcher's page keeps the agencies' rates in the cache for a few minutes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from tests.factories import AgencyFactory, AssignmentFactory, member

pytestmark = pytest.mark.django_db


def charts(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dispatch/")
    assert response.status_code == 200
    rows = {
        chart["key"]: [(str(row["agency"]), row["assigned"]) for row in chart["rows"]]
        for chart in response.context["charts"]
    }
    return rows, len(queries)


@pytest.mark.parametrize("ttl", [0, 300])
def test_the_rates_come_from_the_cache_within_its_time(client, settings, ttl):
    settings.RATES_CACHE_SECONDS = ttl
    client.force_login(member(AgencyFactory(kind=Agency.Kind.DISPATCH_CENTRE)))
    AssignmentFactory(agency=AgencyFactory(name_zh="水务局"))

    first, first_queries = charts(client)
    AssignmentFactory(agency=AgencyFactory(name_zh="交通局"))
    second, second_queries = charts(client)

    assert ("水务局", 1) in first["response_rate"]
    if ttl:
        assert second == first  # the cached rates, without the new agency's work
        assert second_queries < first_queries
    else:
        assert ("交通局", 1) in second["response_rate"]
        assert second_queries >= first_queries
