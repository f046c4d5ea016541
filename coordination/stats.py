"""The three rates by which every agency is measured, and their companions, from the record.

For each agency and period [start, end) of assignments received:

- **response rate**: of the assignments whose response deadline has come (or that were
  signed for), the share signed for (签收) by that deadline;
- **resolution rate**: of the lead assignments done, the share not sent back afterwards by a
  low rating or a reopen (redo);
- **satisfaction rate**: of the ratings of its resolutions (appeals upheld left out), the
  share of 4 and 5;
- **bounce rate**: approved bounce-backs per assignment received; **redo rate**: redo
  assignments per lead assignment; **overdue**: active assignments late now.

Rates are None when there is nothing to measure yet, never a misleading 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from issues.models import Feedback

from .models import Assignment, CoordinationRequest


@dataclass(frozen=True)
class AgencyRates:
    agency: str
    name: str
    kind: str
    assigned: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    bounce_rate: float | None
    redo_rate: float | None
    overdue: int

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def agency_rates(
    *, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> list[AgencyRates]:
    """Rates of every active agency (but the dispatch centre) for assignments received in
    [start, end); a handful of queries whatever the number of agencies."""
    now = now or timezone.now()
    window = Q()
    if start:
        window &= Q(created_at__gte=start)
    if end:
        window &= Q(created_at__lt=end)
    rows = Assignment.objects.filter(window).values(
        "pk",
        "agency_id",
        "issue_id",
        "role",
        "status",
        "created_at",
        "accepted_at",
        "response_due_at",
        "due_at",
        "done_at",
        "redo",
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    done_leads: list[dict] = []
    for row in rows:
        c = counts[row["agency_id"]]
        c["assigned"] += 1
        if row["status"] == Assignment.Status.CANCELLED:
            continue
        due = row["response_due_at"]
        if row["accepted_at"] is not None or (due is not None and due <= now):
            c["response_due"] += 1
            if row["accepted_at"] is not None and (due is None or row["accepted_at"] <= due):
                c["response_in_time"] += 1
        if row["role"] == Assignment.Role.LEAD:
            c["leads"] += 1
            c["redo"] += row["redo"]
            if row["status"] == Assignment.Status.DONE:
                done_leads.append(row)
        active = row["status"] in Assignment.ACTIVE_STATUSES
        late_response = row["status"] == Assignment.Status.PENDING and due and due < now
        if active and (late_response or (row["due_at"] and row["due_at"] < now)):
            c["overdue"] += 1
    # A done lead assignment counts as resolved unless a redo for the same issue and agency
    # came after it.
    redo_after = defaultdict(list)
    for issue_id, agency_id, created in Assignment.objects.filter(
        redo=True, issue_id__in={r["issue_id"] for r in done_leads}
    ).values_list("issue_id", "agency_id", "created_at"):
        redo_after[(issue_id, agency_id)].append(created)
    for row in done_leads:
        c = counts[row["agency_id"]]
        c["done"] += 1
        later = redo_after.get((row["issue_id"], row["agency_id"]), [])
        if not any(created > row["done_at"] for created in later):
            c["resolved"] += 1
    # Each rating belongs to the lead whose resolution it rated: the last done before it.
    leads_by_issue = defaultdict(list)
    for row in done_leads:
        leads_by_issue[row["issue_id"]].append(row)
    for issue_id, rating, at in Feedback.objects.filter(
        excluded=False, issue_id__in=leads_by_issue.keys()
    ).values_list("issue_id", "rating", "at"):
        before = [r for r in leads_by_issue[issue_id] if r["done_at"] and r["done_at"] <= at]
        if before:
            c = counts[max(before, key=lambda r: r["done_at"])["agency_id"]]
            c["rated"] += 1
            c["satisfied"] += rating >= 4
    bounces = CoordinationRequest.objects.filter(
        kind=CoordinationRequest.Kind.BOUNCE,
        status=CoordinationRequest.Status.APPROVED,
        assignment__in=Assignment.objects.filter(window),
    ).values_list("assignment__agency_id", flat=True)
    for agency_id in bounces:
        counts[agency_id]["bounced"] += 1
    agencies = Agency.objects.filter(active=True).exclude(kind=Agency.Kind.DISPATCH_CENTRE)
    return [
        AgencyRates(
            agency=agency.code,
            name=agency.name,
            kind=agency.kind,
            assigned=(c := counts.get(agency.pk, {})).get("assigned", 0),
            response_rate=_rate(c.get("response_in_time", 0), c.get("response_due", 0)),
            resolution_rate=_rate(c.get("resolved", 0), c.get("done", 0)),
            satisfaction_rate=_rate(c.get("satisfied", 0), c.get("rated", 0)),
            bounce_rate=_rate(c.get("bounced", 0), c.get("assigned", 0)),
            redo_rate=_rate(c.get("redo", 0), c.get("leads", 0)),
            overdue=c.get("overdue", 0),
        )
        for agency in agencies.order_by("code")
    ]
