"""For residents: an issue's public page with "me too", and the report form's lookup."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from issues.models import Issue
from platform_gov.errors import WorkflowError
from platform_gov.throttling import SubmitThrottle, TrackThrottle, page_rate_limit

from .. import forms as hot_forms
from ..models import Support
from ..selectors import (
    nearby_issues,
    public_issue_for_page,
    support_count,
)
from ..services import supports as support_services

# ----------------------------------------------------------------------- for residents


def public_issue_page(request: HttpRequest, issue_id: int) -> HttpResponse:
    """An issue as the public sees it, with "me too"."""
    if limited := page_rate_limit(request, TrackThrottle):
        return limited
    issue, shown = public_issue_for_page(issue_id=issue_id)
    if issue.pk != issue_id:
        return redirect("coordination:public_issue", issue_id=issue.pk)
    supported = (
        request.user.is_authenticated
        and Support.objects.filter(issue=issue, user=request.user).exists()
    )
    return render(
        request,
        "hot/public_issue.html",
        {
            "issue": shown,
            "supports": support_count(issue),
            "form": hot_forms.SupportForm(),
            "supported": supported,
            "can_support": issue.is_open or issue.status == Issue.Status.RESOLVED,
        },
    )


def _support(request: HttpRequest, issue_id: int, *, via: str):
    """Add the support; (status, message, count)."""
    issue, _shown = public_issue_for_page(issue_id=issue_id)
    form = hot_forms.SupportForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return 400, first, support_count(issue)
    try:
        support_services.support_add(
            issue_id=issue.pk,
            user=request.user,
            phone=form.cleaned_data["phone"],
            email=form.cleaned_data["email"],
            via=via,
        )
    except ValidationError as error:
        return 400, " ".join(error.messages), support_count(issue)
    except WorkflowError as error:
        return (
            409 if error.code == "supported_already" else 400,
            error.message,
            support_count(issue),
        )
    except Issue.DoesNotExist as error:
        raise Http404("No such issue.") from error
    return 200, _("Thank you: your support is counted."), support_count(issue)


@require_POST
def public_issue_support(request: HttpRequest, issue_id: int) -> HttpResponse:
    """ "Me too" from the issue's public page (a form) or the report form (``fetch``:
    answers JSON when asked for it)."""
    if limited := page_rate_limit(request, SubmitThrottle):
        return limited
    wants_json = "application/json" in request.headers.get("Accept", "")
    status, message, count = _support(
        request, issue_id, via=Support.Via.FORM if wants_json else Support.Via.PAGE
    )
    if wants_json:
        return JsonResponse({"detail": message, "supports": count}, status=status)
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect(reverse("coordination:public_issue", kwargs={"issue_id": issue_id}))


@require_GET
def nearby(request: HttpRequest) -> HttpResponse:
    """The report form's "is it one of these?": issues being handled near a place, as the
    public sees them (JSON)."""
    if limited := page_rate_limit(request, TrackThrottle):
        return JsonResponse(
            {"detail": _("Too many requests.")},
            status=429,
            headers={"Retry-After": limited["Retry-After"]},
        )
    try:
        lat = float(request.GET.get("lat", ""))
        lon = float(request.GET.get("lon", ""))
    except ValueError:
        return JsonResponse({"results": []})
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JsonResponse({"results": []})
    found = nearby_issues(lat=lat, lon=lon, words=request.GET.get("q", "")[:300])
    return JsonResponse(
        {
            "results": [
                {
                    "id": n.issue.id,
                    "title": n.issue.title,
                    "category": n.issue.category,
                    "status": n.issue.status_display,
                    "area": n.issue.area,
                    "filed_on": n.issue.filed_on.isoformat(),
                    "within_m": n.within_m,
                    "supports": n.supports,
                    "url": reverse("coordination:public_issue", kwargs={"issue_id": n.issue.id}),
                    "support_url": reverse(
                        "coordination:public_issue_support", kwargs={"issue_id": n.issue.id}
                    ),
                }
                for n in found
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )
