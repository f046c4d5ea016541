"""The dispatcher's record of work: assignments, coordination requests, deadline steps and
the append-only handoffs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agencies.models import Agency
from coordination.deadlines.models import SLAPolicy
from issues.models import Issue

# These models were born in the ``coordination`` app and moved here when it was split into
# rooms: their tables, and the names of their constraints, keep the old prefix, so the move
# changed no database (see ``coordination/migrations/0007_rooms.py``).


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
    # The deadline that comes next: while pending, the sooner of signing for it (a summoned
    # department's is 30 minutes) and resolving it; once accepted, resolving it. Computed by
    # the database, so queues and late work are read in this order straight from an index.
    next_due_at = models.GeneratedField(
        expression=Case(
            When(
                status="pending",
                then=Least(
                    Coalesce("response_due_at", "due_at"), Coalesce("due_at", "response_due_at")
                ),
            ),
            default=F("due_at"),
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name=_("due next"),
    )

    class Meta:
        db_table = "coordination_assignment"
        ordering = ["due_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="coord_assign_queue"),
            # An agency's open work in queue order (what is due next, id): the first page of a
            # queue is read straight from the index, however many cases the agency has had.
            models.Index(
                fields=["agency", "next_due_at", "id"],
                condition=Q(status__in=["pending", "accepted"]),
                name="coord_assign_open_next",
            ),
            # The city's late work and work due soon, soonest first (the dispatcher's page).
            models.Index(
                fields=["next_due_at"],
                condition=Q(status__in=["pending", "accepted"]),
                name="coord_assign_open_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(role="lead", status__in=["pending", "accepted"]),
                name="coordination_assignment_one_active_lead",
                violation_error_message=_("An issue has at most one active lead."),
            ),
            models.UniqueConstraint(
                fields=["issue", "agency"],
                condition=Q(status__in=["pending", "accepted"]),
                name="coordination_assignment_one_active_per_agency",
                violation_error_message=_(
                    "This organisation already holds an active assignment for this issue."
                ),
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | ~Q(status="pending"),
                name="coordination_assignment_pending_not_accepted",
                violation_error_message=_("A pending assignment has not been accepted."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue.tracking_number} → {self.agency.code} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def next_deadline(self) -> tuple[str, object] | None:
        """``("accept", when)`` or ``("resolve", when)``, whichever comes first (only the
        latter once accepted); None when finished or without a deadline. The same rule as
        ``next_due_at``, for one row."""
        if not self.is_active:
            return None
        response, resolution = self.response_due_at, self.due_at
        pending = self.status == self.Status.PENDING
        if pending and response is not None and (resolution is None or response <= resolution):
            return ("accept", response)
        return ("resolve", resolution) if resolution is not None else None

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
        # Not the issue's "Rejected" (不予受理): a request turned down (驳回).
        REJECTED = "rejected", pgettext_lazy("coordination request", "Rejected")

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
        db_table = "coordination_coordinationrequest"
        ordering = ["requested_at", "id"]
        verbose_name = _("coordination request")
        verbose_name_plural = _("coordination requests")
        indexes = [models.Index(fields=["status", "kind"], name="coord_request_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind"],
                condition=Q(status="open"),
                name="coordination_coordinationrequest_one_open_per_kind",
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
        db_table = "coordination_deadlineevent"
        ordering = ["at", "id"]
        verbose_name = _("deadline event")
        verbose_name_plural = _("deadline events")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "clock", "step", "due_at"],
                name="coordination_deadlineevent_once_per_deadline",
                violation_error_message=_("This step was taken for this deadline already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} {self.clock} {self.step}"


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
        db_table = "coordination_handoff"
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
