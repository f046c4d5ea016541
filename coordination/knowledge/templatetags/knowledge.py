"""``{% load knowledge %}{% knowledge_answers issue %}``: published articles of the issue's
category, for the staff's case pages (internal ones too: only staff see those pages)."""

from __future__ import annotations

from django import template

from ..search import live_articles

register = template.Library()

SHOWN = 5


@register.inclusion_tag("knowledge/_answers_list.html")
def knowledge_answers(issue):
    articles = []
    if issue is not None and issue.category_id:
        articles = list(live_articles(internal=True).filter(category_id=issue.category_id)[:SHOWN])
    return {"knowledge_articles": articles}
