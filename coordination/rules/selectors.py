"""Reads of rule sets: the active version, and a rule in words for the rule pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from coordination.routing.model import RuleSpec

from .models import Rule, RuleSet


def active_ruleset() -> RuleSet | None:
    return RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()


def describe_rule(rule: Rule) -> dict[str, Any]:
    """A rule in words for the rule pages: its conditions and its actions, one line each."""
    try:
        spec = RuleSpec.from_json(rule.as_json())
    except (KeyError, TypeError, ValueError, AttributeError):
        return {"rule": rule, "conditions": [], "actions": [], "unreadable": True}
    conditions = [
        f"{label} {condition.describe()}"
        for label, group in (
            (_("all of"), spec.conditions.all),
            (_("any of"), spec.conditions.any),
            (_("none of"), spec.conditions.none),
        )
        for condition in group
    ]
    actions = []
    if spec.actions.lead:
        actions.append(_("lead: %(target)s") % {"target": spec.actions.lead.describe()})
    if spec.actions.co_handlers:
        actions.append(
            _("co-handlers: %(targets)s")
            % {"targets": ", ".join(t.describe() for t in spec.actions.co_handlers)}
        )
    if spec.actions.priority:
        actions.append(_("priority: %(priority)s") % {"priority": spec.actions.priority})
    if spec.actions.deadline_policy:
        actions.append(_("deadline policy: %(code)s") % {"code": spec.actions.deadline_policy})
    actions.append(_("then stop") if spec.actions.stop else _("then continue"))
    return {"rule": rule, "conditions": conditions, "actions": actions, "unreadable": False}
