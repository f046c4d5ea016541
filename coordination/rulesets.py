"""Versions of the routing rules: drafting, validating, publishing, rolling back, compiling.

The routing engine (``coordination.routing``) is pure; this module is its Django shell. It
turns rule sets, agencies and areas into the engine's plain data, keeps one compiled copy of
each version per process, and notices, at every routing, when another process has published a
new version or an administrator has changed an agency or an area, so that every web process
and worker routes by the new rules without a restart.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Area
from issues.models import Category, Issue

from .models import Handoff, Rule, RuleSet, RuleSetPublication, SLAPolicy
from .routing.compiler import CompiledRuleSet, compile_ruleset, validate
from .routing.evaluate import decide
from .routing.model import AgencyInfo, AreaShape, Decision, IssueFacts, Problem, RuleSpec
from .routing.text import keywords

COMPILED_CACHE_SIZE = 8


class RuleSetNotEditable(Exception):
    """Only drafts change; published versions stay as they were."""


class RuleSetInvalid(Exception):
    """The rule set has problems; ``problems`` names each rule and field."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("; ".join(f"{p.rule_id}: {p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


# ------------------------------------------------------------------------ the engine's world


def world() -> tuple[list[AgencyInfo], list[AreaShape]]:
    """Every agency and area as the engine's plain data (two queries)."""
    agencies = [
        AgencyInfo(code=code, kind=kind, area=area, parent=parent, active=active)
        for code, kind, area, parent, active in Agency.objects.values_list(
            "code", "kind", "area__code", "parent__code", "active"
        ).order_by("code")
    ]
    areas = [
        AreaShape(code=code, level=level, geometry=geometry, parent=parent)
        for code, level, geometry, parent in Area.objects.values_list(
            "code", "level", "geometry", "parent__code"
        ).order_by("code")
    ]
    return agencies, areas


def _stamp(queryset) -> tuple:
    row = queryset.aggregate(changed=Max("updated_at"), count=Count("id"))
    return (row["changed"], row["count"])


def ruleset_specs(*, ruleset: RuleSet) -> tuple[list[RuleSpec], list[Problem]]:
    """The rule set's rules as engine specs, and a Problem for each rule that is not even JSON
    of the right shape."""
    specs: list[RuleSpec] = []
    problems: list[Problem] = []
    for rule in ruleset.rules.order_by("position", "id"):
        try:
            specs.append(RuleSpec.from_json(rule.as_json()))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problems.append(Problem(rule_id=rule.pk, field="conditions", message=str(error)))
    return specs, problems


_compiled: OrderedDict[tuple, CompiledRuleSet] = OrderedDict()
_compiled_lock = threading.Lock()


def ruleset_compiled(*, ruleset: RuleSet) -> CompiledRuleSet:
    """The compiled form of ``ruleset``, built once per process and version.

    The cache key carries the version's rules and the state of agencies and areas (their
    latest change and count), read in three small queries; any change in any process makes
    a new key, so the next routing compiles afresh.
    """
    key = (
        ruleset.pk,
        _stamp(Rule.objects.filter(ruleset=ruleset)),
        _stamp(Agency.objects.all()),
        _stamp(Area.objects.all()),
    )
    with _compiled_lock:
        compiled = _compiled.get(key)
        if compiled is not None:
            _compiled.move_to_end(key)
            return compiled
    specs, _problems = ruleset_specs(ruleset=ruleset)
    agencies, areas = world()
    # Not strict: a published version stays usable if an agency it names is later retired;
    # the engine then never chooses that agency and says why.
    compiled = compile_ruleset(specs, agencies, areas, version=ruleset.version, strict=False)
    with _compiled_lock:
        _compiled[key] = compiled
        while len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
    return compiled


def active_ruleset() -> RuleSet | None:
    return RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()


# ------------------------------------------------------------------------------- facts


def category_paths() -> dict[int, tuple[str, ...]]:
    """Category id → (its code, its parent's code, …), from one query."""
    rows = {
        pk: (code, parent)
        for pk, code, parent in Category.objects.values_list("pk", "code", "parent_id")
    }
    paths: dict[int, tuple[str, ...]] = {}
    for pk in rows:
        path: list[str] = []
        node: int | None = pk
        while node is not None and node in rows and len(path) < 10:
            code, parent = rows[node]
            path.append(code)
            node = parent
        paths[pk] = tuple(path)
    return paths


def facts_from(
    *,
    title: str = "",
    description: str = "",
    category: Category | None = None,
    lon: float | None = None,
    lat: float | None = None,
    channel: str = Issue.Channel.WEB,
    priority: str = Issue.Priority.NORMAL,
    submitted_at=None,
    category_path: tuple[str, ...] | None = None,
) -> IssueFacts:
    """The engine's facts from an issue's values (a saved issue, or one typed in a simulator)."""
    if category_path is None:
        category_path = tuple(c.code for c in category.ancestors()) if category else ()
    return IssueFacts(
        category_path=category_path,
        lon=lon,
        lat=lat,
        keywords=keywords(f"{title}\n{description}"),
        channel=channel,
        priority=priority,
        submitted_at=timezone.localtime(submitted_at or timezone.now()),
    )


def issue_facts(issue: Issue, *, paths: dict[int, tuple[str, ...]] | None = None) -> IssueFacts:
    """What the engine routes ``issue`` on. ``paths`` saves a query per issue in bulk runs."""
    path = None
    if issue.category_id is None:
        path = ()
    elif paths is not None:
        path = paths.get(issue.category_id, ())
    return facts_from(
        title=issue.title,
        description=issue.description,
        category=issue.category if path is None else None,
        category_path=path,
        lon=issue.lon,
        lat=issue.lat,
        channel=issue.channel,
        priority=issue.priority,
        submitted_at=issue.created_at,
    )


def facts_as_json(facts: IssueFacts) -> dict[str, Any]:
    return {
        "category_path": list(facts.category_path),
        "lon": facts.lon,
        "lat": facts.lat,
        "keywords": sorted(facts.keywords),
        "channel": facts.channel,
        "priority": facts.priority,
        "submitted_at": facts.submitted_at.isoformat() if facts.submitted_at else None,
    }


def decide_for(facts: IssueFacts, ruleset: RuleSet | None) -> Decision:
    """The decision of ``ruleset`` (None: no version is active, so everything is triaged)."""
    if ruleset is None:
        return Decision(lead=None, reasons=("no rule set is active: the dispatch centre triages",))
    return decide(facts, ruleset_compiled(ruleset=ruleset))


# --------------------------------------------------------------------------- validation


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


# --------------------------------------------------------------------------- changes


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
    """Add a rule to a draft, or change one. Raises RuleSetNotEditable for published sets."""
    # Asked of the database: the caller's copy may predate a publication.
    if not RuleSet.objects.filter(pk=ruleset.pk, status=RuleSet.Status.DRAFT).exists():
        raise RuleSetNotEditable(_("Published rule sets cannot be changed; make a new draft."))
    rule = rule or Rule(ruleset=ruleset)
    if rule.ruleset_id != ruleset.pk:
        raise RuleSetNotEditable(_("This rule belongs to another rule set."))
    rule.name, rule.position, rule.conditions, rule.actions = name, position, conditions, actions
    rule.full_clean()
    rule.save()
    return rule


def rule_delete(*, rule: Rule) -> None:
    if not RuleSet.objects.filter(pk=rule.ruleset_id, status=RuleSet.Status.DRAFT).exists():
        raise RuleSetNotEditable(_("Published rule sets cannot be changed; make a new draft."))
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
        raise RuleSetNotEditable(
            _("Another version was published at the same moment; reload and try again.")
        ) from error


def _publish_locked(*, ruleset_id: int, actor: AbstractBaseUser | None, note: str) -> RuleSet:
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset_id)
    if ruleset.status == RuleSet.Status.ACTIVE:
        raise RuleSetNotEditable(_("This version is already active."))
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
        raise RuleSetNotEditable(_("There is no earlier version to roll back to."))
    return ruleset_publish(ruleset_id=last.previous_id, actor=actor, note=note)


# --------------------------------------------------------------------------- simulation


def _lead_label(decision: Decision) -> str:
    return decision.lead or "triage"


@dataclass(frozen=True)
class Comparison:
    facts: IssueFacts
    candidate: Decision
    active: Decision

    @property
    def changed(self) -> bool:
        return (self.candidate.lead, self.candidate.co_handlers) != (
            self.active.lead,
            self.active.co_handlers,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "facts": facts_as_json(self.facts),
            "decision": self.candidate.as_details(),
            "active_decision": self.active.as_details(),
            "changed": self.changed,
        }


def simulate_facts(*, ruleset: RuleSet, facts: IssueFacts) -> Comparison:
    """How ``ruleset`` and the active version would route one issue."""
    return Comparison(
        facts=facts,
        candidate=decide_for(facts, ruleset),
        active=decide_for(facts, active_ruleset()),
    )


def replay_issues(*, last: int) -> list[Issue]:
    """The last ``last`` issues filed (newest first), without the heavy columns' joins."""
    return list(
        Issue.objects.only(
            "pk",
            "tracking_number",
            "title",
            "description",
            "category_id",
            "lat",
            "lon",
            "channel",
            "priority",
            "created_at",
        ).order_by("-created_at", "-pk")[:last]
    )


def simulate_replay(
    *, ruleset: RuleSet, last: int, issues: Iterable[Issue] | None = None
) -> dict[str, Any]:
    """Replay the last ``last`` issues against ``ruleset`` and the active version.

    Answers how many would go elsewhere and where: moves are counted by (active lead →
    candidate lead), triage included, most common first, with a sample of changed issues.
    """
    issues = list(issues) if issues is not None else replay_issues(last=last)
    paths = category_paths()
    candidate = ruleset_compiled(ruleset=ruleset)
    current = active_ruleset()
    active = ruleset_compiled(ruleset=current) if current else None
    moves: Counter[tuple[str, str]] = Counter()
    sample: list[dict[str, Any]] = []
    changed = 0
    for issue in issues:
        facts = issue_facts(issue, paths=paths)
        new = decide(facts, candidate)
        old = decide(facts, active) if active else decide_for(facts, None)
        if (new.lead, new.co_handlers) != (old.lead, old.co_handlers):
            changed += 1
            moves[(_lead_label(old), _lead_label(new))] += 1
            if len(sample) < 20:
                sample.append(
                    {
                        "id": issue.pk,
                        "tracking_number": issue.tracking_number,
                        "title": issue.title,
                        "from": _lead_label(old),
                        "to": _lead_label(new),
                    }
                )
    return {
        "ruleset": ruleset.version,
        "active": current.version if current else None,
        "replayed": len(issues),
        "changed": changed,
        "moves": [
            {"from": source, "to": target, "count": count}
            for (source, target), count in sorted(moves.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "sample": sample,
    }


def issue_routing_record(*, issue: Issue) -> Handoff | None:
    """The handoff that recorded the issue's automatic routing, if any."""
    return issue.handoffs.filter(kind=Handoff.Kind.ROUTED).order_by("at", "id").first()


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
