"""The hot room's panels for other rooms' pages (the pages compose them; no room below
imports this one): the resident's tracking page, the report form, the staff's case page and
queue, and the collaboration graph any dashboard may show.

    {% load hot %}
    {% hot_track_panel issue %}          tracking page: "me too" count, the topics it is part of
    {% hot_nearby_panel %}               report form: "is it one of these?" (static JS)
    {% hot_case_panel issue %}           staff case page: supports, hot issue, topics
    {% hot_queue_panel %}                staff queue: the topics of the user's organisations
    {% collaboration_graph_panel start end %}  the cooperation graph and its table
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from coordination.dispatch.permissions import can_see_hot_issues, cooperation_reach

from ..cooperation import cooperation
from ..selectors import issue_hot_facts, issue_hot_marks, issue_public_topics, topics_in_queue

register = template.Library()


@register.inclusion_tag("hot/_track_panel.html")
def hot_track_panel(issue) -> dict:
    """For the resident of ``issue``: how many said "me too", and the topics (city-wide
    efforts) it is part of, as residents may see them."""
    marks = issue_hot_marks(issue)  # one query for an issue in no topic
    return {"supports": marks.supports, "topics": issue_public_topics(issue, marks=marks)}


@register.inclusion_tag("hot/_nearby_panel.html", takes_context=True)
def hot_nearby_panel(context) -> dict:
    """The report form's "is it one of these nearby?": filled by static/hot/nearby.js from
    the place and title the resident types."""
    return {"request": context.get("request")}


@register.inclusion_tag("hot/_case_panel.html", takes_context=True)
def hot_case_panel(context, issue) -> dict:
    """For the handlers of ``issue``: residents' "me too", its hot issue, its topics."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "facts": issue_hot_facts(issue),
        "board": bool(user and can_see_hot_issues(user)),
    }


@register.inclusion_tag("hot/_queue_panel.html", takes_context=True)
def hot_queue_panel(context) -> dict:
    """The active topics the user's organisations lead or take part in."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"topics": topics_in_queue(user) if user and user.is_authenticated else []}


@register.inclusion_tag("hot/_collaboration_panel.html", takes_context=True)
def collaboration_graph_panel(context, start: datetime | None = None, end: datetime | None = None):
    """Who worked together in [start, end) (default: the last 30 days) as a graph (ECharts,
    static/hot/charts.js) with its table, and joint cases against single ones. Managers see
    the pairs touching their organisations; the dispatcher and leaders the whole city."""
    request = context.get("request")
    user = getattr(request, "user", None)
    end = end or timezone.now()
    start = start or end - timedelta(days=30)
    reach = cooperation_reach(user) if user is not None else frozenset()
    figures = cooperation(start=start, end=end, reach=reach)
    names = {pk: a["name"] for pk, a in figures.agencies.items()}
    return {
        "figures": figures,
        "graph": figures.graph(),
        "pairs": [(names.get(p.a, "?"), names.get(p.b, "?"), p) for p in figures.pairs[:50]],
        "start": start,
        "last": end - timedelta(seconds=1),
    }
