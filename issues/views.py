"""The resident's pages: home, report, confirmation and tracking."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from agencies.selectors import areas_geojson
from platform_gov.pages import act
from platform_gov.throttling import (
    SubmitThrottle,
    TrackNumberThrottle,
    TrackThrottle,
    page_rate_limit,
    rate_limit_count,
    rate_limit_wait,
    resilient_cache,
    too_many_requests,
)

from .forms import FeedbackForm, ReopenForm, ReportForm, TrackForm
from .models import Issue, Update
from .photos import photo_response
from .publication import public_timeline
from .selectors import (
    issue_by_access_token,
    issue_by_tracking_number,
    issue_photo,
    issue_public_timeline,
    issue_shown_photos,
    issue_tracked,
)
from .services import issue_feedback, issue_reopen, issue_reopen_window_open, issue_submit

# Referer only to this site itself (whose logs redact tracking links), never to another.
TRACKING_REFERRER_POLICY = "same-origin"


@require_safe
@cache_control(public=True, max_age=300)
@vary_on_headers("Accept-Language", "Cookie")
def areas(request: HttpRequest) -> JsonResponse:
    """The city's areas as GeoJSON, named in the page's language: the maps' base layer.
    Public (the city's districts, streets and communities are no secret)."""
    return JsonResponse(areas_geojson(), json_dumps_params={"ensure_ascii": False})


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "issues/home.html", {"track_form": TrackForm()})


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The report form. Only a filed report counts against the filing limit (a form sent back
    for its errors does not); past the limit the form comes back as typed, with when to try
    again (429)."""
    form = ReportForm(request.POST, request.FILES) if request.method == "POST" else ReportForm()
    if request.method == "POST" and form.is_valid():
        if wait := rate_limit_wait(request, SubmitThrottle):
            return too_many_requests(
                request, wait, template="issues/report.html", context={"form": form}
            )
        try:
            issue = issue_submit(**form.cleaned_data, reporter=request.user)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            rate_limit_count(request, SubmitThrottle)
            return redirect("issues:submitted", access_token=issue.access_token)
    status = 400 if request.method == "POST" else 200
    return render(request, "issues/report.html", {"form": form}, status=status)


def submitted(request: HttpRequest, access_token: str) -> HttpResponse:
    issue = issue_by_access_token(token=access_token)
    track_url = request.build_absolute_uri(
        reverse("issues:track", kwargs={"access_token": issue.access_token})
    )
    return render(request, "issues/submitted.html", {"issue": issue, "track_url": track_url})


@require_http_methods(["GET", "POST"])
def track_lookup(request: HttpRequest) -> HttpResponse:
    """Find an issue by its link, or by its tracking number and the last four digits of the
    phone (or the e-mail) given with it. A POST form: what the resident types stays out of
    URLs and logs. Number lookups are limited per address (``RATE_LIMIT_TRACK_NUMBER``) and
    per number (``TRACK_NUMBER_MAX_FAILURES`` wrong answers an hour), so four digits cannot
    be guessed."""
    # A link to /track/?code=... (older pages, bookmarks) still opens the issue.
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET if "code" in request.GET else None)
    )
    if data is not None and (limited := page_rate_limit(request, TrackThrottle)):
        return limited
    form = TrackForm(data)
    if form.is_bound and form.is_valid():
        if token := form.cleaned_data.get("token"):
            return redirect("issues:track", access_token=token)
        number = form.cleaned_data["number"]
        if wait := rate_limit_wait(request, TrackNumberThrottle):
            return too_many_requests(
                request, wait, template="issues/track_lookup.html", context={"form": form}
            )
        failures_key = f"track-number-failures:{number}"
        if (resilient_cache.get(failures_key) or 0) >= settings.TRACK_NUMBER_MAX_FAILURES:
            form.add_error(
                None,
                _(
                    "Too many wrong answers for this number: try again in an hour, or use "
                    "your tracking link."
                ),
            )
        else:
            rate_limit_count(request, TrackNumberThrottle)
            issue = issue_by_tracking_number(number=number, check=form.cleaned_data["check"])
            if issue is not None:
                resilient_cache.delete(failures_key)
                return redirect("issues:track", access_token=issue.access_token)
            resilient_cache.add(failures_key, 0, timeout=3600)
            resilient_cache.incr(failures_key)
            form.add_error(
                "check",
                _("The number and the digits (or e-mail) do not match an issue. Check both."),
            )
    return render(
        request, "issues/track_lookup.html", {"form": form}, status=400 if form.is_bound else 200
    )


def track(request: HttpRequest, access_token: str) -> HttpResponse:
    if limited := page_rate_limit(request, TrackThrottle):
        return limited
    issue = issue_tracked(token=access_token)
    can_rate = issue.status == Issue.Status.RESOLVED
    can_reopen = issue_reopen_window_open(issue)
    # A merged report follows the issue that continues: its status, and of its timeline what
    # the publication policy lets anyone read (another resident's replies are theirs).
    merged_into = issue.merged_into if issue.status == Issue.Status.MERGED else None
    merged_timeline = public_timeline(merged_into) if merged_into else []
    merged_resolution = next(
        (
            note
            for update, note in reversed(merged_timeline)
            if update.kind == Update.Kind.RESOLVED and note
        ),
        "",
    )
    response = render(
        request,
        "issues/track.html",
        {
            "issue": issue,
            "timeline": issue_public_timeline(issue=issue),
            "merged_into": merged_into,
            "merged_timeline": merged_timeline,
            "merged_resolution": merged_resolution,
            "feedback_form": FeedbackForm() if can_rate else None,
            "reopen_form": ReopenForm() if can_reopen else None,
            # This report's own photos only: a merged-into issue's are another resident's.
            "photos": issue_shown_photos(issue=issue),
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
