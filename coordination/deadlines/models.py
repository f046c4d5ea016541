"""Deadline policies and the working calendar's special days."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models import Category, Issue

# These models were born in the ``coordination`` app and moved here when it was split into
# rooms: their tables, and the names of their constraints, keep the old prefix, so the move
# changed no database (see ``coordination/migrations/0007_rooms.py``).


class SLAPolicy(models.Model):
    """How long an agency has to respond (sign for) and to resolve an assignment.

    The most specific policy wins: category and priority, then category alone, then priority
    alone, then the default (neither). Hours are working hours of the city's calendar (weekends
    and public holidays off), unless the policy counts round the clock.
    """

    code = models.SlugField(
        _("code"),
        max_length=64,
        blank=True,
        help_text=_(
            "Name a policy so that routing rules can choose it (a rule's deadline policy)."
        ),
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Issue.Priority.choices, blank=True
    )
    response_hours = models.PositiveIntegerField(_("hours to respond"), default=2)
    resolution_hours = models.PositiveIntegerField(_("hours to resolve"), default=72)
    round_the_clock = models.BooleanField(
        _("count every hour"),
        default=False,
        help_text=_("Count calendar hours, not working hours (for urgent matters)."),
    )

    class Meta:
        db_table = "coordination_slapolicy"
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"],
                condition=Q(category__isnull=False),
                name="coordination_slapolicy_one_per_category_priority",
                violation_error_message=_(
                    "A policy for this category and priority exists already."
                ),
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code=""),
                name="coordination_slapolicy_unique_code",
                violation_error_message=_("Another deadline policy has this code."),
            ),
            # NULL is distinct in a unique index, so the city-wide defaults need their own.
            models.UniqueConstraint(
                fields=["priority"],
                condition=Q(category__isnull=True),
                name="coordination_slapolicy_one_default_per_priority",
                violation_error_message=_("A city-wide policy for this priority exists already."),
            ),
            models.CheckConstraint(
                condition=Q(response_hours__lte=models.F("resolution_hours")),
                name="coordination_slapolicy_response_before_resolution",
                violation_error_message=_("The response time cannot exceed the resolution time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} / {self.priority or '*'}"

    @property
    def response_delta(self) -> timedelta:
        return timedelta(hours=self.response_hours)

    @property
    def resolution_delta(self) -> timedelta:
        return timedelta(hours=self.resolution_hours)


class CalendarDay(models.Model):
    """A day the working calendar treats specially: a public holiday or a make-up working day
    (调休). Weekends and working hours come from settings (WORK_CALENDAR)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        db_table = "coordination_calendarday"
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
