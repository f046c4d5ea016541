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

For the managers' dashboard, also the issues filed per day or week and the open ones by area.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDay, TruncWeek
from django.utils import timezone

from agencies.models import Agency
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.routing.areas import AreaIndex
from coordination.routing.model import AreaShape
from issues.models import Feedback, Issue


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


def _agency_counts(
    *, start: datetime | None, end: datetime | None, now: datetime
) -> dict[int, dict[str, int]]:
    """Agency id → the parts and wholes of its rates, for assignments received in
    [start, end)."""
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
    return counts


def _measured(agency_ids: Collection[int] | None):
    agencies = Agency.objects.filter(active=True).exclude(kind=Agency.Kind.DISPATCH_CENTRE)
    if agency_ids is not None:
        agencies = agencies.filter(pk__in=agency_ids)
    return agencies.order_by("code")


def _rates_of(agency: Agency, c: Mapping[str, int]) -> AgencyRates:
    return AgencyRates(
        agency=agency.code,
        name=agency.name,
        kind=agency.kind,
        assigned=c.get("assigned", 0),
        response_rate=_rate(c.get("response_in_time", 0), c.get("response_due", 0)),
        resolution_rate=_rate(c.get("resolved", 0), c.get("done", 0)),
        satisfaction_rate=_rate(c.get("satisfied", 0), c.get("rated", 0)),
        bounce_rate=_rate(c.get("bounced", 0), c.get("assigned", 0)),
        redo_rate=_rate(c.get("redo", 0), c.get("leads", 0)),
        overdue=c.get("overdue", 0),
    )


def agency_rates(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    agency_ids: Collection[int] | None = None,
) -> list[AgencyRates]:
    """Rates of every active agency (but the dispatch centre; only those of ``agency_ids``
    when given) for assignments received in [start, end); a handful of queries whatever the
    number of agencies."""
    counts = _agency_counts(start=start, end=end, now=now or timezone.now())
    return [_rates_of(agency, counts.get(agency.pk, {})) for agency in _measured(agency_ids)]


@dataclass(frozen=True)
class RatesSummary:
    """The three rates of a set of agencies taken together, each with its basis (how many
    assignments, resolutions or ratings it measures), and each agency's own rates.

    The pooled rate is the share over all their assignments, not an average of the agencies'
    rates: an agency with two cases weighs less than one with two hundred.
    """

    agencies: list[AgencyRates]
    assigned: int
    response_rate: float | None
    response_basis: int
    resolution_rate: float | None
    resolution_basis: int
    satisfaction_rate: float | None
    satisfaction_basis: int
    overdue: int


def rates_summary(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    agency_ids: Collection[int] | None = None,
) -> RatesSummary:
    """:func:`agency_rates` of the agencies (all, or those of ``agency_ids``), and their
    pooled rates; the same queries."""
    counts = _agency_counts(start=start, end=end, now=now or timezone.now())
    return rates_pooled(list(_measured(agency_ids)), counts)


def rates_pooled(agencies: list[Agency], counts: dict[int, dict[str, int]]) -> RatesSummary:
    """Each organisation's rates from its counts, and the rates of their counts pooled: the
    one arithmetic of the live figures and of the rollup's (``figures.rollup_summary``)."""
    total: dict[str, int] = defaultdict(int)
    for agency in agencies:
        for key, value in counts.get(agency.pk, {}).items():
            total[key] += value
    return RatesSummary(
        agencies=[_rates_of(agency, counts.get(agency.pk, {})) for agency in agencies],
        assigned=total["assigned"],
        response_rate=_rate(total["response_in_time"], total["response_due"]),
        response_basis=total["response_due"],
        resolution_rate=_rate(total["resolved"], total["done"]),
        resolution_basis=total["done"],
        satisfaction_rate=_rate(total["satisfied"], total["rated"]),
        satisfaction_basis=total["rated"],
        overdue=total["overdue"],
    )


# ----------------------------------------------------------------- the dashboard's charts


@dataclass(frozen=True)
class TrendStep:
    """Issues filed in one day or week (from ``start``, a local date) and how many of those
    are resolved (or closed) now."""

    start: date
    filed: int
    resolved: int


def _step_start(day: date, step: str) -> date:
    return day - timedelta(days=day.weekday()) if step == "week" else day


def issues_trend(
    *, issues: QuerySet[Issue], start: datetime, end: datetime, step: str
) -> list[TrendStep]:
    """``issues`` filed in [start, end), counted by local day or week (``step``: "day" or
    "week", weeks from Monday), every step of the period included, empty ones as 0.

    One query: the database groups and counts, whatever the number of issues.
    """
    trunc = TruncWeek if step == "week" else TruncDay
    rows = (
        issues.filter(created_at__gte=start, created_at__lt=end)
        .annotate(step=trunc("created_at"))
        .values("step")
        .annotate(
            filed=Count("pk"),
            resolved=Count("pk", filter=Q(status__in=[Issue.Status.RESOLVED, Issue.Status.CLOSED])),
        )
        .order_by()
    )
    found: dict[date, tuple[int, int]] = {}
    for row in rows:
        moment = row["step"]
        day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
        found[day] = (row["filed"], row["resolved"])
    steps = []
    day = _step_start(timezone.localtime(start).date(), step)
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    while day <= last:
        filed, resolved = found.get(day, (0, 0))
        steps.append(TrendStep(start=day, filed=filed, resolved=resolved))
        day += timedelta(days=7 if step == "week" else 1)
    return steps


