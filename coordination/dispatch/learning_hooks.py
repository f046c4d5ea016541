"""What the classifier (``coordination.learning``, below this room) must hear of the
dispatcher's decisions, as subscribers to the dispatch events: a bounce-back approved means
the category the issue was dispatched as taught nothing."""

from __future__ import annotations

from django.db import transaction

from coordination.learning.services import category_labels_bounced

from .events import Event, subscribe
from .models import CoordinationRequest


def on_request_decided(*, request_id: int, issue_id: int, approved: bool, **_ids) -> None:
    if not approved:
        return
    kind = CoordinationRequest.objects.filter(pk=request_id).values_list("kind", flat=True).first()
    if kind == CoordinationRequest.Kind.BOUNCE:
        with transaction.atomic():  # a savepoint of its own: the decision stands regardless
            category_labels_bounced(issue_id=issue_id)


def connect() -> None:
    subscribe(Event.REQUEST_DECIDED, on_request_decided)
