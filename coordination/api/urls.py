from django.urls import path
from rest_framework.routers import SimpleRouter

from . import assignments, dispatcher, issues, publication, requests, rulesets, similar, stats

router = SimpleRouter()
router.register("rulesets", rulesets.RuleSetViewSet, basename="ruleset")
router.register("issues", issues.IssueViewSet, basename="api-issue")
router.register("assignments", assignments.AssignmentViewSet, basename="api-assignment")
router.register(
    "coordination-requests",
    requests.CoordinationRequestViewSet,
    basename="api-coordination-request",
)

urlpatterns = [
    path("dispatch/queue/", dispatcher.DispatchQueueView.as_view(), name="api-dispatch-queue"),
    path("stats/agencies/", stats.AgencyStatsView.as_view(), name="api-stats-agencies"),
    path(
        "issues/<int:pk>/publication/",
        publication.IssuePublicationView.as_view(),
        name="api-issue-publication",
    ),
    path(
        "issues/<int:id>/similar/",
        similar.SimilarIssuesView.as_view(),
        name="api-issue-similar",
    ),
    *router.urls,
]
