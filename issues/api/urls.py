"""The residents' API. ``POST /api/v1/issues/`` shares its path with the staff's issue list,
so it is routed by ``coordination.api.urls`` (issues never imports coordination)."""

from django.urls import path

from . import resident_views, views

urlpatterns = [
    path("categories/", views.CategoryListView.as_view(), name="api-categories"),
    path("track/<str:access_token>/", views.TrackView.as_view(), name="api-track"),
    path(
        "track/<str:access_token>/feedback/",
        views.TrackFeedbackView.as_view(),
        name="api-track-feedback",
    ),
    path(
        "track/<str:access_token>/reopen/",
        views.TrackReopenView.as_view(),
        name="api-track-reopen",
    ),
    path("my/issues/", resident_views.MyIssuesView.as_view(), name="api-my-issues"),
]
