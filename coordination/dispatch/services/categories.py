"""The dispatcher dispatches a triage issue as a category, and the classifier learns from it.

One click on a suggestion (or on another category the dispatcher picks): the issue takes the
category, the active rules choose its organisations as they would have for that category,
and the choice is kept as a training label (``coordination.learning``).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.learning import selectors as learning
from coordination.learning.services import category_label_record
from issues.models import Category, Issue
from platform_gov.errors import WorkflowError

from ..transitions import ISSUE
from .routing import issue_dispatch


def issue_dispatch_as(
    *, issue_id: int, category: Category, actor: AbstractBaseUser, note: str = ""
) -> Issue:
    """Dispatch an issue waiting for the dispatcher as ``category``: to the lead and
    co-handlers the active rules choose for it, with that category and the rules' priority.

    Records a ``CategoryLabel`` (a confirmation when the category is the classifier's first
    suggestion, or the resident's when there is none; otherwise a correction) and one
    ``dispatched`` Handoff naming the category and the rules' reasons. Raises WorkflowError
    when the issue is not waiting for a dispatcher (the transition table's code), the category is
    retired (``inactive_category``), or the rules name no organisation for it here
    (``no_rule``: dispatch by hand).
    """
    if not category.active:
        raise WorkflowError(_("This category is no longer in use."), code="inactive_category")
    with transaction.atomic():
        issue = (
            Issue.objects.select_for_update(of=("self",))
            .select_related("category__parent")
            .get(pk=issue_id)
        )
        # Refused early, with the table's words, before any rule is evaluated.
        ISSUE.move(
            issue.status,
            Issue.Status.DISPATCHED,
            by="issue_dispatch",
            refused=_("This issue is no longer waiting to be dispatched."),
        )
        decision = learning.decision_as(issue=issue, category=category)
        if decision.lead is None:
            raise WorkflowError(
                _("The rules choose no organisation for %(category)s here: dispatch it by hand.")
                % {"category": category.name},
                code="no_rule",
            )
        agencies = {
            a.code: a
            for a in Agency.objects.filter(
                code__in=[decision.lead, *decision.co_handlers], active=True
            )
        }
        if decision.lead not in agencies:
            raise WorkflowError(
                _("The rules choose an organisation that is not active: dispatch it by hand."),
                code="no_rule",
            )
        guess = learning.category_guess(issue=issue)
        suggested = guess.category if guess is not None and guess.category else None
        resident = issue.category
        issue.category = category
        fields = ["category", "updated_at"]
        if decision.priority:
            issue.priority = decision.priority
            fields.append("priority")
        issue.save(update_fields=fields)
        category_label_record(
            issue=issue,
            category=category,
            actor=actor,
            suggested=suggested,
            confidence=guess.confidence if guess is not None else None,
            classifier_version=guess.version if guess is not None else None,
        )
        return issue_dispatch(
            issue_id=issue.pk,
            lead=agencies[decision.lead],
            co_handlers=[agencies[c] for c in decision.co_handlers if c in agencies],
            actor=actor,
            note=note,
            details={
                "category": category.code,
                "resident_category": resident.code if resident else None,
                "suggested": suggested.code if suggested else None,
                "rules": list(decision.reasons),
                "by": "category",
            },
        )
