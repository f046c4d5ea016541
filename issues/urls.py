from django.urls import path

from . import views

app_name = "issues"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/submitted/<str:access_token>/", views.submitted, name="submitted"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:access_token>/", views.track, name="track"),
]
