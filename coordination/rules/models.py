"""Rule sets: the versions of the routing rules, their rules and their publications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# These models were born in the ``coordination`` app and moved here when it was split into
# rooms: their tables, and the names of their constraints, keep the old prefix, so the move
# changed no database (see ``coordination/migrations/0007_rooms.py``).


class RuleSet(models.Model):
    """One version of the routing rules: a draft, the one active version, or a retired one.

    Drafts are edited and validated; publishing makes a draft (or, to roll back, a retired
    version) the single active version and retires the one before. Published versions are
    never edited again, so every issue's routing can be replayed against the version that
    decided it. Each publication is recorded with who and when.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "coordination_ruleset"
        ordering = ["-version"]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="coordination_ruleset_one_active",
                violation_error_message=_("Only one rule set can be active."),
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Rule(models.Model):
    """One routing rule of a rule set: conditions on an issue's facts and what to do.

    ``conditions`` and ``actions`` hold the JSON the routing engine reads (see
    ``coordination.routing.model.RuleSpec``): for example all of category under ``noise``
    and keyword any of 工地, 施工 → lead ``housing``, co-handler the street office of the place.
    """

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=100)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "coordination_rule"
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "position": self.position,
            "conditions": self.conditions or {},
            "actions": self.actions or {},
        }


class RuleSetPublication(models.Model):
    """Who made which rule set active, when, and whether it was a rollback."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("Published")
        ROLLBACK = "rollback", _("Rolled back to")

    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="publications")
    previous = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        db_table = "coordination_rulesetpublication"
        ordering = ["-at", "-id"]
        verbose_name = _("rule set publication")
        verbose_name_plural = _("rule set publications")

    def __str__(self) -> str:
        return f"{self.get_action_display()} v{self.ruleset.version}"


class Responsibility(models.Model):
    """One matter an organisation is responsible for (职责清单): a category, with notes and the
    legal basis. A rule that sends a category to an organisation whose list is not empty and
    does not hold it draws a warning (``validation.ruleset_warnings``); it still publishes."""

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="responsibilities",
    )
    category = models.ForeignKey(
        "issues.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        ordering = ["agency", "category"]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibility list (职责清单)")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "category"], name="rules_responsibility_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.category_id}"
