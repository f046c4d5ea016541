"""The platform's URLs; paths are part of the contract in API.md."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from coordination.open311.views import error_response as open311_error
from issues.account_views import PasswordResetView, signup

from . import characters, views
from .security import TokenView

urlpatterns = [
    path("", include("issues.urls")),
    path("", include("coordination.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("issues.api.urls")),
    path("api/v1/", include("coordination.api.urls")),
    path("api/v1/", include("agencies.api")),
    path("open311/v2/", include("coordination.open311.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", signup, name="signup"),
    # Password reset by e-mail (Django's views and tokens; the link is built on SITE_URL).
    path("accounts/password/reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 in the words of the surface asked: Open311's error list, the API's
    ``{"detail", "code"}``, or the page (``platform_gov.characters`` raises it too)."""
    unstorable = str(exception) == characters.MESSAGE
    description = characters.MESSAGE if unstorable else "Bad request."
    if request.path.startswith("/open311/"):
        return open311_error(request, 400, description)
    if request.path.startswith("/api/"):
        code = characters.CODE if unstorable else "bad_request"
        return JsonResponse({"detail": description, "code": code}, status=400)
    return defaults.bad_request(request, exception)


handler400 = bad_request
