"""What people are told when the hot room's events happen (``coordination.hot.events``).

==================  =========================================================================
event               e-mail
==================  =========================================================================
hot.warning         the dispatch centre, and the managers of the organisations responsible:
                    those of the area, and those handling the complaints behind the warning
topic.member_joined the issue's resident: their report is part of a city-wide effort
topic.completed     each member issue's resident: the effort is done, and what it achieved
==================  =========================================================================

Like the dispatcher's, each message is a row of the outbox (``outbox.py``), written in the
transaction of the event and relayed after the commit: sent until done, with a Message-ID of
its own, or given up with the reason. The mail is rendered when it is sent (audiences
``hot_warning`` and ``topic_resident`` of the relay), in the resident's language. The tasks
``notify_hot_warning`` and ``notify_topic_resident`` remain for messages queued before the
outbox.
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

from .mail import staff_addresses
from .models import OutboxMessage
from .outbox import outbox_record
from .relay import MAIL_AUDIENCES, Batches

RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 6,
}


# ------------------------------------------------------------------------ the subscribers


def on_hot_warning(*, warning_id: int) -> None:
    # A warning opens once: recorded twice (a retried evaluation), it is one message.
    outbox_record(
        kind=OutboxMessage.Kind.MAIL,
        payload={"audience": "hot_warning", "warning_id": warning_id},
        recipient=f"dispatch centre and managers, warning {warning_id}",
        dedupe_key=f"hot-warning:{warning_id}",
    )


def _topic_news(*, topic_id: int, issue_id: int, event: str) -> None:
    outbox_record(
        kind=OutboxMessage.Kind.MAIL,
        payload={
            "audience": "topic_resident",
            "topic_id": topic_id,
            "issue_id": issue_id,
            "event": event,
        },
        recipient=f"resident of issue {issue_id}",
    )


def on_topic_member_joined(*, topic_id: int, issue_id: int) -> None:
    _topic_news(topic_id=topic_id, issue_id=issue_id, event="joined")


def on_topic_completed(*, topic_id: int) -> None:
    for issue_id in TopicMember.objects.filter(
        topic_id=topic_id, status=TopicMember.Status.CONFIRMED
    ).values_list("issue_id", flat=True):
        _topic_news(topic_id=topic_id, issue_id=issue_id, event="completed")


SUBSCRIBERS = {
    HotEvent.WARNING: on_hot_warning,
    HotEvent.TOPIC_MEMBER_JOINED: on_topic_member_joined,
    HotEvent.TOPIC_COMPLETED: on_topic_completed,
}


def connect() -> None:
    for event, subscriber in SUBSCRIBERS.items():
        subscribe(event, subscriber)
    MAIL_AUDIENCES["hot_warning"] = warning_batches
    MAIL_AUDIENCES["topic_resident"] = topic_batches


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


def warning_batches(data: dict) -> Batches:
    """The outbox's e-mail of a warning: the dispatch centre and the responsible
    organisations' managers, one message (in the site's language)."""
    warning = (
        HotWarning.objects.select_related("area", "category", "hot_issue")
        .filter(pk=data.get("warning_id"))
        .first()
    )
    if warning is None:
        return "the warning no longer exists"
    recipients: set[str] = set()
    centre = dispatch_centre()
    if centre is not None:
        recipients |= set(staff_addresses(agency=centre))
    for agency in warning_responsible_agencies(warning):
        recipients |= set(staff_addresses(agency=agency, managers_only=True))
    if not recipients:
        return "no member with an address"
    return [("", warning_message(warning), sorted(recipients))]


@shared_task(**RETRY)
def notify_hot_warning(warning_id: int) -> int:
    """Before the outbox: mail a warning at once (messages queued before an upgrade)."""
    batches = warning_batches({"warning_id": warning_id})
    if isinstance(batches, str):
        return 0
    for _part, (subject, body), recipients in batches:
        send_mail(subject, body, None, recipients)
    return len(batches[0][2])


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


def topic_batches(data: dict) -> Batches:
    """The outbox's e-mail to one member issue's resident: it joined a topic, or the topic is
    done."""
    topic = Topic.objects.select_related("lead").filter(pk=data.get("topic_id")).first()
    issue = Issue.objects.filter(pk=data.get("issue_id")).first()
    if topic is None or issue is None:
        return "the topic or the issue no longer exists"
    message = topic_resident_message(topic=topic, issue=issue, event=data.get("event", ""))
    if message is None:
        return "no address to write to"
    return [("", message, [issue.contact_email])]


@shared_task(**RETRY)
def notify_topic_resident(topic_id: int, issue_id: int, event: str) -> bool:
    """Before the outbox: mail one member issue's resident at once (queued before an
    upgrade)."""
    batches = topic_batches({"topic_id": topic_id, "issue_id": issue_id, "event": event})
    if isinstance(batches, str):
        return False
    for _part, (subject, body), recipients in batches:
        send_mail(subject, body, None, recipients)
    return True
