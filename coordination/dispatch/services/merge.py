"""Duplicates merged into the issue that continues (并单)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import Issue, Update
from issues.services import issue_add_update
from platform_gov.errors import WorkflowError

from ..events import Event, publish
from ..models import Assignment, Handoff
from ..selectors import dispatch_centre
from ..transitions import ISSUE
from .common import end_active_work

# An issue that may still absorb a duplicate: one being handled, or waiting for its rating.
_SURVIVORS = frozenset(ISSUE.sources(Issue.Status.MERGED, by="issue_merge"))


def issue_merge(*, issue_id: int, into_id: int, actor: AbstractBaseUser) -> Issue:
    """Merge a duplicate into the issue that continues (并单).

    The duplicate's open assignments are cancelled and it ends as ``merged``; its resident
    is told (``issue.merged``) and its tracking page follows the surviving issue. Raises
    WorkflowError for merging an issue into itself, into an issue that has ended, or one
    that has ended; ``Issue.DoesNotExist`` when either is missing.
    """
    if issue_id == into_id:
        raise WorkflowError(_("An issue cannot be merged into itself."), code="same_issue")
    with transaction.atomic():
        first, second = sorted([issue_id, into_id])  # lock in one order: no deadlock
        locked = {i.pk: i for i in Issue.objects.select_for_update().filter(pk__in=[first, second])}
        duplicate, survivor = locked.get(issue_id), locked.get(into_id)
        if duplicate is None or survivor is None:
            raise Issue.DoesNotExist
        merged = ISSUE.move(
            duplicate.status,
            Issue.Status.MERGED,
            by="issue_merge",
            refused=_("This issue has ended already."),
        )
        if survivor.status not in _SURVIVORS:
            raise WorkflowError(
                _("Merge into an issue that is still being handled."), code="survivor_ended"
            )
        now = timezone.now()
        duplicate.status = merged
        end_active_work(duplicate, Assignment.Status.CANCELLED, by="issue_merge", now=now)
        duplicate.merged_into = survivor
        duplicate.closed_at = now
        duplicate.save(update_fields=["status", "merged_into", "closed_at", "updated_at"])
        Handoff.objects.create(
            issue=duplicate,
            kind=Handoff.Kind.MERGED,
            from_agency=dispatch_centre(),
            actor=actor,
            details={"into": survivor.pk, "tracking_number": survivor.tracking_number},
        )
        issue_add_update(issue=duplicate, kind=Update.Kind.MERGED, note=survivor.tracking_number)
        # The survivor's resident learns that others reported the same problem.
        issue_add_update(issue=survivor, kind=Update.Kind.MERGED, note=duplicate.tracking_number)
        publish(Event.ISSUE_MERGED, issue_id=duplicate.pk, into_id=survivor.pk)
    return duplicate
