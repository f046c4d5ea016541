"""Residents' "me too" (我也遇到): one support per resident and issue, counted in the heat."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.dispatch.events import publish
from issues.models import Issue
from platform_gov.errors import WorkflowError

from ..events import HotEvent
from ..identity import contact_key, issue_reporter_keys
from ..models import Support
from ..public import is_publishable


def support_add(
    *,
    issue_id: int,
    user: AbstractBaseUser | AnonymousUser | None = None,
    phone: str = "",
    email: str = "",
    via: str = Support.Via.PAGE,
) -> Support:
    """A resident says "me too" to an issue the public may see.

    The resident is their account when signed in, else the phone or e-mail they give (only a
    keyed hash of it is kept). A support of a merged report goes to the issue it was merged
    into. Publishes ``hot.support_added``: once committed, the issue's hot issue counts it in
    its heat (the clusterer's task, enqueued by ``receivers``).
    Raises ValidationError ``{"contact": …}`` when an anonymous visitor gives no usable
    contact; WorkflowError when the issue may not be shown or supported, is the resident's
    own report, or this resident supported it already (``supported_already``);
    ``Issue.DoesNotExist`` when there is no such issue.
    """
    signed_in = user is not None and user.is_authenticated
    key = contact_key(phone=phone, email=email)
    if not signed_in and not key:
        raise ValidationError(
            {"contact": [_("Give your phone or e-mail, so that you are counted once.")]}
        )
    issue = Issue.objects.get(pk=issue_id)
    if issue.status == Issue.Status.MERGED and issue.merged_into_id:
        issue = Issue.objects.get(pk=issue.merged_into_id)
    if not is_publishable(issue):
        raise Issue.DoesNotExist  # not public: as if there were no such issue
    if not issue.is_open and issue.status != Issue.Status.RESOLVED:
        raise WorkflowError(
            _("This issue is closed. If the problem is still there, please report it."),
            code="issue_closed",
        )
    if (signed_in and issue.reporter_id == user.pk) or (key and key in issue_reporter_keys(issue)):
        raise WorkflowError(_("This is your own report."), code="own_issue")
    try:
        with transaction.atomic():
            support = Support.objects.create(
                issue=issue,
                user=user if signed_in else None,
                contact_key=key,
                via=via,
                created_at=timezone.now(),
            )
    except IntegrityError as error:
        raise WorkflowError(
            _("You have supported this issue already."), code="supported_already"
        ) from error
    publish(HotEvent.SUPPORT_ADDED, issue_id=issue.pk, support_id=support.pk)
    return support


def support_count(*, issue: Issue) -> int:
    return Support.objects.filter(issue=issue).count()
