"""The rollup: the dashboard's figures counted ahead, per day × organisation × category ×
area × channel.

Two kinds of facts share a row, each on the day it belongs to:

- **issue facts** (``filed``, ``closed``, ``open``), on the local day the issue was filed,
  under the organisation it was first assigned to (none while it was never assigned);
- **assignment facts** (the parts and wholes of the rates, see ``selectors``), on the local
  day the organisation received the assignment, under that organisation.

Category, area and channel are always the issue's. The rows are rewritten by
``services.rollup_refresh`` (a frequent task, and ``manage.py rebuild_rollup``); nothing else
writes them.

The dashboard reads two coarser summaries of the same rows, written by the same refresh: per
day × organisation (``AgencySummary``, every count) and per day × category, area or channel
(``FacetSummary``: the whole city's by day, and each organisation's by month). Each also has a
row per month (the sums of its days), so that a year reads twelve months rather than 365 days:
a figure then reads thousands of rows, not a row per issue.
"""

from __future__ import annotations

from django.db import models

COUNTS = (
    "filed",
    "closed",
    "open",
    "answered",
    "assigned",
    "response_due",
    "responded_in_time",
    "responded",
    "leads",
    "done",
    "resolved",
    "resolved_in_time",
    "rated",
    "satisfied",
    "bounced",
    "redone",
    "overdue",
)
SUMS = ("response_seconds", "resolution_seconds")
# The time distributions: how many took at most each bound (seconds), the last bucket the rest.
RESPONSE_BOUNDS = (3600, 4 * 3600, 24 * 3600)
RESOLUTION_BOUNDS = (24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600)
BUCKETS = tuple(f"response_b{i}" for i in range(4)) + tuple(f"resolution_b{i}" for i in range(4))
# What the breakdowns keep: the issue facts, and the parts and wholes of the three rates (the
# table by channel).
FACET_COUNTS = (
    "filed",
    "closed",
    "open",
    "answered",
    "response_due",
    "responded_in_time",
    "done",
    "resolved",
    "rated",
    "satisfied",
)


class Figures(models.Model):
    """The counts every table of figures keeps (see the module's docstring), whatever its
    key: the fine rollup and the summaries read by the dashboard add up the same facts."""

    # Issue facts.
    filed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)  # resolved or closed now
    open = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)  # at first contact (直接办结), never routed
    # Assignment facts.
    assigned = models.PositiveIntegerField(default=0)
    response_due = models.PositiveIntegerField(default=0)
    responded_in_time = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    response_seconds = models.BigIntegerField(default=0)  # over ``responded``
    leads = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)  # done and not sent back afterwards
    resolved_in_time = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)  # over ``done``
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    redone = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)

    response_b0 = models.PositiveIntegerField(default=0)
    response_b1 = models.PositiveIntegerField(default=0)
    response_b2 = models.PositiveIntegerField(default=0)
    response_b3 = models.PositiveIntegerField(default=0)
    resolution_b0 = models.PositiveIntegerField(default=0)
    resolution_b1 = models.PositiveIntegerField(default=0)
    resolution_b2 = models.PositiveIntegerField(default=0)
    resolution_b3 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class Rollup(Figures):
    """The fine rollup: one row per day × organisation × category × area × channel. At city
    scale it holds nearly a row per issue, so the dashboard reads the summaries below instead;
    the monthly report and the public figures (which leave private categories out) read it."""

    day = models.DateField()
    agency = models.ForeignKey(
        "agencies.Agency", null=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "issues.Category", null=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey("agencies.Area", null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)

    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["day", "agency"], name="rollup_day_agency"),
            # A manager's breakdowns: their organisations' rows of the period only, read from
            # the index alone on PostgreSQL (a year of a district's rows lies scattered over
            # the whole table, a heap page each).
            models.Index(
                fields=["agency", "day"],
                include=["category", "area", "channel", *FACET_COUNTS],
                name="rollup_agency_day",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "category", "area", "channel"],
                name="rollup_one_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.category_id} {self.area_id} {self.channel}"


class Span(models.TextChoices):
    DAY = "day"
    MONTH = "month"  # ``day`` is the month's first day; the sums of its days' rows


class AgencySummary(Figures):
    """Every count per day (or month) × organisation (none: issues never assigned): the sums
    of the rollup's rows with that key, from which the dashboard reads the rates, the trend
    and the time distributions (a year of the city: 200 organisations × 12 months)."""

    span = models.CharField(max_length=5, choices=Span.choices)
    day = models.DateField()
    agency = models.ForeignKey(
        "agencies.Agency", null=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [
            # A manager's organisations: their rows of the period only.
            models.Index(fields=["agency", "span", "day"], name="summary_agency_span_day")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "agency"], name="reporting_agencysummary_one_row_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.day} {self.agency_id}"


class FacetSummary(models.Model):
    """Issues filed (closed or open now, answered at first contact) and the parts and wholes
    of the three rates, per day (or month) × category, area or channel (``facet``; ``value``
    the category's or area's id, or the channel; empty for none): the breakdowns, the map and
    the table by channel.

    Rows without an organisation are the whole city's (every organisation's and the issues
    never assigned), by day and by month: the dispatcher's. Rows of an organisation are by
    month only: a manager's year reads its organisations' months here and the days either side
    from the rollup (by day, an organisation's rows would be nearly as many as the rollup's)."""

    class Facet(models.TextChoices):
        CATEGORY = "category"
        AREA = "area"
        CHANNEL = "channel"

    span = models.CharField(max_length=5, choices=Span.choices)
    day = models.DateField()
    agency = models.ForeignKey(
        "agencies.Agency", null=True, on_delete=models.CASCADE, related_name="+"
    )
    facet = models.CharField(max_length=8, choices=Facet.choices)
    value = models.CharField(max_length=20, blank=True)
    filed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    response_due = models.PositiveIntegerField(default=0)
    responded_in_time = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["agency", "span", "day"], name="facets_agency_span_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "agency", "facet", "value"],
                name="reporting_facetsummary_one_row_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(agency__isnull=True) | models.Q(span="month"),
                name="reporting_facetsummary_organisations_by_month",
                violation_error_message="An organisation's breakdowns are kept by month only.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.day} {self.facet}={self.value}"
