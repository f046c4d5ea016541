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
"""

from __future__ import annotations

from django.db import models

COUNTS = (
    "filed",
    "closed",
    "open",
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


class Rollup(models.Model):
    day = models.DateField()
    agency = models.ForeignKey(
        "agencies.Agency", null=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "issues.Category", null=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey("agencies.Area", null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)

    # Issue facts.
    filed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)  # resolved or closed now
    open = models.PositiveIntegerField(default=0)
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

    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["day", "agency"], name="rollup_day_agency")]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "category", "area", "channel"],
                name="rollup_one_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.category_id} {self.area_id} {self.channel}"
