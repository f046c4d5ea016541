"""Reporting's panels for other rooms' pages: the dispatcher's page shows the agencies' rates
without the dispatch room importing reporting (the template composes them)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from ..charts import rate_charts
from ..selectors import agency_rates

register = template.Library()

RATE_WINDOW = timedelta(days=30)


def _recent_rates(now) -> list:
    """The agencies' rates over ``RATE_WINDOW``.

    They move slowly and cost a pass over a month of assignments, so they are kept in the
    cache for ``RATES_CACHE_SECONDS`` (per language: the rows carry the agencies' names).
    """
    ttl = settings.RATES_CACHE_SECONDS
    if not ttl:
        return agency_rates(start=now - RATE_WINDOW, now=now)
    key = f"dispatch:agency-rates:{RATE_WINDOW.days}:{translation.get_language()}"
    rates = cache.get(key)
    if rates is None:
        rates = agency_rates(start=now - RATE_WINDOW, now=now)
        cache.set(key, rates, ttl)
    return rates


@register.inclusion_tag("coordination/_rates_panel.html")
def recent_rates_panel() -> dict:
    """The agencies' rates of the last 30 days, as bar charts."""
    return {"charts": rate_charts(_recent_rates(timezone.now())), "rate_days": RATE_WINDOW.days}