@dataclass(frozen=True)
class AreaCounts:
    """Open issues by the area containing their place; ``elsewhere``: open issues with no
    place or a place inside none of the areas."""

    by_area: dict[str, int]
    elsewhere: int


def open_issues_by_area(
    *, issues: QuerySet[Issue], start: datetime, end: datetime, areas: Iterable[AreaShape]
) -> AreaCounts:
    """The open ones of ``issues`` filed in [start, end), counted by the area of ``areas``
    containing their place (areas that overlap each count it).

    One query: the database groups the issues by place; each distinct place is then found
    with the routing's area index (a grid with exact point-in-polygon tests).
    """
    index = AreaIndex(areas)
    places = (
        issues.filter(status__in=Issue.OPEN_STATUSES, created_at__gte=start, created_at__lt=end)
        .values("lon", "lat")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_area: dict[str, int] = defaultdict(int)
    elsewhere = 0
    for place in places:
        codes = index.containing(place["lon"], place["lat"])
        if not codes:
            elsewhere += place["n"]
        for code in codes:
            by_area[code] += place["n"]
    return AreaCounts(by_area=dict(by_area), elsewhere=elsewhere)


# ----------------------------------------------------------------------- by channel


@dataclass(frozen=True)
class ChannelRates:
    """Issues filed by one channel in a period, the share answered at first contact (直接办结,
    closed by the call-taker, never routed) and the three rates over the work their routed
    issues gave the organisations (answered-on-the-spot issues give none, so count apart)."""

    channel: str
    label: str
    filed: int
    answered_at_first_contact: int
    first_contact_share: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def channel_rates(
    *,
    issues: QuerySet[Issue] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> list[ChannelRates]:
    """Every channel (those with nothing filed as zeros), for ``issues`` (all when None: the
    dispatcher's view; a manager's, those they may see) filed in [start, end).

    Four queries whatever the number of issues: the database counts issues, assignments and
    ratings grouped by the issue's channel.
    """
    now = now or timezone.now()
    window = Q()
    if start:
        window &= Q(created_at__gte=start)
    if end:
        window &= Q(created_at__lt=end)
    issues = (Issue.objects.all() if issues is None else issues).filter(window)
    filed = {
        row["channel"]: row
        for row in issues.values("channel")
        .annotate(n=Count("pk"), spot=Count("pk", filter=Q(answered_at_first_contact=True)))
        .order_by()
    }
    live = Assignment.objects.filter(issue__in=issues).exclude(status=Assignment.Status.CANCELLED)
    due = Q(accepted_at__isnull=False) | Q(response_due_at__lte=now)
    in_time = Q(accepted_at__isnull=False) & (
        Q(response_due_at__isnull=True) | Q(accepted_at__lte=F("response_due_at"))
    )
    work = {
        row["issue__channel"]: row
        for row in live.values("issue__channel")
        .annotate(
            response_due=Count("pk", filter=due),
            response_in_time=Count("pk", filter=due & in_time),
        )
        .order_by()
    }
    # A done lead counts as resolved unless a redo for the same issue and agency came after.
    redone_later = Assignment.objects.filter(
        redo=True,
        issue_id=OuterRef("issue_id"),
        agency_id=OuterRef("agency_id"),
        created_at__gt=OuterRef("done_at"),
    )
    done = {
        row["issue__channel"]: row
        for row in live.filter(role=Assignment.Role.LEAD, status=Assignment.Status.DONE)
        .annotate(redone=Exists(redone_later))
        .values("issue__channel")
        .annotate(done=Count("pk"), resolved=Count("pk", filter=Q(redone=False)))
        .order_by()
    }
    rated = {
        row["issue__channel"]: row
        for row in Feedback.objects.filter(excluded=False, issue__in=issues)
        .values("issue__channel")
        .annotate(rated=Count("pk"), satisfied=Count("pk", filter=Q(rating__gte=4)))
        .order_by()
    }
    found = []
    for channel, label in Issue.Channel.choices:
        f, w = filed.get(channel, {}), work.get(channel, {})
        d, r = done.get(channel, {}), rated.get(channel, {})
        found.append(
            ChannelRates(
                channel=channel,
                label=str(label),
                filed=f.get("n", 0),
                answered_at_first_contact=f.get("spot", 0),
                first_contact_share=_rate(f.get("spot", 0), f.get("n", 0)),
                response_rate=_rate(w.get("response_in_time", 0), w.get("response_due", 0)),
                resolution_rate=_rate(d.get("resolved", 0), d.get("done", 0)),
                satisfaction_rate=_rate(r.get("satisfied", 0), r.get("rated", 0)),
            )
        )
    return found
