"""The dispatcher's answers to what the issues app announces (issues never imports us)."""

from __future__ import annotations

from django.dispatch import receiver

from issues.signals import issue_rated, issue_reopened, issue_submitted

from .services import followup, routing
from .tasks import issue_route_after_commit


@receiver(issue_submitted, dispatch_uid="dispatch.issue_submitted")
def on_issue_submitted(sender, *, issue, **kwargs) -> None:
    """Record the submission in the filing's transaction; route it once that commits."""
    routing.issue_record_submission(issue=issue)
    issue_route_after_commit(issue_id=issue.pk)


@receiver(issue_rated, dispatch_uid="dispatch.issue_rated")
def on_issue_rated(sender, *, issue, feedback, **kwargs) -> None:
    followup.issue_followup_rated(issue=issue, feedback=feedback)


@receiver(issue_reopened, dispatch_uid="dispatch.issue_reopened")
def on_issue_reopened(sender, *, issue, reason, **kwargs) -> None:
    followup.issue_followup_reopened(issue=issue, reason=reason)
