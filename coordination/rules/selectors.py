"""Reads of rule sets: the active version, and a rule in words for the rule pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from coordination.routing.model import RuleSpec
from issues.models import Issue

from .models import Rule, RuleSet
from .wording import describe_condition, describe_target, names


def active_ruleset() -> RuleSet | None:
    return RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()


def describe_rule(rule: Rule) -> dict[str, Any]:
    """A rule in words for the rule pages: its conditions and its actions, one line each."""
    try:
        spec = RuleSpec.from_json(rule.as_json())
    except (KeyError, TypeError, ValueError, AttributeError):
        return {"rule": rule, "conditions": [], "actions": [], "unreadable": True}
    known = names()
    conditions = [
        f"{label} {describe_condition(condition.describe(), known)}"
        for label, group in (
            (_("all of:"), spec.conditions.all),
            (_("any of:"), spec.conditions.any),
            (_("none of:"), spec.conditions.none),
        )
        for condition in group
    ]
    actions = []
    raw = rule.actions or {}
    if spec.actions.lead:
        actions.append(_("lead: %(target)s") % {"target": describe_target(raw.get("lead"), known)})
    if spec.actions.co_handlers:
        actions.append(
            _("co-handlers: %(targets)s")
            % {
                "targets": _("、").join(
                    describe_target(t, known) for t in raw.get("co_handlers") or []
                )
            }
        )
    if spec.actions.priority:
        priority = dict(Issue.Priority.choices).get(spec.actions.priority, spec.actions.priority)
        actions.append(_("priority: %(priority)s") % {"priority": priority})
    if spec.actions.deadline_policy:
        actions.append(
            _("deadline policy: %(code)s") % {"code": known.policy(spec.actions.deadline_policy)}
        )
    actions.append(_("then stop") if spec.actions.stop else _("then continue"))
    return {"rule": rule, "conditions": conditions, "actions": actions, "unreadable": False}
