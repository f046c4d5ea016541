"""The console's two outcomes of a call: file it into routing, or answer it on the spot.

Both record the issue with the channel the call came by (phone unless the operator says
letter, walk-in or e-mail). Answered on the spot (直接办结), the issue closes in the same
transaction as it is filed, with the answer the caller was given and the knowledge article
used (its id and version on the closing Handoff), and is never routed.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from coordination.dispatch.permissions import can_use_desk
from coordination.dispatch.services.followup import issue_answer_on_the_spot
from coordination.knowledge.models import Article
from coordination.knowledge.search import live_articles
from issues.models import Category, Issue
from issues.services import issue_submit
from platform_gov.errors import WorkflowError

DESK_CHANNELS = Issue.STAFF_CHANNELS  # phone, e-mail, letter, walk-in


def _require_operator(actor: AbstractBaseUser) -> None:
    if not can_use_desk(actor):
        raise WorkflowError(_("The console is for the hotline's operators."), code="not_operator")


def _submit(
    *,
    actor: AbstractBaseUser,
    title: str,
    description: str,
    category: Category | None,
    address: str,
    contact_name: str,
    contact_phone: str,
    channel: str,
) -> Issue:
    if channel not in DESK_CHANNELS:
        raise WorkflowError(_("The console records calls, letters and visits."), code="channel")
    return issue_submit(
        title=title,
        description=description or title,
        category=category,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        channel=channel,
        reporter=None,
    )


def desk_file(*, actor: AbstractBaseUser, channel: str = Issue.Channel.PHONE, **call) -> Issue:
    """File the call as an issue, routed as any other."""
    _require_operator(actor)
    return _submit(actor=actor, channel=channel, **call)


def desk_answer(
    *,
    actor: AbstractBaseUser,
    answer: str,
    article_id: int | None = None,
    channel: str = Issue.Channel.PHONE,
    **call,
) -> Issue:
    """Record the call and close it as answered on the spot with ``answer`` (the article's
    answer when none is given)."""
    _require_operator(actor)
    article = None
    if article_id is not None:
        article = live_articles(internal=True).filter(pk=article_id).first()
        if article is None:
            raise WorkflowError(_("That answer is no longer published."), code="article")
    answer = (answer or "").strip() or (article.answer if article else "")
    details = {"article": article.pk, "article_version": article.version} if article else {}
    with transaction.atomic():
        issue = _submit(actor=actor, channel=channel, **call)
        return issue_answer_on_the_spot(
            issue_id=issue.pk, actor=actor, answer=answer, details=details
        )


def article_used(issue: Issue) -> Article | None:
    """The knowledge article an issue was answered on the spot with, if any."""
    handoff = issue.handoffs.filter(details__why="answered at first contact").first()
    article_id = handoff.details.get("article") if handoff else None
    return Article.objects.filter(pk=article_id).first() if article_id else None
