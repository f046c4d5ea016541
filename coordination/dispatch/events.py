"""What the dispatcher's services announce, and who listens (mail, webhooks, …).

A service changes its rows in a transaction and announces what happened with
``publish(Event.ASSIGNMENT_CREATED, assignment_id=..., issue_id=..., agency_id=...)``: ids
only, never rows. Each subscriber runs at once, inside the service's transaction: it records
what it owes there (a webhook delivery, say), in a savepoint of its own when it writes, and
sends only after the commit (``transaction.on_commit``), so nothing goes out for a change
that was rolled back. A subscriber that fails is logged; the workflow's change stands.
(No savepoint is taken for a subscriber that has nothing to write: most events concern
organisations without a webhook, and the hot path of routing should not pay for them.)

Subscribers register in their app's ``ready()`` (``coordination.outbound``): the services
never import who listens, so no service imports a task module that imports it back, and a
new kind of listener changes no service.

The events and the ids each carries:

====================  ==========================================================
``issue.dispatched``  ``issue_id``, ``agency_id`` (the lead it was sent to)
``issue.replied``     ``issue_id`` (a public reply to the resident)
``issue.resolved``    ``issue_id``, ``assignment_id`` and ``agency_id`` of the lead
``issue.merged``      ``issue_id`` (the duplicate), ``into_id``
``issue.supervised``  ``issue_id``, ``agency_ids`` (the organisations on the case)
``assignment.created`` ``assignment_id``, ``issue_id``, ``agency_id``
``request.decided``   ``request_id``, ``assignment_id``, ``issue_id``, ``agency_id``,
                      ``approved``
``deadline.step``     ``assignment_id``, ``issue_id``, ``agency_id``, ``clock``, ``step``
====================  ==========================================================

A service acting on many rows at once (a batch of routings) announces them together with
``publish_many(event, [ids, ...])``; a subscriber may give a batch form of itself
(``subscribe(event, subscriber, many=...)``) that writes for all of them in a few queries.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum

logger = logging.getLogger(__name__)


class Event(StrEnum):
    ISSUE_DISPATCHED = "issue.dispatched"
    ISSUE_REPLIED = "issue.replied"
    ISSUE_RESOLVED = "issue.resolved"
    ISSUE_MERGED = "issue.merged"
    ISSUE_SUPERVISED = "issue.supervised"
    ISSUE_FOLLOWED_UP = "issue.followed_up"
    ASSIGNMENT_CREATED = "assignment.created"
    REQUEST_DECIDED = "request.decided"
    DEADLINE_STEP = "deadline.step"


Subscriber = Callable[..., None]
_subscribers: dict[Event, list[Subscriber]] = defaultdict(list)


_batch_forms: dict[Subscriber, Callable[[list[dict]], None]] = {}


def subscribe(
    event: Event, subscriber: Subscriber, *, many: Callable[[list[dict]], None] | None = None
) -> None:
    """Call ``subscriber(**ids)`` for every ``event`` published from now on (once, however
    often it is subscribed). ``many``: its batch form, given the ids of every event of a
    :func:`publish_many` in one call (one query where ``subscriber`` makes one each)."""
    if subscriber not in _subscribers[event]:
        _subscribers[event].append(subscriber)
    if many is not None:
        _batch_forms[subscriber] = many


def unsubscribe(event: Event, subscriber: Subscriber) -> None:
    if subscriber in _subscribers[event]:
        _subscribers[event].remove(subscriber)
    if not any(subscriber in subs for subs in _subscribers.values()):
        _batch_forms.pop(subscriber, None)


def subscribers(event: Event) -> tuple[Subscriber, ...]:
    return tuple(_subscribers[event])


def _deliver(subscriber: Callable, event: Event, *args, **ids) -> None:
    """Call one subscriber; its exception is logged with the event and its ids (ids are not
    personal data) and never reaches the service that published."""
    try:
        subscriber(*args, **ids)
    except Exception:
        logger.exception(
            "subscriber %s of %s failed (%s)", subscriber.__qualname__, event, ids or len(args[0])
        )


def publish(event: Event, **ids) -> None:
    """Announce ``event`` to its subscribers, in the caller's transaction."""
    for subscriber in tuple(_subscribers[event]):
        _deliver(subscriber, event, **ids)


def publish_many(event: Event, items: list[dict]) -> None:
    """:func:`publish` for each ids of ``items`` (a batch of routings, say): a subscriber with
    a batch form gets them all at once, the others one by one."""
    if not items:
        return
    for subscriber in tuple(_subscribers[event]):
        batch = _batch_forms.get(subscriber)
        if batch is not None:
            _deliver(batch, event, items)
            continue
        for ids in items:
            _deliver(subscriber, event, **ids)
