"""What the platform owes people and partners when the dispatcher's events happen.

Each subscriber runs inside the transaction of the service that published the event (see
``coordination.dispatch.events``): it records what it owes there, as outbox rows
(``outbox.py``; a webhook's delivery log row too), and the relay sends them after the
commit. :func:`connect` subscribes them all; the
outbound app calls it once at start-up.

==================  ====================================  ==============================
event               e-mail                                webhook (to the organisation)
==================  ====================================  ==============================
issue.dispatched    the resident                          —
issue.replied       the resident                          —
issue.resolved      the resident (asked to rate)          ``assignment.resolved``
issue.merged        the duplicate's resident              —
issue.supervised    the managers on the case              —
issue.followed_up   the staff on the case                 —
assignment.created  the organisation's staff              ``assignment.created``
request.decided     the organisation that asked           ``assignment.decided``
deadline.step       staff / managers / the dispatcher     ``assignment.deadline_near``
==================  ====================================  ==============================
"""

from __future__ import annotations

from django.utils import timezone

from coordination.dispatch.events import Event, subscribe
from coordination.dispatch.models import Assignment, DeadlineEvent
from coordination.dispatch.selectors import dispatch_centre
from issues.models import Issue

from .outbox import outbox_mail_resident, outbox_mail_staff, outbox_record_many, outbox_webhook
from .relay import resident_mail, staff_mail
from .webhooks.services import (
    assignment_payload,
    webhook_agencies_listening,
    webhook_deliveries_record,
)


def _resident(issue_id: int, event: str) -> None:
    outbox_mail_resident(issue_id=issue_id, event=event)


def _staff(agency_id: int, issue_id: int, event: str, *, managers_only: bool = False) -> None:
    outbox_mail_staff(
        agency_id=agency_id,
        issue_id=issue_id,
        event=event,
        managers_only=managers_only,
    )


def _webhook(*, agency_id: int, event: str, assignment_id: int) -> None:
    """Record a delivery per endpoint of the organisation that listens, each with its outbox
    row. The payload is read only when some endpoint listens."""
    occurred_at = timezone.now()

    def payload() -> dict:
        assignment = Assignment.objects.select_related("issue__category").get(pk=assignment_id)
        return assignment_payload(assignment, occurred_at=occurred_at)

    for delivery in webhook_deliveries_record(agency_id=agency_id, event=event, payload=payload):
        outbox_webhook(delivery)


def on_issue_dispatched(*, issue_id: int, agency_id: int) -> None:
    _resident(issue_id, "dispatched")


def on_issue_replied(*, issue_id: int) -> None:
    _resident(issue_id, "replied")


def on_issue_resolved(*, issue_id: int, assignment_id: int, agency_id: int) -> None:
    _resident(issue_id, "resolved")
    _webhook(agency_id=agency_id, event="assignment.resolved", assignment_id=assignment_id)


def on_issue_merged(*, issue_id: int, into_id: int) -> None:
    _resident(issue_id, "merged")


def on_issue_supervised(*, issue_id: int, agency_ids: list[int]) -> None:
    for agency_id in agency_ids:
        _staff(agency_id, issue_id, "escalated", managers_only=True)


def on_issue_followed_up(*, issue_id: int, agency_ids: list[int]) -> None:
    for agency_id in agency_ids:
        _staff(agency_id, issue_id, "followed_up")


def on_assignment_created(*, assignment_id: int, issue_id: int, agency_id: int) -> None:
    _staff(agency_id, issue_id, "assigned")
    _webhook(agency_id=agency_id, event="assignment.created", assignment_id=assignment_id)


def on_request_decided(
    *, request_id: int, assignment_id: int, issue_id: int, agency_id: int, approved: bool
) -> None:
    _staff(agency_id, issue_id, "request_decided")
    _webhook(agency_id=agency_id, event="assignment.decided", assignment_id=assignment_id)


def on_deadline_step(
    *, assignment_id: int, issue_id: int, agency_id: int, clock: str, step: str
) -> None:
    Step = DeadlineEvent.Step
    # The last escalation goes to the dispatch centre; the one before, to managers only.
    centre = dispatch_centre() if step == Step.DISPATCHER else None
    _staff(
        centre.pk if centre else agency_id,
        issue_id,
        f"deadline_{step}",
        managers_only=step == Step.MANAGERS,
    )
    if step == Step.WARNING:
        _webhook(agency_id=agency_id, event="assignment.deadline_near", assignment_id=assignment_id)


# Batch forms, for a batch of routings (``publish_many``): the e-mails in one insert, and
# one query for which organisations listen by webhook.


def on_issues_dispatched(items: list[dict]) -> None:
    """Only residents who left an address are owed the e-mail (one query finds them)."""
    with_address = set(
        Issue.objects.filter(pk__in=[i["issue_id"] for i in items])
        .exclude(contact_email="")
        .values_list("pk", flat=True)
    )
    outbox_record_many(
        [
            resident_mail(issue_id=i["issue_id"], event="dispatched")
            for i in items
            if i["issue_id"] in with_address
        ]
    )


def on_assignments_created(items: list[dict]) -> None:
    outbox_record_many(
        [
            staff_mail(agency_id=i["agency_id"], issue_id=i["issue_id"], event="assigned")
            for i in items
        ]
    )
    event = "assignment.created"
    listening = webhook_agencies_listening(agency_ids={i["agency_id"] for i in items}, event=event)
    for i in items:
        if i["agency_id"] in listening:
            _webhook(agency_id=i["agency_id"], event=event, assignment_id=i["assignment_id"])


SUBSCRIBERS = {
    Event.ISSUE_DISPATCHED: on_issue_dispatched,
    Event.ISSUE_REPLIED: on_issue_replied,
    Event.ISSUE_RESOLVED: on_issue_resolved,
    Event.ISSUE_MERGED: on_issue_merged,
    Event.ISSUE_SUPERVISED: on_issue_supervised,
    Event.ISSUE_FOLLOWED_UP: on_issue_followed_up,
    Event.ASSIGNMENT_CREATED: on_assignment_created,
    Event.REQUEST_DECIDED: on_request_decided,
    Event.DEADLINE_STEP: on_deadline_step,
}


BATCH_FORMS = {
    on_issue_dispatched: on_issues_dispatched,
    on_assignment_created: on_assignments_created,
}


def connect() -> None:
    for event, subscriber in SUBSCRIBERS.items():
        subscribe(event, subscriber, many=BATCH_FORMS.get(subscriber))
