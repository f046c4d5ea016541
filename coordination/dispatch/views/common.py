"""Who may open the staff and dispatcher pages, and where each person lands after signing in."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ..permissions import is_agency_member, is_dispatcher


def agency_member_required(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not (is_agency_member(request.user) or is_dispatcher(request.user)):
            raise PermissionDenied(_("This page is for the staff of an organisation."))
        return view(request, *args, **kwargs)

    return wrapped


def dispatcher_required(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not is_dispatcher(request.user):
            raise PermissionDenied(_("This page is for the dispatch centre."))
        return view(request, *args, **kwargs)

    return wrapped


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is."""
    if is_dispatcher(request.user):
        return redirect("coordination:dispatch")
    if is_agency_member(request.user):
        return redirect("coordination:staff_queue")
    return redirect("issues:my_issues")
