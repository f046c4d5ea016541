from django.urls import path

from . import dashboard_views, photo_views, rules_views, views, webhook_views

app_name = "coordination"

urlpatterns = [
    path("accounts/welcome/", views.after_login, name="after_login"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("staff/issues/<int:issue_id>/", views.staff_issue, name="staff_issue"),
    path(
        "staff/issues/<int:issue_id>/photos/<int:photo_id>/",
        photo_views.staff_photo,
        name="staff_photo",
    ),
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
    *[
        path(
            f"staff/assignments/<int:assignment_id>/{action}/",
            view,
            name=f"assignment_{action}",
        )
        for action, view in [
            ("bounce", views.assignment_bounce_view),
            ("transfer", views.assignment_transfer_view),
            ("cohandle", views.assignment_cohandle_view),
            ("whistle", views.assignment_whistle_view),
            ("extension", views.assignment_extension_view),
            ("reply", views.assignment_reply_view),
            ("appeal", views.assignment_appeal_view),
        ]
    ],
    path("dispatch/", views.dispatch, name="dispatch"),
    path(
        "dispatch/requests/<int:request_id>/approve/",
        views.request_approve_view,
        name="request_approve",
    ),
    path(
        "dispatch/requests/<int:request_id>/reject/",
        views.request_reject_view,
        name="request_reject",
    ),
    path(
        "dispatch/issues/<int:issue_id>/escalate/",
        views.issue_escalate_view,
        name="issue_escalate",
    ),
    path("dispatch/merge/", views.issue_merge_view, name="issue_merge"),
    # The resident's follow-up on the tracking page (the page itself is issues').
    path(
        "track/<str:access_token>/feedback/",
        views.track_feedback_view,
        name="track_feedback",
    ),
    path("track/<str:access_token>/reopen/", views.track_reopen_view, name="track_reopen"),
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
    path("staff/webhooks/", webhook_views.webhooks_page, name="webhooks"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
]
