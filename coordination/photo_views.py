"""Residents' photos for the staff who may see the case."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from issues.photos import photo_response
from issues.selectors import issue_photo

from .selectors import issue_for_user


@login_required
def staff_photo(request: HttpRequest, issue_id: int, photo_id: int) -> FileResponse:
    """One photo of a case the user may see; 404 when the issue is missing or forbidden, and
    when the photo is not that issue's (a photo id alone opens nothing)."""
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    return photo_response(issue_photo(issue=issue, photo_id=photo_id))
