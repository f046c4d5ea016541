"""Query filters of the API's lists (django-filter), applied through the shared selectors."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from coordination.dispatch.selectors import issues_filtered
from issues.models import Category, Issue


class IssueFilter(django_filters.FilterSet):
    """``?status=&category=&overdue=true&search=`` of the staff's issue list.

    ``category`` is a category code and takes its sub-categories along; ``overdue`` keeps
    issues with late work; ``search`` looks in titles and tracking numbers. Each filter hands
    over to ``selectors.issues_filtered`` so pages and API filter alike.
    """

    status = django_filters.ChoiceFilter(choices=Issue.Status.choices, method="by_status")
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), to_field_name="code", method="by_category"
    )
    # Strict: anything but true/false (or 1/0) is an error naming the field, never ignored.
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")],
        method="by_overdue",
    )
    search = django_filters.CharFilter(max_length=200, method="by_search")

    class Meta:
        model = Issue
        fields = ["status", "category", "overdue", "search"]

    def by_status(self, queryset: QuerySet[Issue], name: str, value: str) -> QuerySet[Issue]:
        return issues_filtered(queryset, status=value)

    def by_category(self, queryset: QuerySet[Issue], name: str, value) -> QuerySet[Issue]:
        return issues_filtered(queryset, category=value)

    def by_overdue(self, queryset: QuerySet[Issue], name: str, value) -> QuerySet[Issue]:
        return issues_filtered(queryset, overdue=value in ("true", "1"))

    def by_search(self, queryset: QuerySet[Issue], name: str, value: str) -> QuerySet[Issue]:
        return issues_filtered(queryset, search=value)
