"""The resident's pages: home, report, confirmation and tracking."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from platform_gov.pages import act
from platform_gov.throttling import SubmitThrottle, TrackThrottle, page_rate_limit

from .forms import FeedbackForm, ReopenForm, ReportForm, TrackForm
from .models import Issue
from .photos import photo_response
from .selectors import issue_by_access_token, issue_photo, issue_photos, issue_public_timeline
from .services import issue_feedback, issue_reopen, issue_reopen_window_open, issue_submit

# Referer only to this site itself (whose logs redact tracking links), never to another.
TRACKING_REFERRER_POLICY = "same-origin"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "issues/home.html", {"track_form": TrackForm()})


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and (limited := page_rate_limit(request, SubmitThrottle)):
        return limited
    form = ReportForm(request.POST, request.FILES) if request.method == "POST" else ReportForm()
    if request.method == "POST" and form.is_valid():
        try:
            issue = issue_submit(**form.cleaned_data, reporter=request.user)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("issues:submitted", access_token=issue.access_token)
    status = 400 if request.method == "POST" else 200
    return render(request, "issues/report.html", {"form": form}, status=status)


def submitted(request: HttpRequest, access_token: str) -> HttpResponse:
    issue = issue_by_access_token(token=access_token)
    track_url = request.build_absolute_uri(
        reverse("issues:track", kwargs={"access_token": issue.access_token})
    )
    return render(request, "issues/submitted.html", {"issue": issue, "track_url": track_url})


def track_lookup(request: HttpRequest) -> HttpResponse:
    if "code" in request.GET and (limited := page_rate_limit(request, TrackThrottle)):
        return limited
    form = TrackForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect("issues:track", access_token=form.cleaned_data["code"])
    return render(
        request, "issues/track_lookup.html", {"form": form}, status=400 if form.is_bound else 200
    )


def track(request: HttpRequest, access_token: str) -> HttpResponse:
    if limited := page_rate_limit(request, TrackThrottle):
        return limited
    issue = issue_by_access_token(token=access_token)
    can_rate = issue.status == Issue.Status.RESOLVED
    can_reopen = issue_reopen_window_open(issue)
    # A merged report follows the issue that continues: its status, resolution and timeline
    # (public entries only, as on any tracking page).
    merged_into = issue.merged_into if issue.status == Issue.Status.MERGED else None
    response = render(
        request,
        "issues/track.html",
        {
            "issue": issue,
            "timeline": issue_public_timeline(issue=issue),
            "merged_into": merged_into,
            "merged_timeline": issue_public_timeline(issue=merged_into) if merged_into else (),
            "feedback_form": FeedbackForm() if can_rate else None,
            "reopen_form": ReopenForm() if can_reopen else None,
            # This report's own photos only: a merged-into issue's are another resident's.
            "photos": issue_photos(issue=issue),
        },
    )
    # The link is the resident's secret: keep it out of other sites' Referer headers. Not
    # ``no-referrer``: Chromium then posts this page's forms with ``Origin: null``, which
    # Django's CSRF check refuses (403), and the resident could neither rate nor reopen.
    response["Referrer-Policy"] = TRACKING_REFERRER_POLICY
    return response


def track_photo(request: HttpRequest, access_token: str, photo_id: int) -> HttpResponseBase:
    """One photo of the resident's own issue: 404 unless it belongs to the link's issue."""
    if limited := page_rate_limit(request, TrackThrottle):
        return limited
    issue = issue_by_access_token(token=access_token)
    response = photo_response(issue_photo(issue=issue, photo_id=photo_id))
    # As on the tracking page: the link in this URL is the resident's secret.
    response["Referrer-Policy"] = TRACKING_REFERRER_POLICY
    return response


# ------------------------------------------------------------------ the resident's follow-up


def _back_to_tracking(issue: Issue) -> HttpResponse:
    response = redirect("issues:track", access_token=issue.access_token)
    response["Referrer-Policy"] = TRACKING_REFERRER_POLICY
    return response


@require_POST
def track_feedback(request: HttpRequest, access_token: str) -> HttpResponse:
    """The rating form of the tracking page (回访)."""
    issue = issue_by_access_token(token=access_token)
    act(
        request,
        FeedbackForm(request.POST),
        lambda data: issue_feedback(
            issue_id=issue.pk, rating=data["rating"], comment=data["comment"]
        ),
        _("Thank you for your rating."),
    )
    return _back_to_tracking(issue)


@require_POST
def track_reopen(request: HttpRequest, access_token: str) -> HttpResponse:
    """The reopen form of the tracking page."""
    issue = issue_by_access_token(token=access_token)
    act(
        request,
        ReopenForm(request.POST),
        lambda data: issue_reopen(issue_id=issue.pk, reason=data["reason"]),
        _("Your issue was reopened and sent back to the organisation that handled it."),
    )
    return _back_to_tracking(issue)
