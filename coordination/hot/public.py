"""What of an issue the public may see: the ONE function every public surface goes through.

An issue's public page, the "is it one of these?" list on the report form, the topic panel on
residents' tracking pages and the members of a topic as its participants see them all show an
issue as :func:`public_issue` returns it, and nothing else of it.

Whether an issue is shown at all is the platform's publication policy
(``issues.publication``: never anonymous or kept-private reports, nor those without a
category or in a private one, nor rejected ones). What is shown here is narrower still than
the policy's public form, because these surfaces are browsed and not looked up:

- the title only, scrubbed by the policy (phone and ID numbers, e-mail addresses, messaging
  accounts, room numbers, the resident's name); never the description, the address, a
  contact or a photo;
- the place rounded to the area it falls in: the community's (or street's) name and the
  centre of that area, never the point the resident gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from agencies.models import Area
from issues import publication
from issues.models import Issue

from .places import Places, city_places


@dataclass(frozen=True)
class PublicIssue:
    """An issue as anyone may see it."""

    id: int
    title: str
    category: str
    status: str
    status_display: str
    is_open: bool
    area: str
    area_code: str
    lat: float | None  # the centre of the area, not the issue's place
    lon: float | None
    filed_on: date


def is_publishable(issue: Issue) -> bool:
    """Whether any of ``issue`` may be shown to the public: the publication policy's answer."""
    return publication.is_publishable(issue)


def public_issue(
    issue: Issue, *, places: Places | None = None, area_names: dict[str, str] | None = None
) -> PublicIssue | None:
    """``issue`` as the public may see it, or None when it may not be shown.

    ``places`` and ``area_names`` (area code → name in the current language) save queries
    when many issues are shown at once (:func:`public_issues`).
    """
    if not is_publishable(issue):
        return None
    places = places or city_places()
    codes = places.containing(issue.lat, issue.lon)
    area_code = codes[-1] if codes else ""
    if area_names is None:
        area_names = _area_names(codes)
    centre = places.centres.get(area_code) if area_code else None
    category = issue.category.name if issue.category_id and issue.category else ""
    return PublicIssue(
        id=issue.pk,
        title=publication.public_title(issue),
        category=category,
        status=issue.status,
        status_display=issue.get_status_display(),
        is_open=issue.is_open,
        area=area_names.get(area_code, ""),
        area_code=area_code,
        lat=centre[0] if centre else None,
        lon=centre[1] if centre else None,
        filed_on=timezone.localtime(issue.created_at).date(),
    )


def public_issues(issues: Iterable[Issue]) -> list[PublicIssue]:
    """Each of ``issues`` that may be shown, as :func:`public_issue` shows it, in order."""
    issues = list(issues)
    places = city_places()
    names = _area_names(None)
    shown = (public_issue(issue, places=places, area_names=names) for issue in issues)
    return [p for p in shown if p is not None]


def _area_names(codes: Iterable[str] | None) -> dict[str, str]:
    areas = Area.objects.all() if codes is None else Area.objects.filter(code__in=list(codes))
    return {area.code: area.name for area in areas.only("code", "name_zh", "name_en")}
