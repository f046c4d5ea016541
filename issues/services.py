"""Every write to issues: filing them and adding to their public timeline."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from agencies.models import Agency

from .models import Category, Issue, Update, new_tracking_number
from .signals import issue_submitted

TRACKING_NUMBER_ATTEMPTS = 5


def issue_submit(
    *,
    title: str,
    description: str,
    category: Category | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    anonymous: bool = False,
    channel: str = Issue.Channel.WEB,
    priority: str = Issue.Priority.NORMAL,
    reporter: AbstractBaseUser | None = None,
) -> Issue:
    """File a resident's issue and announce it for routing.

    Validates every field (raises ``django.core.exceptions.ValidationError`` naming the
    field), saves the issue with status ``submitted`` and a first public update, and sends
    ``issue_submitted`` inside the same transaction; the coordination app records the
    submission and enqueues routing once the transaction commits. A clash of the random
    tracking number is retried with a new one.
    """
    for attempt in range(TRACKING_NUMBER_ATTEMPTS):
        issue = Issue(
            title=title.strip(),
            description=description.strip(),
            category=category,
            lat=lat,
            lon=lon,
            address=address.strip(),
            contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(),
            contact_email=contact_email.strip(),
            anonymous=anonymous,
            channel=channel,
            priority=priority,
            reporter=reporter if reporter is not None and reporter.is_authenticated else None,
        )
        if attempt:
            issue.tracking_number = new_tracking_number()
        issue.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                issue.save()
                Update.objects.create(issue=issue, kind=Update.Kind.SUBMITTED, at=issue.created_at)
                issue_submitted.send(sender=Issue, issue=issue)
        except IntegrityError:
            if Issue.objects.filter(tracking_number=issue.tracking_number).exists():
                continue  # another issue took this tracking number first: draw again
            raise
        return issue
    raise RuntimeError("could not draw a free tracking number")  # pragma: no cover


def issue_add_update(
    *, issue: Issue, kind: str, note: str = "", agency: Agency | None = None
) -> Update:
    """Add one entry to the resident's public timeline. Callers run it in their transaction.

    ``agency`` names the organisation the resident should know about (the one now handling
    the issue); no person is ever named on the public timeline.
    """
    update = Update(issue=issue, kind=kind, note=note, agency=agency)
    update.full_clean()
    update.save()
    return update
