"""The resident's account pages: sign up, and "my issues"."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from platform_gov.throttling import SignupThrottle, page_rate_limit

from .accounts import ResidentSignupForm, resident_register
from .selectors import issues_reported_by

MY_ISSUES_PER_PAGE = 20


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("issues:my_issues")
    if request.method == "POST" and (limited := page_rate_limit(request, SignupThrottle)):
        return limited
    form = ResidentSignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = resident_register(form=form)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("issues:my_issues")
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


@login_required
def my_issues(request: HttpRequest) -> HttpResponse:
    page = Paginator(issues_reported_by(user=request.user), MY_ISSUES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "issues/my_issues.html", {"page": page})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset by e-mail, with the link built on ``SITE_URL`` (the host a
    request names could be anyone's) and limited per client address like sign-ups."""

    def form_valid(self, form):
        if limited := page_rate_limit(self.request, SignupThrottle):
            return limited
        self.extra_email_context = {
            "site_url": settings.SITE_URL.rstrip("/"),
            "platform_name": settings.PLATFORM_NAME,
        }
        return super().form_valid(form)
