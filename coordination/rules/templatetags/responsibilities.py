"""``{% load responsibilities %}{% responsible_for issue %}``: the organisations whose
responsibility list (职责清单) holds the issue's category (or the category above it), with the
legal basis: shown to the dispatcher choosing an organisation."""

from __future__ import annotations

from django import template
from django.db.models import Q

from ..models import Responsibility

register = template.Library()


@register.inclusion_tag("coordination/_responsible_for.html")
def responsible_for(issue):
    found = []
    if issue is not None and issue.category_id:
        category = issue.category
        held = Q(category_id=category.pk)
        if category.parent_id:
            held |= Q(category_id=category.parent_id)
        found = list(
            Responsibility.objects.filter(held, agency__active=True).select_related("agency")
        )
    return {"responsibilities": found}
