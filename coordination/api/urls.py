from django.urls import path
from rest_framework.routers import SimpleRouter

from . import (
    assignments,
    desk,
    dispatcher,
    hot,
    issues,
    knowledge,
    publication,
    requests,
    rulesets,
    similar,
    stats,
    topics,
)

router = SimpleRouter()
router.register("rulesets", rulesets.RuleSetViewSet, basename="ruleset")
router.register("issues", issues.IssueViewSet, basename="api-issue")
router.register("assignments", assignments.AssignmentViewSet, basename="api-assignment")
router.register(
    "coordination-requests",
    requests.CoordinationRequestViewSet,
    basename="api-coordination-request",
)
router.register("topics", topics.TopicViewSet, basename="api-topic")

urlpatterns = [
    path("dispatch/queue/", dispatcher.DispatchQueueView.as_view(), name="api-dispatch-queue"),
    path("stats/agencies/", stats.AgencyStatsView.as_view(), name="api-stats-agencies"),
    path("desk/callers/", desk.CallerIssuesView.as_view(), name="api-desk-callers"),
    path("desk/answers/", desk.AnswerOnTheSpotView.as_view(), name="api-desk-answers"),
    path("knowledge/search/", knowledge.KnowledgeSearchView.as_view(), name="api-knowledge-search"),
    path("stats/channels/", stats.ChannelStatsView.as_view(), name="api-stats-channels"),
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
    path("hot/issues/", hot.HotIssueListView.as_view(), name="api-hot-issue-list"),
    path("hot/issues/<int:pk>/", hot.HotIssueDetailView.as_view(), name="api-hot-issue-detail"),
    path("hot/warnings/", hot.WarningListView.as_view(), name="api-hot-warnings"),
    path("hot/cooperation/", hot.CooperationView.as_view(), name="api-hot-cooperation"),
    path(
        "public/issues/<int:pk>/supports/",
        hot.PublicSupportView.as_view(),
        name="api-public-support",
    ),
    path("public/nearby/", hot.PublicNearbyView.as_view(), name="api-public-nearby"),
    *router.urls,
]
