"""The hot room's answers to what others announce (issues never imports us), and to its own
events that need a task (services never import the tasks)."""

from __future__ import annotations

from django.dispatch import receiver

from coordination.dispatch.events import subscribe
from issues.signals import issue_submitted

from .events import HotEvent
from .tasks import hot_assign_after_commit, hot_supports_sync_after_commit


@receiver(issue_submitted, dispatch_uid="hot.issue_submitted")
def on_issue_submitted(sender, *, issue, **kwargs) -> None:
    """Cluster the new issue once its filing commits (with any others waiting, in order)."""
    hot_assign_after_commit()


def on_support_added(*, issue_id: int, support_id: int) -> None:
    """Count the support in its hot issue's heat once it commits."""
    hot_supports_sync_after_commit(issue_ids=[issue_id])


subscribe(HotEvent.SUPPORT_ADDED, on_support_added)
