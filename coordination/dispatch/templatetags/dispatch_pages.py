"""Template helpers of the dispatcher's and residents' pages.

``{% load dispatch_pages %}`` gives:

- ``handoffs|escalations``: the supervisions (督办) in a case record already read by the page,
  newest first (no query of its own);
- ``{% expected_deadline issue as due %}``: when the organisation leading a resident's issue
  must resolve it (for the tracking page, which belongs to the issues app and so cannot ask
  the dispatcher's models itself);
- ``{% next_deadline assignment %}``: what the assignment's staff must do next and by when
  ("Accept by …" or "Resolve by …", or "—"): a queue shows fifty of them, so it is built
  in Python rather than by an include per row;
- ``{% optional_include "room/_partial.html" %}``: an include point for a partial another room
  may add (triage suggestions, duplicate candidates, knowledge answers): nothing until the
  template exists.
"""

from __future__ import annotations

from django import template
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from ..models import Assignment, Handoff

register = template.Library()


@register.filter
def escalations(handoffs) -> list[Handoff]:
    return [h for h in reversed(list(handoffs)) if h.kind == Handoff.Kind.ESCALATED]


@register.simple_tag
def expected_deadline(issue):
    """The active lead's resolution deadline, or None (not dispatched, or finished). Read from
    the issue's ``expected_due_at`` when its query had it (the tracking page's:
    ``coordination.dispatch.selectors.expected_deadline_expressions``)."""
    if not issue.is_open:
        return None
    if hasattr(issue, "expected_due_at"):
        return issue.expected_due_at
    return (
        Assignment.objects.filter(
            issue=issue, role=Assignment.Role.LEAD, status__in=Assignment.ACTIVE_STATUSES
        )
        .values_list("due_at", flat=True)
        .first()
    )


@register.simple_tag
def next_deadline(assignment: Assignment) -> SafeString | str:
    due = assignment.next_deadline
    if not due:
        return "—"
    step, when = due
    when = template_localtime(when)
    return format_html(
        '<span class="due due-{}" data-testid="due-next">{} <time datetime="{}">{}</time></span>',
        step,
        gettext("Accept by") if step == "accept" else gettext("Resolve by"),
        date_format(when, "c"),
        date_format(when, "Y-m-d H:i"),
    )


@register.simple_tag(takes_context=True)
def optional_include(context, *names: str) -> str:
    """Render the first of ``names`` that exists, with the page's context; else nothing.

    Rendered in the page's own context, as ``{% include %}`` does: a new one from its
    flattened values ran every context processor (the navigation's permission checks among
    them) a second time for each partial."""
    try:
        found = select_template(list(names))
    except TemplateDoesNotExist:
        return ""
    with context.push():
        return found.template.render(context)
