"""The routing engine's Django shell: rule sets, agencies and areas as the engine's plain
data, one compiled copy of each version per process, and an issue's facts.

The engine (``coordination.routing``) is pure. At every routing this module notices, from a
few small queries, when another process has published a new version or an administrator has
changed an agency or an area, so every web process and worker routes by the new rules
without a restart.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.utils import timezone

from agencies.models import Agency, Area
from coordination.routing.compiler import CompiledRuleSet, compile_ruleset
from coordination.routing.evaluate import decide
from coordination.routing.model import (
    AgencyInfo,
    AreaShape,
    Decision,
    IssueFacts,
    Problem,
    RuleSpec,
)
from coordination.routing.text import keywords
from issues.models import Category, Issue
from platform_gov.stamps import table_stamp

from .models import Rule, RuleSet

COMPILED_CACHE_SIZE = 8


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
    count, newest id and latest change), read in three small queries; any change in any
    process makes a new key, so the next routing compiles afresh.
    """
    key = (
        ruleset.pk,
        table_stamp(Rule.objects.filter(ruleset=ruleset)),
        table_stamp(Agency.objects.all()),
        table_stamp(Area.objects.all()),
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
