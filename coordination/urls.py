from django.urls import path

from . import rules_views, views

app_name = "coordination"

urlpatterns = [
    path("accounts/welcome/", views.after_login, name="after_login"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("staff/issues/<int:issue_id>/", views.staff_issue, name="staff_issue"),
    path(
        "staff/assignments/<int:assignment_id>/accept/",
        views.assignment_accept_view,
        name="assignment_accept",
    ),
    path(
        "staff/assignments/<int:assignment_id>/resolve/",
        views.assignment_resolve_view,
        name="assignment_resolve",
    ),
    path("dispatch/", views.dispatch, name="dispatch"),
    path(
        "dispatch/issues/<int:issue_id>/dispatch/",
        views.issue_dispatch_view,
        name="issue_dispatch",
    ),
    path("coordination/rules/", rules_views.ruleset_list, name="ruleset_list"),
    path(
        "coordination/rules/<int:ruleset_id>/",
        rules_views.ruleset_detail,
        name="ruleset_detail",
    ),
    path(
        "coordination/rules/<int:ruleset_id>/publish/",
        rules_views.ruleset_publish_view,
        name="ruleset_publish",
    ),
    path(
        "coordination/rules/<int:ruleset_id>/draft/",
        rules_views.ruleset_draft_view,
        name="ruleset_draft",
    ),
]
