"""``{% load knowledge %}{% knowledge_answers issue %}``: published articles of the issue's
category, for the staff's case pages (internal ones too: only staff see those pages).

The case page is opened all day and articles change a few times a week: each process keeps
the answers per category for the current day, and reads them again when the articles' table
changes (``platform_gov.stamps.shown_table_stamp``: asked at most every
``DISPLAY_STAMP_SECONDS``) or the day does (an article starts or stops being valid at
midnight, with no change to its row).
"""

from __future__ import annotations

import threading

from django import template
from django.utils import timezone

from platform_gov.stamps import shown_table_stamp

from ..models import Article
from ..search import live_articles

register = template.Library()

SHOWN = 5

_lock = threading.Lock()
_kept: dict[int, list[Article]] = {}
_kept_for: tuple | None = None  # (the articles' stamp, the day) the answers were read for


def category_answers(category_id: int) -> list[Article]:
    """The live articles of a category, at most ``SHOWN``, newest first (read-only: shared
    by every request of the process until the articles change)."""
    global _kept_for
    day = timezone.localdate()
    kept_for = (shown_table_stamp("knowledge_articles", Article.objects.all()), day)
    with _lock:
        if kept_for != _kept_for:
            _kept.clear()
            _kept_for = kept_for
        found = _kept.get(category_id)
    if found is None:
        found = list(live_articles(day=day, internal=True).filter(category_id=category_id)[:SHOWN])
        with _lock:
            if kept_for == _kept_for:
                _kept[category_id] = found
    return found


@register.inclusion_tag("knowledge/_answers_list.html")
def knowledge_answers(issue):
    articles = []
    if issue is not None and issue.category_id:
        articles = category_answers(issue.category_id)
    return {"knowledge_articles": articles}
