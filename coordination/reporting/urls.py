from django.urls import path, re_path

from . import public, report, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "dashboard/export/<slug:key>.<str:fmt>",
        views.dashboard_export,
        name="dashboard_export",
    ),
    path("dashboard/report/", report.monthly_report, name="monthly_report"),
    # Public: no sign-in (the figures carry no personal data; see ``public.py``).
    path("figures/", public.figures_page, name="public_figures"),
    re_path(
        r"^figures/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})\.(?P<fmt>csv|json)$",
        public.figures_open_data,
        name="public_figures_data",
    ),
]
