"""Listeners for the issues app's events; each hands over to a service at once."""

from django.dispatch import receiver

from issues.signals import issue_submitted

from .services import issue_record_submission


@receiver(issue_submitted, dispatch_uid="coordination.issue_submitted")
def on_issue_submitted(sender, *, issue, **kwargs) -> None:
    issue_record_submission(issue=issue)
