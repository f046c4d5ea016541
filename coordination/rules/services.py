"""Every change to rule sets: drafting, editing a draft's rules, publishing, rolling back.

Published versions never change again, so every issue's routing can be replayed against the
version that decided it. Refusals raise ``WorkflowError`` (code ``not_editable``), and a
publication with problems ``RuleSetInvalid`` naming each.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from platform_gov.errors import WorkflowError

from .models import Rule, RuleSet, RuleSetPublication
from .selectors import active_ruleset
from .validation import RuleSetInvalid, ruleset_problems


def _not_editable(message: str) -> WorkflowError:
    return WorkflowError(message, code="not_editable")


def ruleset_draft_create(
    *, actor: AbstractBaseUser | None, based_on: RuleSet | None = None, title: str = ""
) -> RuleSet:
    """A new draft with the next version number, a copy of ``based_on``'s rules if given."""
    for _attempt in range(5):
        version = (RuleSet.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                draft = RuleSet.objects.create(
                    version=version,
                    title=title or (based_on.title if based_on else ""),
                    based_on=based_on,
                    created_by=actor if actor and actor.is_authenticated else None,
                )
                if based_on is not None:
                    Rule.objects.bulk_create(
                        Rule(
                            ruleset=draft,
                            name=rule.name,
                            position=rule.position,
                            conditions=rule.conditions,
                            actions=rule.actions,
                        )
                        for rule in based_on.rules.order_by("position", "id")
                    )
                return draft
        except IntegrityError:
            continue  # another draft took this version number: take the next
    raise RuntimeError("could not allocate a rule set version")  # pragma: no cover


def rule_save(
    *,
    ruleset: RuleSet,
    name: str,
    conditions: dict,
    actions: dict,
    position: int = 100,
    rule: Rule | None = None,
) -> Rule:
    """Add a rule to a draft, or change one. Raises WorkflowError for a published set."""
    # Asked of the database: the caller's copy may predate a publication.
    if not RuleSet.objects.filter(pk=ruleset.pk, status=RuleSet.Status.DRAFT).exists():
        raise _not_editable(_("Published rule sets cannot be changed; make a new draft."))
    rule = rule or Rule(ruleset=ruleset)
    if rule.ruleset_id != ruleset.pk:
        raise _not_editable(_("This rule belongs to another rule set."))
    rule.name, rule.position, rule.conditions, rule.actions = name, position, conditions, actions
    rule.full_clean()
    rule.save()
    return rule


def rule_delete(*, rule: Rule) -> None:
    if not RuleSet.objects.filter(pk=rule.ruleset_id, status=RuleSet.Status.DRAFT).exists():
        raise _not_editable(_("Published rule sets cannot be changed; make a new draft."))
    rule.delete()


def ruleset_publish(*, ruleset_id: int, actor: AbstractBaseUser | None, note: str = "") -> RuleSet:
    """Make a draft, or a retired version (a rollback), the one active version.

    Validates first and raises RuleSetInvalid with every problem. The version active before
    is retired. Records a RuleSetPublication (publish or rollback) with who and when. Every
    process routes by the new version from its next routing on.
    """
    try:
        with transaction.atomic():
            return _publish_locked(ruleset_id=ruleset_id, actor=actor, note=note)
    except IntegrityError as error:
        # The one-active constraint: someone published another version at the same moment.
        raise _not_editable(
            _("Another version was published at the same moment; reload and try again.")
        ) from error


def _publish_locked(*, ruleset_id: int, actor: AbstractBaseUser | None, note: str) -> RuleSet:
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
    if ruleset.status == RuleSet.Status.ACTIVE:
        raise _not_editable(_("This version is already active."))
    previous = RuleSet.objects.select_for_update().filter(status=RuleSet.Status.ACTIVE).first()
    problems = ruleset_problems(ruleset=ruleset)
    if problems:
        raise RuleSetInvalid(problems)
    action = (
        RuleSetPublication.Action.PUBLISH
        if ruleset.status == RuleSet.Status.DRAFT
        else RuleSetPublication.Action.ROLLBACK
    )
    now = timezone.now()
    actor = actor if actor is not None and actor.is_authenticated else None
    if previous is not None:
        previous.status = RuleSet.Status.RETIRED
        previous.save(update_fields=["status"])
    ruleset.status = RuleSet.Status.ACTIVE
    ruleset.published_at = now
    ruleset.published_by = actor
    ruleset.save(update_fields=["status", "published_at", "published_by"])
    RuleSetPublication.objects.create(
        ruleset=ruleset, previous=previous, action=action, actor=actor, at=now, note=note
    )
    return ruleset


def ruleset_rollback(*, actor: AbstractBaseUser | None, note: str = "") -> RuleSet:
    """Make the version that was active before the current one active again."""
    current = active_ruleset()
    last = (
        RuleSetPublication.objects.filter(ruleset=current, previous__isnull=False)
        .select_related("previous")
        .first()
        if current
        else None
    )
    if last is None:
        raise _not_editable(_("There is no earlier version to roll back to."))
    return ruleset_publish(ruleset_id=last.previous_id, actor=actor, note=note)
