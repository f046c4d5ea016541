"""The rule editor's forms: a rule's conditions and actions as rows of fields, with the
organisations, categories and areas chosen by name, turned into the JSON the routing engine
reads (and back, to edit a rule). Validation problems land beside the field they concern.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Area
from coordination.deadlines.models import SLAPolicy
from coordination.routing.model import Problem
from issues.models import Category, Issue
from platform_gov.collation import search_text, sort_key
from platform_gov.widgets import SearchableSelect

from .wording import describe_problem

GROUPS = [
    ("all", _("All of these must hold")),
    ("any", _("At least one of these")),
    ("none", _("None of these")),
]
FIELDS = [
    ("category", _("Category")),
    ("area", _("Area of the place")),
    ("keyword", _("Words in the title or description")),
    ("channel", _("Channel")),
    ("priority", _("Priority")),
    ("hour", _("Hour filed")),
    ("weekday", _("Day filed")),
]
WEEKDAY_CHOICES = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
TARGET_TYPES = [
    ("agency", _("A named organisation")),
    ("territorial", _("The street office or community of the place (属地)")),
    ("serving", _("The organisations of a kind serving the place")),
]
LEVELS = [("street", _("Street office")), ("community", _("Community"))]


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _named_choices(rows, *, label=lambda row: row.name) -> tuple[list, dict[str, str]]:
    rows = sorted(rows, key=lambda row: sort_key(label(row), _language()))
    choices = [("", "—"), *[(row.code, label(row)) for row in rows]]
    search = {row.code: search_text(row.name_zh, row.name_en, row.code) for row in rows}
    return choices, search


def _searchable(field: forms.Field, choices: list, search: dict[str, str]) -> None:
    field.choices = choices
    field.widget.search = search


class ConditionForm(forms.Form):
    """One condition: which group it belongs to, what it looks at, and the value, chosen in
    the input that fits the field (a script shows only that input)."""

    group = forms.ChoiceField(label=_("Group"), choices=GROUPS, initial="all")
    # An empty first choice: a row left as it came is an empty row, and is left out.
    field = forms.ChoiceField(label=_("Looks at"), choices=[("", "—"), *FIELDS])
    category = forms.ChoiceField(label=_("Category"), required=False, widget=SearchableSelect)
    category_children = forms.BooleanField(
        label=_("and the categories under it"), required=False, initial=True
    )
    area = forms.ChoiceField(label=_("Area"), required=False, widget=SearchableSelect)
    words = forms.CharField(
        label=_("Words"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. 工地, 施工, construction."),
    )
    all_words = forms.BooleanField(label=_("all of the words (not any)"), required=False)
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        required=False,
        choices=Issue.Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    priorities = forms.MultipleChoiceField(
        label=_("Priorities"),
        required=False,
        choices=Issue.Priority.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    hour_from = forms.IntegerField(label=_("From hour"), required=False, min_value=0, max_value=23)
    hour_to = forms.IntegerField(
        label=_("Until hour"),
        required=False,
        min_value=0,
        max_value=24,
        help_text=_("Until this hour, not included; 22 to 6 runs past midnight."),
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Days"),
        required=False,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, categories=(), areas=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _searchable(self.fields["category"], *categories)
        _searchable(self.fields["area"], *areas)

    def clean(self) -> dict:
        data = super().clean()
        field = data.get("field")
        needed = {
            "category": "category",
            "area": "area",
            "keyword": "words",
            "channel": "channels",
            "priority": "priorities",
            "weekday": "weekdays",
        }
        if field in needed and not data.get(needed[field]) and needed[field] not in self.errors:
            self.add_error(needed[field], _("Choose or type the value this condition needs."))
        if field == "hour" and (data.get("hour_from") is None or data.get("hour_to") is None):
            self.add_error("hour_from", _("Give the hour it starts and the hour it ends."))
        return data

    def as_json(self) -> tuple[str, dict[str, Any]]:
        """``(group, {"field", "op", "value"})`` as the engine reads it."""
        data = self.cleaned_data
        field = data["field"]
        if field == "category":
            op = "under" if data.get("category_children") else "is"
            value: Any = data["category"]
        elif field == "area":
            op, value = "in", data["area"]
        elif field == "keyword":
            op = "all" if data.get("all_words") else "any"
            words = data["words"].replace("，", ",").replace("、", ",")
            value = [w.strip() for w in words.split(",") if w.strip()]
        elif field == "channel":
            op, value = "in", list(data["channels"])
        elif field == "priority":
            op, value = "in", list(data["priorities"])
        elif field == "hour":
            op, value = "between", [data["hour_from"], data["hour_to"]]
        else:
            op, value = "in", [int(d) for d in data["weekdays"]]
        return data["group"], {"field": field, "op": op, "value": value}

    @staticmethod
    def initial_from(group: str, condition: dict[str, Any]) -> dict[str, Any]:
        field, op, value = condition.get("field"), condition.get("op"), condition.get("value")
        values = value if isinstance(value, list) else [value]
        initial: dict[str, Any] = {"group": group, "field": field}
        if field == "category":
            initial.update(category=value, category_children=op == "under")
        elif field == "area":
            initial["area"] = value
        elif field == "keyword":
            initial.update(words=", ".join(map(str, values)), all_words=op == "all")
        elif field == "channel":
            initial["channels"] = values
        elif field == "priority":
            initial["priorities"] = values
        elif field == "hour" and len(values) == 2:
            initial.update(hour_from=values[0], hour_to=values[1])
        elif field == "weekday":
            initial["weekdays"] = [str(v) for v in values]
        return initial


class TargetForm(forms.Form):
    """Who handles it: a named organisation, the territorial one, or those serving the
    place. The lead's form may be left empty (a rule that only adds co-handlers)."""

    type = forms.ChoiceField(label=_("Who"), choices=[("", "—"), *TARGET_TYPES], required=False)
    agency = forms.ChoiceField(label=_("Organisation"), required=False, widget=SearchableSelect)
    level = forms.ChoiceField(label=_("Level"), choices=LEVELS, required=False, initial="street")
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[(k, v) for k, v in Agency.Kind.choices if k != Agency.Kind.DISPATCH_CENTRE],
        required=False,
        initial=Agency.Kind.ENTERPRISE_PARTNER,
    )

    def __init__(self, *args, agencies=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _searchable(self.fields["agency"], *agencies)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("type") == "agency" and not data.get("agency"):
            self.add_error("agency", _("Choose the organisation."))
        return data

    def as_json(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        kind = data.get("type")
        if kind == "agency":
            return {"type": "agency", "agency": data["agency"]}
        if kind == "territorial":
            return {"type": "territorial", "level": data.get("level") or "street"}
        if kind == "serving":
            return {"type": "serving", "kind": data.get("kind")}
        return None

    @staticmethod
    def initial_from(target: dict[str, Any] | None) -> dict[str, Any]:
        if not target:
            return {}
        return {
            "type": target.get("type"),
            "agency": target.get("agency"),
            "level": target.get("level"),
            "kind": target.get("kind"),
        }


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        initial=100,
        help_text=_("Rules are tried from the lowest position up."),
    )
    priority = forms.ChoiceField(
        label=_("Set the priority"),
        required=False,
        choices=[("", _("Leave as it is")), *Issue.Priority.choices],
    )
    deadline_policy = forms.ChoiceField(label=_("Deadline policy"), required=False)
    stop = forms.BooleanField(
        label=_("Stop here when this rule matches"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        policies = SLAPolicy.objects.exclude(code="").select_related("category")
        self.fields["deadline_policy"].choices = [
            ("", _("The category's own")),
            *[(p.code, f"{p.code} ({p})") for p in policies],
        ]


ConditionFormSet = forms.formset_factory(ConditionForm, extra=2, can_delete=True)
CoHandlerFormSet = forms.formset_factory(TargetForm, extra=1, can_delete=True)


class RuleEditor:
    """The rule form, its conditions and co-handlers, and the lead: bound together,
    validated together, and turned into the rule's JSON."""

    def __init__(self, data=None, *, rule=None) -> None:
        categories = _named_choices(
            Category.objects.filter(active=True).select_related("parent"),
            label=lambda c: f"{c.parent.name} › {c.name}" if c.parent_id else c.name,
        )
        areas = _named_choices(
            Area.objects.all(), label=lambda a: f"{a.name} ({a.get_level_display()})"
        )
        agencies = _named_choices(
            Agency.objects.filter(active=True).exclude(kind=Agency.Kind.DISPATCH_CENTRE)
        )
        initial_rule = initial_conditions = initial_co = initial_lead = None
        if rule is not None:
            conditions = rule.conditions or {}
            actions = rule.actions or {}
            initial_rule = {
                "name": rule.name,
                "position": rule.position,
                "priority": actions.get("priority") or "",
                "deadline_policy": actions.get("deadline_policy") or "",
                "stop": bool(actions.get("stop", True)),
            }
            initial_conditions = [
                ConditionForm.initial_from(group, c)
                for group in ("all", "any", "none")
                for c in conditions.get(group) or []
            ]
            initial_co = [TargetForm.initial_from(t) for t in actions.get("co_handlers") or []]
            initial_lead = TargetForm.initial_from(actions.get("lead"))
        self.rule = RuleForm(data, initial=initial_rule, prefix="rule")
        self.lead = TargetForm(data, initial=initial_lead, prefix="lead", agencies=agencies)
        self.conditions = ConditionFormSet(
            data,
            initial=initial_conditions,
            prefix="conditions",
            form_kwargs={"categories": categories, "areas": areas},
        )
        self.co_handlers = CoHandlerFormSet(
            data, initial=initial_co, prefix="co", form_kwargs={"agencies": agencies}
        )
        self._rows: dict[str, forms.Form] = {}

    def forms(self):
        return [self.rule, self.lead, self.conditions, self.co_handlers]

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in self.forms())

    def as_json(self) -> tuple[dict, dict]:
        """``(conditions, actions)`` for the rule; call after ``is_valid``. Remembers which
        row each condition and co-handler came from, for ``show_problems``."""
        conditions: dict[str, list] = {"all": [], "any": [], "none": []}
        # An extra row left empty has no cleaned data (formsets skip it); a rule's own rows
        # are kept unless ticked for removal.
        for form in self.conditions.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            group, condition = form.as_json()
            self._rows[f"conditions.{group}[{len(conditions[group])}]"] = form
            conditions[group].append(condition)
        co_handlers = []
        for form in self.co_handlers.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            target = form.as_json()
            if target:
                self._rows[f"actions.co_handlers[{len(co_handlers)}]"] = form
                co_handlers.append(target)
        data = self.rule.cleaned_data
        actions = {
            "lead": self.lead.as_json(),
            "co_handlers": co_handlers,
            "priority": data["priority"] or None,
            "deadline_policy": data["deadline_policy"] or None,
            "stop": data["stop"],
        }
        return {k: v for k, v in conditions.items() if v}, actions

    def show_problems(self, problems: list[Problem]) -> None:
        """Put each problem beside its field: a condition's row, the lead, a co-handler's
        row, the deadline policy; what names no field goes above the form."""
        for problem in problems:
            where = problem.field
            problem = Problem(problem.rule_id, problem.field, describe_problem(problem.message))
            row = next((form for key, form in self._rows.items() if where.startswith(key)), None)
            if row is not None:
                name = "field" if isinstance(row, ConditionForm) else "type"
                if where.endswith(".value"):
                    name = _value_field(row)
                elif where.endswith(".agency"):
                    name = "agency"
                row.add_error(name, problem.message)
            elif where.startswith("actions.lead"):
                self.lead.add_error("type", problem.message)
            elif where == "actions.deadline_policy":
                self.rule.add_error("deadline_policy", problem.message)
            elif where == "actions.priority":
                self.rule.add_error("priority", problem.message)
            else:
                self.rule.add_error(None, problem.message)


def _value_field(form: forms.Form) -> str:
    field = form.cleaned_data.get("field") if hasattr(form, "cleaned_data") else None
    return {
        "category": "category",
        "area": "area",
        "keyword": "words",
        "channel": "channels",
        "priority": "priorities",
        "hour": "hour_from",
        "weekday": "weekdays",
    }.get(field, "field")
