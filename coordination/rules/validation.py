"""What is wrong with a rule set, each problem naming its rule and field."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from coordination.deadlines.models import SLAPolicy
from coordination.routing.model import Problem, RuleSpec
from coordination.routing.validation import validate
from issues.models import Category
from platform_gov.errors import WorkflowError

from .compiled import ruleset_specs, world
from .models import Responsibility, Rule, RuleSet


class RuleSetInvalid(WorkflowError):
    """The rule set has problems; ``problems`` names each rule and field (and the API's error
    body lists them)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(
            _("The rule set has problems; it was not published."),
            code="invalid_ruleset",
            extra={
                "problems": [
                    {"rule": p.rule_id, "field": p.field, "message": str(p.message)}
                    for p in self.problems
                ]
            },
        )


def ruleset_problems(*, ruleset: RuleSet) -> list[Problem]:
    """Everything wrong with a rule set, each naming its rule and field.

    The engine checks the rules against agencies and areas (including rules that an earlier
    rule makes unreachable); here we add what only the database knows: that named categories
    and deadline policies exist.
    """
    specs, problems = ruleset_specs(ruleset=ruleset)
    return _problems(specs, problems)


def rule_problems(*, rule: Rule) -> list[Problem]:
    """What is wrong with one rule on its own (for the form it is edited in)."""
    try:
        spec = RuleSpec.from_json(rule.as_json())
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return [Problem(rule_id=rule.pk, field="conditions", message=str(error))]
    return _problems([spec], [])


def _problems(specs: list[RuleSpec], problems: list[Problem]) -> list[Problem]:
    agencies, areas = world()
    problems.extend(validate(specs, agencies, areas))
    categories = set(Category.objects.values_list("code", flat=True))
    policies = set(SLAPolicy.objects.exclude(code="").values_list("code", flat=True))
    for spec in specs:
        for group in ("all", "any", "none"):
            for index, condition in enumerate(getattr(spec.conditions, group)):
                if condition.field == "category" and condition.value not in categories:
                    problems.append(
                        Problem(
                            rule_id=spec.id,
                            field=f"conditions.{group}[{index}].value",
                            message=_("unknown category %(code)s") % {"code": condition.value},
                        )
                    )
        policy = spec.actions.deadline_policy
        if policy and policy not in policies:
            problems.append(
                Problem(
                    rule_id=spec.id,
                    field="actions.deadline_policy",
                    message=_("unknown deadline policy %(code)s") % {"code": policy},
                )
            )
    return sorted(problems, key=lambda p: (p.rule_id or 0, p.field, p.message))


def ruleset_warnings(*, ruleset: RuleSet) -> list[Problem]:
    """Rules that send a category to an organisation whose responsibility list (职责清单)
    does not hold it, nor the category above it: warnings, which do not stop publishing.
    Organisations without a list are not checked."""
    specs, _problems = ruleset_specs(ruleset=ruleset)
    held: dict[str, set[str]] = {}
    for agency, category in Responsibility.objects.values_list("agency__code", "category__code"):
        held.setdefault(agency, set()).add(category)
    parents = dict(Category.objects.values_list("code", "parent__code"))
    warnings = []
    for spec in specs:
        categories = [
            c.value
            for c in spec.conditions.all
            if c.field == "category" and c.op in ("is", "under")
        ]
        targets = [("actions.lead", spec.actions.lead)] + [
            (f"actions.co_handlers[{i}]", t) for i, t in enumerate(spec.actions.co_handlers)
        ]
        for field, target in targets:
            if target is None or target.type != "agency" or target.agency not in held:
                continue
            for code in categories:
                if code in held[target.agency] or parents.get(code) in held[target.agency]:
                    continue
                warnings.append(
                    Problem(
                        rule_id=spec.id,
                        field=field,
                        message=_("%(category)s is not on %(agency)s's responsibility list")
                        % {"category": code, "agency": target.agency},
                    )
                )
    return warnings
