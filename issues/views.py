"""The resident's pages: home, report, confirmation and tracking."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .forms import ReportForm, TrackForm
from .selectors import issue_by_access_token, issue_public_timeline
from .services import issue_submit


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "issues/home.html", {"track_form": TrackForm()})


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST if request.method == "POST" else None)
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
    form = TrackForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect("issues:track", access_token=form.cleaned_data["code"])
    return render(
        request, "issues/track_lookup.html", {"form": form}, status=400 if form.is_bound else 200
    )


def track(request: HttpRequest, access_token: str) -> HttpResponse:
    issue = issue_by_access_token(token=access_token)
    response = render(
        request,
        "issues/track.html",
        {"issue": issue, "timeline": issue_public_timeline(issue=issue)},
    )
    # The link is the resident's secret: keep it out of other sites' Referer headers.
    response["Referrer-Policy"] = "no-referrer"
    return response
