"""What the hot room's reads share: the board's orders, the assignments that count as handling."""

from __future__ import annotations

from coordination.dispatch.models import Assignment

SORTS = {
    "heat": ("-heat", "-size", "pk"),
    "growth": ("-growth", "-heat", "pk"),
    "size": ("-size", "-heat", "pk"),
    "latest": ("-last_at", "pk"),
}
HANDLING = (Assignment.Status.PENDING, Assignment.Status.ACCEPTED, Assignment.Status.DONE)
