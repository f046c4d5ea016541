"""The classifier's help on the dispatcher's and the handlers' pages, as sections of their
own: each page includes one with a single line, so the pages around them can change freely.

- ``{% triage_help issue %}`` in a triage card: the top three categories with the
  organisations the active rules would choose for each, one click to dispatch; another
  category; possible duplicates of the issue.
- ``{% dispatch_learning %}`` on the dispatcher's page: pairs of issues that may be one
  problem (found as they arrived, or proposed by handlers), and issues whose category a
  confident prediction doubts.
- ``{% case_learning issue %}`` on a case page: the prediction and its doubt (for the
  dispatcher), and the open issues like this one that the user may see.

What the sections share on one page (the rule set, the categories, the classifier, the
duplicate candidates of the listed issues) is read once per request.
"""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from coordination.learning import selectors as learning

from ..permissions import is_dispatcher, issues_visible_to

register = template.Library()

SIMILAR_SHOWN = 5


def _shared(request: HttpRequest) -> dict:
    shared = getattr(request, "_learning_shared", None)
    if shared is None:
        shared = {"context": learning.SuggestionContext.load(), "similar": {}}
        request._learning_shared = shared
    return shared


def _similar(shared: dict, issue, issues) -> list:
    """The issue's duplicate candidates; on first use, those of every issue of the page's
    list (``issues``) at once, if the issue is in it."""
    if issue.pk not in shared["similar"]:
        ids = [i.pk for i in issues or () if hasattr(i, "pk")]
        shared["similar"].update(learning.candidates_of(ids if issue.pk in ids else [issue.pk]))
    return shared["similar"].get(issue.pk, [])[:SIMILAR_SHOWN]


def _first_use(shared: dict, key: str, items) -> list:
    """``items`` the first time ``key`` is asked for on this page, then nothing."""
    if shared.get(f"{key}_shown"):
        return []
    shared[f"{key}_shown"] = True
    return list(items)


@register.inclusion_tag("coordination/learning/_triage_help.html", takes_context=True)
def triage_help(context, issue) -> dict:
    """Suggestions for a triage issue. Its possible duplicates are those found as it arrived
    (``DuplicateCandidate``), read in one query for every issue of the page's list."""
    request = context["request"]
    shared = _shared(request)
    suggestion_context = shared["context"]
    suggestions = learning.triage_suggestions(issue=issue, context=suggestion_context)
    return {
        "issue": issue,
        "suggestions": suggestions,
        "classifier": suggestion_context.classifier,
        # Every category, once per page (a datalist the cards share): a select per card
        # repeated the category tree for every triage issue (900 options for 30 issues).
        "categories": _first_use(shared, "categories", suggestion_context.categories.values()),
        "similar": _similar(shared, issue, context.get("issues")),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }


@register.inclusion_tag("coordination/learning/_dispatch_learning.html", takes_context=True)
def dispatch_learning(context) -> dict:
    request = context["request"]
    return {
        "candidates": list(learning.duplicate_candidates_open()),
        "doubts": list(learning.disagreements()),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }


@register.inclusion_tag("coordination/learning/_case_learning.html", takes_context=True)
def case_learning(context, issue) -> dict:
    """On one case: the open issues like it (found now, among those the user may see: the
    one gate's queryset) and, for the dispatcher, what the classifier said of it."""
    request = context["request"]
    user = request.user
    dispatcher = is_dispatcher(user)
    similar = learning.similar_issues(
        issue=issue, among=None if dispatcher else issues_visible_to(user), limit=SIMILAR_SHOWN
    )
    return {
        "issue": issue,
        "dispatcher": dispatcher,
        "prediction": learning.issue_prediction(issue=issue) if dispatcher else None,
        "label": learning.latest_label(issue=issue) if dispatcher else None,
        "similar": similar,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }
