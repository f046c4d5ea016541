"""The demo city's past: a year of deterministic history behind the dashboard, written once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from coordination.demo.past import PREFIX, seed_past
from coordination.reporting.models import Rollup
from issues.models import Issue

pytestmark = pytest.mark.django_db


def test_the_past_fills_a_year_of_rollup_once_and_the_same_every_time():
    call_command("seed_demo", "--quiet", "--no-history", "--no-classifier", stdout=StringIO())
    assert not Issue.objects.filter(tracking_number__startswith=PREFIX).exists()

    count, written = seed_past()

    assert written and count > 3000
    months = {d.strftime("%Y-%m") for d in Rollup.objects.values_list("day", flat=True)}
    assert len(months) >= 12
    totals = Rollup.objects.aggregate(
        filed=Sum("filed"), rated=Sum("rated"), bounced=Sum("bounced"), redone=Sum("redone")
    )
    assert totals["filed"] == Issue.objects.count()
    assert totals["rated"] > 0 and totals["bounced"] > 0 and totals["redone"] > 0
    assert Rollup.objects.values("channel").distinct().count() == 5
    first = list(
        Issue.objects.filter(tracking_number__startswith=PREFIX)
        .order_by("tracking_number")
        .values_list("title", "channel", "category__code")[:50]
    )

    again, written_again = seed_past()

    assert (again, written_again) == (count, False)
    # Deterministic: the same seed gives the same history.
    Issue.objects.filter(tracking_number__startswith=PREFIX).delete()
    seed_past()
    assert (
        list(
            Issue.objects.filter(tracking_number__startswith=PREFIX)
            .order_by("tracking_number")
            .values_list("title", "channel", "category__code")[:50]
        )
        == first
    )
