"""The dispatcher's records: routing rules, deadline policies, assignments and handoffs."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from issues.models import Category, Issue


class RuleSet(models.Model):
    """One version of the routing rules: a draft, the one active version, or a retired one.

    Drafts are edited and validated; publishing makes a draft (or, to roll back, a retired
    version) the single active version and retires the one before. Published versions are
    never edited again, so every issue's routing can be replayed against the version that
    decided it. Each publication is recorded with who and when.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="%(app_label)s_%(class)s_one_active",
                violation_error_message=_("Only one rule set can be active."),
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Rule(models.Model):
    """One routing rule of a rule set: conditions on an issue's facts and what to do.

    ``conditions`` and ``actions`` hold the JSON the routing engine reads (see
    ``coordination.routing.model.RuleSpec``): for example all of category under ``noise``
    and keyword any of 工地, 施工 → lead ``housing``, co-handler the street office of the place.
    """

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=100)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "position": self.position,
            "conditions": self.conditions or {},
            "actions": self.actions or {},
        }


class RuleSetPublication(models.Model):
    """Who made which rule set active, when, and whether it was a rollback."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("Published")
        ROLLBACK = "rollback", _("Rolled back to")

    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="publications")
    previous = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("rule set publication")
        verbose_name_plural = _("rule set publications")

    def __str__(self) -> str:
        return f"{self.get_action_display()} v{self.ruleset.version}"


class SLAPolicy(models.Model):
    """How long an agency has to respond (sign for) and to resolve an assignment.

    The most specific policy wins: category and priority, then category alone, then priority
    alone, then the default (neither). Hours are working hours of the city's calendar (weekends
    and public holidays off), unless the policy counts round the clock.
    """

    code = models.SlugField(
        _("code"),
        max_length=64,
        blank=True,
        help_text=_(
            "Name a policy so that routing rules can choose it (a rule's deadline policy)."
        ),
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Issue.Priority.choices, blank=True
    )
    response_hours = models.PositiveIntegerField(_("hours to respond"), default=2)
    resolution_hours = models.PositiveIntegerField(_("hours to resolve"), default=72)
    round_the_clock = models.BooleanField(
        _("count every hour"),
        default=False,
        help_text=_("Count calendar hours, not working hours (for urgent matters)."),
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"],
                condition=Q(category__isnull=False),
                name="%(app_label)s_%(class)s_one_per_category_priority",
                violation_error_message=_(
                    "A policy for this category and priority exists already."
                ),
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code=""),
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message=_("Another deadline policy has this code."),
            ),
            # NULL is distinct in a unique index, so the city-wide defaults need their own.
            models.UniqueConstraint(
                fields=["priority"],
                condition=Q(category__isnull=True),
                name="%(app_label)s_%(class)s_one_default_per_priority",
                violation_error_message=_("A city-wide policy for this priority exists already."),
            ),
            models.CheckConstraint(
                condition=Q(response_hours__lte=models.F("resolution_hours")),
                name="%(app_label)s_%(class)s_response_before_resolution",
                violation_error_message=_("The response time cannot exceed the resolution time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} / {self.priority or '*'}"

    @property
    def response_delta(self) -> timedelta:
        return timedelta(hours=self.response_hours)

    @property
    def resolution_delta(self) -> timedelta:
        return timedelta(hours=self.resolution_hours)


class Assignment(models.Model):
    """One agency's share of an issue: the lead, or a co-handler, each with its own clock.

    An assignment is ``pending`` until its agency signs for it (签收), ``accepted`` while it
    works, then ``done``; ``returned`` when the dispatcher takes it back, ``cancelled`` when
    the issue ends otherwise. At most one lead assignment of an issue is active at a time,
    and an agency holds at most one active assignment per issue.
    """

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead (主办)")
        CO_HANDLER = "co_handler", _("Co-handler (协办)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be accepted")
        ACCEPTED = "accepted", _("Accepted")
        DONE = "done", _("Done")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATUSES = (Status.PENDING, Status.ACCEPTED)

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    sla_policy = models.ForeignKey(
        SLAPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    response_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    # Summoned by a street office's whistle (吹哨报到): a short deadline to respond.
    summoned = models.BooleanField(_("summoned by whistle"), default=False)
    # Sent back to the same lead after a low rating or a reopen (返工).
    redo = models.BooleanField(_("redo"), default=False)
    extended = models.BooleanField(_("deadline extended"), default=False)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="coord_assign_queue"),
            # An agency's open work in queue order (due_at, id): the first page of a queue is
            # read straight from the index, however many cases the agency has had.
            models.Index(
                fields=["agency", "due_at", "id"],
                condition=Q(status__in=["pending", "accepted"]),
                name="coord_assign_open_queue",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(role="lead", status__in=["pending", "accepted"]),
                name="%(app_label)s_%(class)s_one_active_lead",
                violation_error_message=_("An issue has at most one active lead."),
            ),
            models.UniqueConstraint(
                fields=["issue", "agency"],
                condition=Q(status__in=["pending", "accepted"]),
                name="%(app_label)s_%(class)s_one_active_per_agency",
                violation_error_message=_(
                    "This organisation already holds an active assignment for this issue."
                ),
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | ~Q(status="pending"),
                name="%(app_label)s_%(class)s_pending_not_accepted",
                violation_error_message=_("A pending assignment has not been accepted."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue.tracking_number} → {self.agency.code} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def is_overdue(self, now=None) -> bool:
        """Late to sign for (while pending), or late to resolve (while active)."""
        if not self.is_active:
            return False
        now = now or timezone.now()
        late_response = (
            self.status == self.Status.PENDING
            and self.response_due_at is not None
            and now > self.response_due_at
        )
        return late_response or (self.due_at is not None and now > self.due_at)


class CoordinationRequest(models.Model):
    """An agency's request that only the dispatcher may grant: the obligatory passage point.

    Bounce-back (退单), transfer (转办), co-handling (协办), extension (延期) and an appeal
    against an unfair rating all wait here, ``open``, until the dispatcher approves or
    rejects them. Both the request and the decision are handoffs. ``payload`` carries what the
    kind needs: ``suggested_agency``, ``agencies``, ``until`` or ``feedback``.
    """

    class Kind(models.TextChoices):
        BOUNCE = "bounce", _("Bounce-back (退单)")
        TRANSFER = "transfer", _("Transfer (转办)")
        COHANDLE = "cohandle", _("Co-handling (协办)")
        EXTENSION = "extension", _("Extension (延期)")
        APPEAL = "appeal", _("Rating appeal")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the dispatcher")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="coordination_requests")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    reason = models.TextField(_("reason"), max_length=2000)
    payload = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("coordination request")
        verbose_name_plural = _("coordination requests")
        indexes = [models.Index(fields=["status", "kind"], name="coord_request_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind"],
                condition=Q(status="open"),
                name="%(app_label)s_%(class)s_one_open_per_kind",
                violation_error_message=_("A request of this kind is already waiting."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issue.tracking_number} ({self.status})"


class DeadlineEvent(models.Model):
    """A warning, reminder or escalation (督办) sent for one deadline, at most once.

    The unique constraint is what makes the periodic sweep safe to run often and twice at
    once: a step for a given deadline is recorded once and never repeated. An extension
    moves the deadline, so the steps may come again for the new one.
    """

    class Clock(models.TextChoices):
        RESPONSE = "response", _("Accept")
        RESOLUTION = "resolution", _("Resolve")

    class Step(models.TextChoices):
        WARNING = "warning", _("Deadline near")
        REMINDER = "reminder", _("Deadline reached")
        MANAGERS = "managers", _("Escalated to the organisation's managers")
        DISPATCHER = "dispatcher", _("Escalated to the dispatcher")

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="deadline_events"
    )
    clock = models.CharField(max_length=16, choices=Clock.choices)
    step = models.CharField(max_length=16, choices=Step.choices)
    due_at = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("deadline event")
        verbose_name_plural = _("deadline events")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "clock", "step", "due_at"],
                name="%(app_label)s_%(class)s_once_per_deadline",
                violation_error_message=_("This step was taken for this deadline already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} {self.clock} {self.step}"


class CalendarDay(models.Model):
    """A day the working calendar treats specially: a public holiday or a make-up working day
    (调休). Weekends and working hours come from settings (WORK_CALENDAR)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class HandoffQuerySet(models.QuerySet):
    """Handoffs are an append-only record: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError("Handoffs are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Handoffs are append-only; they cannot be deleted.")


class Handoff(models.Model):
    """One event in the life of an issue: who passed what to whom, when and why.

    Every change of an issue's state writes exactly one Handoff. Rows are never changed or
    removed (the model and, on PostgreSQL, a trigger refuse it), so every organisation sees
    the same history. ``details`` holds the decision's reasons, such as the routing rule that
    matched.
    """

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ROUTED = "routed", _("Routed")
        TRIAGED = "triaged", _("Sent to triage")
        DISPATCHED = "dispatched", _("Dispatched by hand")
        ACCEPTED = "accepted", _("Accepted (签收)")
        BOUNCE_REQUESTED = "bounce_requested", _("Return requested (退单)")
        BOUNCE_APPROVED = "bounce_approved", _("Return approved")
        BOUNCE_REJECTED = "bounce_rejected", _("Return rejected")
        TRANSFER_REQUESTED = "transfer_requested", _("Transfer requested (转办)")
        TRANSFERRED = "transferred", _("Transferred")
        TRANSFER_REJECTED = "transfer_rejected", _("Transfer rejected")
        COHANDLING_REQUESTED = "cohandling_requested", _("Co-handling requested (协办)")
        COHANDLER_ADDED = "cohandler_added", _("Co-handler added")
        COHANDLING_REJECTED = "cohandling_rejected", _("Co-handling rejected")
        WHISTLE = "whistle", _("Whistle (吹哨报到)")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested (延期)")
        EXTENSION_GRANTED = "extension_granted", _("Extension granted")
        EXTENSION_DENIED = "extension_denied", _("Extension denied")
        REMINDED = "reminded", _("Reminded")
        ESCALATED = "escalated", _("Escalated (督办)")
        REPLIED = "replied", _("Replied")
        RESOLVED = "resolved", _("Resolved")
        FEEDBACK = "feedback", _("Feedback (回访)")
        APPEAL_REQUESTED = "appeal_requested", _("Rating appealed")
        APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld: rating left out")
        APPEAL_REJECTED = "appeal_rejected", _("Appeal rejected")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged (并单)")

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="handoffs")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs"
    )
    from_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # PROTECT: a person who acted on a case stays on its record; deactivate, never delete.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(_("decision details"), default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes = [models.Index(fields=["issue", "at"], name="coord_handoff_issue_at")]

    def __str__(self) -> str:
        return f"{self.issue_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Handoffs are append-only; they cannot be changed.")
        # Always an INSERT: a new object given an existing primary key must fail, not
        # silently overwrite that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Handoffs are append-only; they cannot be deleted.")


class ApiKey(models.Model):
    """A key issued to another system for Open311 GeoReport v2 requests.

    Only a SHA-256 hash of the key is stored; the key itself is shown once, when issued
    (``manage.py open311_key create``). ``prefix`` finds the row without scanning hashes.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="api_keys"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class WebhookEndpoint(models.Model):
    """An agency's HTTPS endpoint that receives its assignment events, signed with a secret."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=128)
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agency__code", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.agency.code} → {self.url}"


class WebhookDelivery(models.Model):
    """One event to deliver to one endpoint; retried with backoff until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(unique=True)
    event = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:40]
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S} → {outcome}"


class ContactAccess(models.Model):
    """A member of staff was shown a resident's contact details: who, which issue, how much,
    where, when. Append-only, for the audit a complainant is owed."""

    class Level(models.TextChoices):
        FULL = "full", _("Full contact")
        MASKED = "masked", _("Masked phone")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=16, choices=Level.choices)
    via = models.CharField(max_length=16)  # "page", "api" or "admin"
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact access")
        verbose_name_plural = _("contact accesses")

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.level} contact of {self.issue_id} via {self.via}"
