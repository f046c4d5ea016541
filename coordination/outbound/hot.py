"""What people are told when the hot room's events happen (``coordination.hot.events``).

==================  =========================================================================
event               e-mail
==================  =========================================================================
hot.warning         the dispatch centre, and the managers of the organisations responsible:
                    those of the area, and those handling the complaints behind the warning
topic.member_joined the issue's resident: their report is part of a city-wide effort
topic.completed     each member issue's resident: the effort is done, and what it achieved
==================  =========================================================================

Like the dispatcher's events, each subscriber enqueues its sending for after the commit; the
tasks are idempotent enough to retry (a warning's mail names the warning, not a count that
moves) and write in the resident's language.
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.dispatch.events import subscribe
from coordination.dispatch.models import Assignment
from coordination.dispatch.selectors import dispatch_centre
from coordination.hot.events import HotEvent
from coordination.hot.models import HotMember, HotWarning, Topic, TopicMember
from coordination.hot.public import public_issues
from issues.models import Issue
from platform_gov.celery import enqueue_after_commit

from .mail import staff_addresses

RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 6,
}


# ------------------------------------------------------------------------ the subscribers


def on_hot_warning(*, warning_id: int) -> None:
    enqueue_after_commit(notify_hot_warning, warning_id=warning_id)


def on_topic_member_joined(*, topic_id: int, issue_id: int) -> None:
    enqueue_after_commit(
        notify_topic_resident, topic_id=topic_id, issue_id=issue_id, event="joined"
    )


def on_topic_completed(*, topic_id: int) -> None:
    for issue_id in TopicMember.objects.filter(
        topic_id=topic_id, status=TopicMember.Status.CONFIRMED
    ).values_list("issue_id", flat=True):
        enqueue_after_commit(
            notify_topic_resident, topic_id=topic_id, issue_id=issue_id, event="completed"
        )


SUBSCRIBERS = {
    HotEvent.WARNING: on_hot_warning,
    HotEvent.TOPIC_MEMBER_JOINED: on_topic_member_joined,
    HotEvent.TOPIC_COMPLETED: on_topic_completed,
}


def connect() -> None:
    for event, subscriber in SUBSCRIBERS.items():
        subscribe(event, subscriber)


# ------------------------------------------------------------------------------ warnings


def warning_responsible_agencies(warning: HotWarning) -> list[Agency]:
    """The organisations whose managers hear of a warning: those responsible for its area
    (or its hot issue's areas) and those handling the complaints behind it."""
    issue_ids = list(warning.evidence.get("issues", []))
    area_ids = {warning.area_id} if warning.area_id else set()
    if warning.hot_issue_id:
        area_ids |= set(
            HotMember.objects.filter(issue_id__in=issue_ids)
            .exclude(area=None)
            .values_list("area_id", flat=True)
        )
    handling = Assignment.objects.filter(
        issue_id__in=issue_ids,
        status__in=(*Assignment.ACTIVE_STATUSES, Assignment.Status.DONE),
    ).values("agency_id")
    return list(
        Agency.objects.filter(active=True)
        .filter(Q(area_id__in=area_ids) | Q(pk__in=handling))
        .exclude(kind=Agency.Kind.DISPATCH_CENTRE)
        .order_by("code")
    )


def warning_message(warning: HotWarning) -> tuple[str, str]:
    """Subject and body: the evidence, public titles of the complaints, the page's link."""
    evidence = warning.evidence
    with translation.override(settings.LANGUAGE_CODE):
        if warning.scope == HotWarning.Scope.HOT_ISSUE:
            what = _("Hot issue “%(label)s”") % {
                "label": warning.hot_issue.label if warning.hot_issue else "—"
            }
        else:
            what = _("%(category)s in %(area)s") % {
                "category": warning.category.name if warning.category else "—",
                "area": warning.area.name if warning.area else "—",
            }
        subject = _("Early warning: %(what)s, %(n)d complaints in %(hours)d hours") % {
            "what": what,
            "n": warning.observed,
            "hours": evidence.get("window_hours", 24),
        }
        issues = Issue.objects.filter(pk__in=evidence.get("issues", [])[:10]).select_related(
            "category"
        )
        lines = [
            subject,
            _(
                "Usual for that span: %(usual).1f (the mean of the %(days)s days before). A "
                "count this high would happen by chance with probability %(p).1e."
            )
            % {
                "usual": warning.expected,
                "days": evidence.get("baseline_days", "—"),
                "p": warning.p_value,
            },
            _("Complaints per day:")
            + " "
            + ", ".join(f"{day} {n}" for day, n in evidence.get("daily", [])[-7:]),
            "\n".join(f"- {shown.title} ({shown.area or '—'})" for shown in public_issues(issues)),
            f"{settings.PUBLIC_BASE_URL}/hot/warnings/{warning.pk}/",
        ]
    return subject, "\n\n".join(line for line in lines if line)


@shared_task(**RETRY)
def notify_hot_warning(warning_id: int) -> int:
    """Mail the dispatch centre and the responsible organisations' managers of a warning."""
    warning = (
        HotWarning.objects.select_related("area", "category", "hot_issue")
        .filter(pk=warning_id)
        .first()
    )
    if warning is None:
        return 0
    recipients: set[str] = set()
    centre = dispatch_centre()
    if centre is not None:
        recipients |= set(staff_addresses(agency=centre))
    for agency in warning_responsible_agencies(warning):
        recipients |= set(staff_addresses(agency=agency, managers_only=True))
    if not recipients:
        return 0
    subject, body = warning_message(warning)
    send_mail(subject, body, None, sorted(recipients))
    return len(recipients)


# ------------------------------------------------------------------------------- topics


def topic_resident_message(*, topic: Topic, issue: Issue, event: str) -> tuple[str, str] | None:
    """What the resident of a member issue is told, in the language they filed in."""
    if not issue.contact_email:
        return None
    link = f"{settings.PUBLIC_BASE_URL}/track/{issue.access_token}/"
    with translation.override(issue.language or settings.LANGUAGE_CODE):
        if event == "completed":
            subject = _("The city-wide effort on your issue %(number)s is done") % {
                "number": issue.tracking_number
            }
            lines = [
                subject,
                _("“%(title)s”, led by %(lead)s:")
                % {"title": topic.title, "lead": topic.lead.name},
                topic.summary,
                _("Follow your issue here: %(link)s") % {"link": link},
            ]
        else:
            subject = _("Your issue %(number)s is part of a city-wide effort") % {
                "number": issue.tracking_number
            }
            lines = [
                subject,
                _(
                    "Other residents reported the same problem. The city handles it as one "
                    "topic, “%(title)s”, led by %(lead)s."
                )
                % {"title": topic.title, "lead": topic.lead.name},
                topic.goal,
                _("Follow your issue here: %(link)s") % {"link": link},
            ]
    return subject, "\n\n".join(line for line in lines if line)


@shared_task(**RETRY)
def notify_topic_resident(topic_id: int, issue_id: int, event: str) -> bool:
    """Mail one member issue's resident that it joined a topic, or that the topic is done."""
    topic = Topic.objects.select_related("lead").filter(pk=topic_id).first()
    issue = Issue.objects.filter(pk=issue_id).first()
    if topic is None or issue is None:
        return False
    message = topic_resident_message(topic=topic, issue=issue, event=event)
    if message is None:
        return False
    subject, body = message
    send_mail(subject, body, None, [issue.contact_email])
    return True
