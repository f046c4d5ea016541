from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "dashboard/export/<slug:key>.<str:fmt>",
        views.dashboard_export,
        name="dashboard_export",
    ),
]
