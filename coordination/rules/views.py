"""The administrator's rule pages: versions, validation, publishing and the simulator."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from platform_gov.errors import WorkflowError

from .compiled import facts_from, issue_facts
from .editor import RuleEditor
from .forms import ReplayForm, SimulateForm
from .models import Rule, RuleSet, RuleSetPublication
from .permissions import can_manage_rules
from .selectors import active_ruleset, describe_rule
from .services import rule_delete, rule_save, ruleset_draft_create, ruleset_publish
from .simulate import simulate_facts, simulate_replay
from .validation import RuleSetInvalid, rule_problems, ruleset_problems, ruleset_warnings
from .wording import describe_decision, describe_problem, names


def rules_admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not can_manage_rules(request.user):
            raise PermissionDenied(_("This page is for administrators of the routing rules."))
        return view(request, *args, **kwargs)

    return wrapped


@rules_admin_required
def ruleset_list(request: HttpRequest) -> HttpResponse:
    rulesets = RuleSet.objects.select_related("published_by").order_by("-version")
    publications = RuleSetPublication.objects.select_related("ruleset", "previous", "actor")[:20]
    return render(
        request,
        "coordination/ruleset_list.html",
        {"rulesets": rulesets, "publications": publications, "active": active_ruleset()},
    )


@rules_admin_required
def ruleset_detail(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    ruleset = get_object_or_404(RuleSet, pk=ruleset_id)
    simulate_form = SimulateForm(request.GET if "simulate" in request.GET else None)
    replay_form = ReplayForm(request.GET if "replay" in request.GET else None)
    comparison = replay = None
    if simulate_form.is_bound and simulate_form.is_valid():
        data = simulate_form.cleaned_data
        facts = (
            issue_facts(data["issue"])
            if data["issue"]
            else facts_from(
                title=data["title"],
                description=data["description"],
                category=data["category"],
                lat=data["lat"],
                lon=data["lon"],
                channel=data["channel"],
                priority=data["priority"],
                submitted_at=data["submitted_at"],
            )
        )
        comparison = simulate_facts(ruleset=ruleset, facts=facts)
    if replay_form.is_bound and replay_form.is_valid():
        replay = simulate_replay(ruleset=ruleset, last=replay_form.cleaned_data["replay_last"])
        top = max((move["count"] for move in replay["moves"]), default=0)
        known = names()
        triage = _("triage")
        for move in [*replay["moves"], *replay["sample"]]:
            move["from_name"] = triage if move["from"] == "triage" else known.agency(move["from"])
            move["to_name"] = triage if move["to"] == "triage" else known.agency(move["to"])
        for move in replay["moves"]:
            move["percent"] = round(100 * move["count"] / top) if top else 0
    rules = [describe_rule(rule) for rule in ruleset.rules.order_by("position", "id")]
    described = (
        {
            key: describe_decision(value)
            for key, value in comparison.as_json().items()
            if key in ("decision", "active_decision")
        }
        if comparison
        else {}
    )
    status = (
        400
        if (simulate_form.is_bound and simulate_form.errors)
        or (replay_form.is_bound and replay_form.errors)
        else 200
    )
    return render(
        request,
        "coordination/ruleset_detail.html",
        {
            "ruleset": ruleset,
            "rules": rules,
            "problems": [
                {"rule_id": p.rule_id, "field": p.field, "message": describe_problem(p.message)}
                for p in (ruleset_problems(ruleset=ruleset) if ruleset.is_editable else [])
            ],
            "warnings": [
                {"rule_id": w.rule_id, "message": w.message}
                for w in (ruleset_warnings(ruleset=ruleset) if ruleset.is_editable else [])
            ],
            "simulate_form": simulate_form,
            "replay_form": replay_form,
            "comparison": comparison,
            "candidate": described.get("decision"),
            "current": described.get("active_decision"),
            "replay": replay,
            "active": active_ruleset(),
        },
        status=status,
    )


@require_POST
@rules_admin_required
def ruleset_publish_view(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    ruleset = get_object_or_404(RuleSet, pk=ruleset_id)
    try:
        published = ruleset_publish(
            ruleset_id=ruleset.pk, actor=request.user, note=request.POST.get("note", "")[:1000]
        )
    except RuleSetInvalid as error:
        messages.error(
            request,
            _("Version %(version)s has %(count)d problems; it was not published.")
            % {"version": ruleset.version, "count": len(error.problems)},
        )
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Version %(version)s is now active.") % {"version": published.version}
        )
    return redirect("coordination:ruleset_detail", ruleset_id=ruleset.pk)


@require_POST
@rules_admin_required
def ruleset_draft_view(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    source = get_object_or_404(RuleSet, pk=ruleset_id)
    draft = ruleset_draft_create(actor=request.user, based_on=source)
    messages.success(
        request,
        _("Draft version %(version)s made from version %(source)s.")
        % {"version": draft.version, "source": source.version},
    )
    return redirect("coordination:ruleset_detail", ruleset_id=draft.pk)


# ------------------------------------------------------------------------- the rule editor


def _editable(ruleset_id: int) -> RuleSet:
    ruleset = get_object_or_404(RuleSet, pk=ruleset_id)
    if not ruleset.is_editable:
        raise PermissionDenied(_("Published rule sets cannot be changed; make a new draft."))
    return ruleset


@rules_admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, ruleset_id: int, rule_id: int | None = None) -> HttpResponse:
    """Add a rule to a draft, or change one: conditions and actions as rows of fields with
    names to choose from; each problem the validation finds is shown beside its field."""
    ruleset = _editable(ruleset_id)
    rule = get_object_or_404(Rule, pk=rule_id, ruleset=ruleset) if rule_id else None
    editor = RuleEditor(request.POST if request.method == "POST" else None, rule=rule)
    if request.method == "POST" and editor.is_valid():
        conditions, actions = editor.as_json()
        data = editor.rule.cleaned_data
        draft = Rule(
            pk=rule.pk if rule else 0,
            ruleset=ruleset,
            name=data["name"],
            position=data["position"],
            conditions=conditions,
            actions=actions,
        )
        problems = rule_problems(rule=draft)
        if problems:
            editor.show_problems(problems)
        else:
            try:
                saved = rule_save(
                    ruleset=ruleset,
                    rule=rule,
                    name=data["name"],
                    position=data["position"],
                    conditions=conditions,
                    actions=actions,
                )
            except WorkflowError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
                return redirect("coordination:ruleset_detail", ruleset_id=ruleset.pk)
    return render(
        request,
        "coordination/rule_edit.html",
        {"ruleset": ruleset, "rule": rule, "editor": editor},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@rules_admin_required
def rule_delete_view(request: HttpRequest, ruleset_id: int, rule_id: int) -> HttpResponse:
    ruleset = _editable(ruleset_id)
    rule = get_object_or_404(Rule, pk=rule_id, ruleset=ruleset)
    try:
        rule_delete(rule=rule)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("coordination:ruleset_detail", ruleset_id=ruleset.pk)
