from django.urls import path

from . import account_views, views

app_name = "issues"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/submitted/<str:access_token>/", views.submitted, name="submitted"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:access_token>/", views.track, name="track"),
    path("track/<str:access_token>/feedback/", views.track_feedback, name="track_feedback"),
    path("track/<str:access_token>/reopen/", views.track_reopen, name="track_reopen"),
    path("my/issues/", account_views.my_issues, name="my_issues"),
    path("areas.geojson", views.areas, name="areas"),
    path(
        "track/<str:access_token>/photos/<int:photo_id>/",
        views.track_photo,
        name="track_photo",
    ),
]
