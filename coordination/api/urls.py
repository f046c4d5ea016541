from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("rulesets", views.RuleSetViewSet, basename="ruleset")
router.register("issues", views.IssueViewSet, basename="api-issue")
router.register("assignments", views.AssignmentViewSet, basename="api-assignment")
router.register(
    "coordination-requests", views.CoordinationRequestViewSet, basename="api-coordination-request"
)
router.register("agencies", views.AgencyViewSet, basename="api-agency")

urlpatterns = [
    path("dispatch/queue/", views.DispatchQueueView.as_view(), name="api-dispatch-queue"),
    path("stats/agencies/", views.AgencyStatsView.as_view(), name="api-stats-agencies"),
    # The resident's acts on an issue call the workflow, so they live here, not in issues.
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
    *router.urls,
]
